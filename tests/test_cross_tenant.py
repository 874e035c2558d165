"""The cross-tenant matrix: every organization page, walked from the URL configuration.

A new page under ``/o/<org_slug>/`` is picked up automatically; if it takes another URL
argument, this test fails until a sample value for it is added to ``SAMPLE_KWARGS`` (so no page
escapes the matrix). A page that needs a capability is opened by the least privileged role that
has it, and the outsider has that same role in the other organization.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from accounts.models import ROLE_CAPABILITIES, Role
from tests.factories import (
    AgentFactory,
    ApiKeyFactory,
    ChatFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)
from tests.url_patterns import url_patterns

# Sample values for URL arguments other than org_slug: a value, or a callable that builds a row of
# the organization under test and returns the value.
SAMPLE_KWARGS: dict[str, object] = {
    "key_id": lambda organization: ApiKeyFactory(organization=organization).pk,
    # Settings pages.
    "member_id": lambda organization: MembershipFactory(organization=organization, role=Role.VIEWER).pk,
    "invitation_id": lambda organization: _invitation(organization).pk,
    "team_id": lambda organization: TeamFactory(organization=organization).pk,
    "agent_id": lambda organization: AgentFactory(organization=organization).pk,
    "tag_id": lambda organization: TagFactory(organization=organization).pk,
    "sla_target_id": lambda organization: _sla_target(organization).pk,
    "goal_id": lambda organization: _goal(organization).pk,
    # Report schedules.
    "schedule_id": lambda organization: _schedule(organization).pk,
    # Drill-down timelines.
    "chat_id": lambda organization: ChatFactory(organization=organization).pk,
    "ticket_id": lambda organization: TicketFactory(organization=organization).pk,
}


def _sla_target(organization):
    from reports.models import SlaTarget

    return SlaTarget.objects.for_org(organization).create(organization=organization, metric="chat_first_response",
                                                          target_seconds=60)


def _goal(organization):
    from reports.models import Goal

    return Goal.objects.for_org(organization).create(organization=organization, metric="csat", field="value", at_least=True, target=85)


def _schedule(organization):
    from schedules.services import ScheduleData, schedule_create

    member = MembershipFactory(organization=organization, role=Role.MANAGER)
    return schedule_create(organization=organization, data=ScheduleData(name="Weekly", member_recipients=[member]),
                           created_by=None)


def _invitation(organization):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Invitation

    now = timezone.now()
    return Invitation.unscoped.create(organization=organization, email="invitee@example.test", role=Role.VIEWER,
                                      secret_hash="0" * 64, sent_at=now, expires_at=now + dt.timedelta(days=7))


def _walk():
    """The named URL patterns (the pages' names identify them here)."""
    return ((route, p) for route, p in url_patterns() if p.name)


def org_page_names() -> list[str]:
    names = sorted({p.name for route, p in _walk() if "<slug:org_slug>" in route})
    assert names, "no organization pages found"
    return names


def _pattern(name: str) -> URLPattern:
    return next(p for route, p in _walk() if p.name == name)


def org_url(name: str, slug: str, organization=None) -> str:
    """The page's URL under ``slug``; sample rows are built in ``organization``."""
    params = set(_pattern(name).pattern.converters) - {"org_slug"}
    missing = params - SAMPLE_KWARGS.keys()
    assert not missing, f"add sample values for {missing} of page {name!r} to SAMPLE_KWARGS"
    kwargs = {k: SAMPLE_KWARGS[k] for k in params}
    kwargs = {k: v(organization) if callable(v) else v for k, v in kwargs.items()}
    return reverse(name, kwargs={"org_slug": slug, **kwargs})


def page_role(name: str) -> str:
    """The least privileged role that may open the page (managers for pages open to all)."""
    capability = getattr(getattr(_pattern(name).callback, "view_class", None), "required_capability", None)
    if capability is None:
        return Role.MANAGER
    return next(role for role in reversed(Role.values) if capability in ROLE_CAPABILITIES[role])


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", org_page_names())
def test_a_member_of_another_organization_gets_404(name, org, other_org, member_factory):
    url = org_url(name, org.slug, org)
    role = page_role(name)
    member, outsider = _client_for(member_factory(org, role=role)), _client_for(member_factory(other_org, role=role))
    assert member.get(url).status_code == 200, "the page must work for its own members"
    assert outsider.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", org_page_names())
def test_an_unknown_organization_is_the_same_404(name, org, member_factory):
    client = _client_for(member_factory(org, role=page_role(name)))
    assert client.get(org_url(name, "no-such-org", org)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", org_page_names())
def test_anonymous_users_are_sent_to_log_in(name, org, anonymous_client):
    response = anonymous_client.get(org_url(name, org.slug, org))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_user_in_two_organizations_sees_each_only_under_its_own_slug(org, other_org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org, user=user, role=Role.AGENT)
    client.force_login(user)
    home_a = client.get(reverse("org_home", kwargs={"org_slug": org.slug}))
    home_b = client.get(reverse("org_home", kwargs={"org_slug": other_org.slug}))
    assert home_a.context["organization"] == org
    assert home_b.context["organization"] == other_org
    assert home_b.context["membership"].role == Role.AGENT
