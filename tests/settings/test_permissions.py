"""Every settings page and action: owners and admins may; managers, viewers and agents get 404
(and no link to settings); non-members 404; a POST by a role without the capability changes nothing."""

import pytest
from django.urls import reverse

from accounts.models import AuditLogEntry, Membership, Role
from chats.models import Tag
from tests.factories import AgentFactory, TagFactory, TeamFactory
from tests.settings.conftest import client_for
from tests.test_cross_tenant import SAMPLE_KWARGS, _pattern, org_page_names

SETTINGS_PAGES = [name for name in org_page_names() if name.startswith(("settings_", "api_key_"))]
NO_SETTINGS_ROLES = [Role.MANAGER, Role.VIEWER, Role.AGENT]


def settings_url(name, org):
    params = set(_pattern(name).pattern.converters) - {"org_slug"}
    kwargs = {k: SAMPLE_KWARGS[k](org) for k in params}
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


def test_every_settings_section_is_in_the_matrix():
    expected = {"settings_home", "settings_profile", "settings_members", "settings_member_invite",
                "settings_member_edit", "settings_member_remove", "settings_invitation_resend",
                "settings_invitation_revoke", "settings_teams", "settings_team_create", "settings_team_edit",
                "settings_agents", "settings_agent_edit", "settings_tags", "settings_tag_create",
                "settings_tag_edit", "settings_tag_merge", "settings_goals", "settings_goal_edit",
                "settings_goal_delete", "settings_audit", "settings_audit_export",
                "settings_sla_targets", "settings_sla_target_create", "settings_sla_target_edit",
                "settings_sla_target_delete", "settings_business_hours",
                "api_key_list", "api_key_create", "api_key_revoke"}
    assert expected <= set(SETTINGS_PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize("name", SETTINGS_PAGES)
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_open_every_settings_page(name, role, org, member_factory):
    client = client_for(member_factory(org, role=role))
    assert client.get(settings_url(name, org)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", SETTINGS_PAGES)
@pytest.mark.parametrize("role", NO_SETTINGS_ROLES)
def test_other_roles_get_404_on_every_settings_page_and_action(name, role, org, member_factory):
    client = client_for(member_factory(org, role=role))
    url = settings_url(name, org)
    audit_before = AuditLogEntry.objects.for_org(org).count()
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "role": Role.OWNER, "email": "x@example.test"}).status_code == 404
    assert AuditLogEntry.objects.for_org(org).count() == audit_before


@pytest.mark.django_db
@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_a_non_member_gets_404(name, org, other_org, member_factory):
    outsider = client_for(member_factory(other_org, role=Role.OWNER))
    assert outsider.get(settings_url(name, org)).status_code == 404


@pytest.mark.django_db
def test_posts_by_a_manager_change_nothing(org, member_factory):
    manager = client_for(member_factory(org, role=Role.MANAGER))
    viewer = member_factory(org, role=Role.VIEWER)
    tag, other = TagFactory(organization=org, name="billing"), TagFactory(organization=org, name="invoices")
    team = TeamFactory(organization=org, name="Tier 1")
    agent = AgentFactory(organization=org, team=None)
    slug = org.slug
    posts = [
        (reverse("settings_profile", kwargs={"org_slug": slug}), {"name": "Hacked", "timezone": "UTC"}),
        (reverse("settings_member_edit", kwargs={"org_slug": slug, "member_id": Membership.objects.for_org(org).get(user=viewer).pk}), {"role": Role.OWNER}),
        (reverse("settings_tag_merge", kwargs={"org_slug": slug, "tag_id": tag.pk}), {"target": other.pk}),
        (reverse("settings_team_edit", kwargs={"org_slug": slug, "team_id": team.pk}), {"name": "Renamed"}),
        (reverse("settings_agent_edit", kwargs={"org_slug": slug, "agent_id": agent.pk}), {"team": team.pk}),
    ]
    for url, data in posts:
        assert manager.post(url, data).status_code == 404
    org.refresh_from_db()
    team.refresh_from_db()
    agent.refresh_from_db()
    assert org.name == "Acme" and team.name == "Tier 1" and agent.team_id is None
    assert Membership.objects.for_org(org).get(user=viewer).role == Role.VIEWER
    assert Tag.objects.for_org(org).get(pk=tag.pk).merged_into_id is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", NO_SETTINGS_ROLES)
def test_other_roles_see_no_link_to_any_settings_page(role, org, member_factory):
    client = client_for(member_factory(org, role=role))
    page = client.get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    assert "/settings/" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_the_settings_navigation_links_every_section(role, org, member_factory):
    client = client_for(member_factory(org, role=role))
    page = client.get(reverse("settings_home", kwargs={"org_slug": org.slug})).content.decode()
    for name in ("settings_profile", "settings_members", "settings_teams", "settings_agents", "settings_tags",
                 "settings_sla_targets", "settings_business_hours", "api_key_list", "settings_audit"):
        assert f'href="{reverse(name, kwargs={"org_slug": org.slug})}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("role,shown", [(Role.OWNER, True), (Role.ADMIN, True), (Role.MANAGER, False),
                                        (Role.VIEWER, False), (Role.AGENT, False)])
def test_the_header_links_settings_for_owners_and_admins_only(role, shown, org, member_factory):
    client = client_for(member_factory(org, role=role))
    settings_home = reverse("settings_home", kwargs={"org_slug": org.slug})
    page = client.get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    assert (f'href="{settings_home}"' in page) is shown
