"""Who sees which drill-down (issue 16 item 10; tests for every role): roles that view reports
see every list and timeline; an agent-role member whose login is an agent's sees only lists of
that agent and timelines of their own conversations; an agent-role member without an agent,
other organizations and missing rows get the same 404."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Agent, Role
from chats.models import Chat, Ticket
from reports.drilldown.links import drilldown_url
from reports.snapshots import snapshots_rebuild
from tests.factories import ChatFactory, MembershipFactory
from tests.reports.dataset import MONDAY, build_week, local

pytestmark = pytest.mark.django_db
QUERY = {"from": MONDAY.isoformat(), "to": (MONDAY + dt.timedelta(days=2)).isoformat()}
LISTS = ("drilldown_chats", "drilldown_tickets", "drilldown_answers", "drilldown_canned_uses")


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY + dt.timedelta(days=2))
    return objects


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lists(org, **query):
    return [reverse(name, kwargs={"org_slug": org.slug}) + "?" + "&".join(f"{k}={v}" for k, v in {**QUERY, **query}.items())
            for name in LISTS]


def timelines(org):
    chats = [reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": c.pk}) for c in Chat.objects.for_org(org)]
    tickets = [reverse("ticket_timeline", kwargs={"org_slug": org.slug, "ticket_id": t.pk}) for t in Ticket.objects.for_org(org)]
    return chats + tickets


@pytest.fixture
def agent_client(org, week, member_factory):
    """The agent-role member whose login is agent a1's (Aino)."""
    user = member_factory(org, role=Role.AGENT)
    Agent.objects.for_org(org).filter(external_id="a1").update(user=user)
    return client_for(user)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MANAGER, Role.VIEWER])
def test_report_roles_see_every_list_and_timeline(org, week, role_client, role):
    client = role_client(role)
    for url in lists(org) + lists(org, team="Tier+2") + timelines(org):
        assert client.get(url).status_code == 200, url
    assert client.get(lists(org)[0]).context["paginator"].count == 5


def test_an_agent_sees_only_their_own_lists(org, agent_client):
    chats = reverse("drilldown_chats", kwargs={"org_slug": org.slug})
    own = agent_client.get(drilldown_url(organization=org, metric_id="chats_total", query={**QUERY, "agent": "a1"}))
    assert own.status_code == 200 and own.context["paginator"].count == 2  # c1, c2
    # Without an agent filter the list is still only theirs, and says so.
    implied = agent_client.get(f"{chats}?from={QUERY['from']}&to={QUERY['to']}")
    assert implied.context["paginator"].count == 2
    assert implied.context["heading"].startswith("Chats of agent Aino")
    assert agent_client.get(f"{chats}?from={QUERY['from']}&to={QUERY['to']}&agent=Aino").status_code == 200
    for url in lists(org):
        assert agent_client.get(url).status_code == 200, url
    # Another agent's list, a team's, a channel's, a tag's: the same 404 as a missing page.
    for query in ({"agent": "a2"}, {"agent": "nobody"}, {"team": "Tier+1"}, {"channel": "chat"}, {"tag": "billing"}):
        for url in lists(org, **query):
            assert agent_client.get(url).status_code == 404, url
    assert agent_client.get(own.wsgi_request.get_full_path() + "&export=csv").status_code == 200


def test_an_agent_sees_only_their_own_timelines(org, agent_client):
    a1 = Agent.objects.for_org(org).get(external_id="a1")
    for chat in Chat.objects.for_org(org):
        url = reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": chat.pk})
        assert agent_client.get(url).status_code == (200 if chat.agent_id == a1.pk else 404), url
    for ticket in Ticket.objects.for_org(org):
        url = reverse("ticket_timeline", kwargs={"org_slug": org.slug, "ticket_id": ticket.pk})
        assert agent_client.get(url).status_code == (200 if ticket.agent_id == a1.pk else 404), url
    # A chat they took first and transferred on is theirs too.
    a2 = Agent.objects.for_org(org).get(external_id="a2")
    passed_on = ChatFactory(organization=org, agent=a2, first_agent=a1, requested_at=local(MONDAY, 16), transfers=1)
    url = reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": passed_on.pk})
    assert agent_client.get(url).status_code == 200


def test_an_agent_member_without_an_agent_sees_nothing(org, week, member_factory):
    client = client_for(member_factory(org, role=Role.AGENT))
    for url in lists(org) + timelines(org):
        assert client.get(url).status_code == 404, url


def test_other_organizations_and_missing_rows_are_the_same_404(org, other_org, week, member_factory):
    outsider = client_for(member_factory(other_org, role=Role.OWNER))
    for url in lists(org) + timelines(org):
        assert outsider.get(url).status_code == 404, url
    # Another organization's chat under one's own organization: as a missing one.
    theirs = ChatFactory(organization=other_org)
    manager = client_for(member_factory(org, role=Role.MANAGER))
    missing = max(Chat.unscoped.values_list("pk", flat=True)) + 1000
    for chat_id in (theirs.pk, missing):
        assert manager.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": chat_id})).status_code == 404
    # A member of both sees each organization's rows only under its own slug.
    user = member_factory(org, role=Role.MANAGER)
    MembershipFactory(organization=other_org, user=user, role=Role.MANAGER)
    both = client_for(user)
    assert both.get(reverse("chat_timeline", kwargs={"org_slug": other_org.slug, "chat_id": theirs.pk})).status_code == 200
    assert both.get(reverse("chat_timeline", kwargs={"org_slug": org.slug, "chat_id": theirs.pk})).status_code == 404
    # Filters name the organization's own agents only: another's agent id is unknown here.
    response = both.get(lists(org, agent=theirs.agent.external_id)[0])
    assert response.status_code == 400


def test_anonymous_users_log_in_first(org, week, anonymous_client):
    for url in lists(org) + timelines(org)[:2]:
        response = anonymous_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
