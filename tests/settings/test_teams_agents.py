import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Agent, AuditKind, AuditLogEntry, Role, Team
from reports.models import DirtyDay
from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    ChatFactory,
    TeamFactory,
    TicketFactory,
)

UTC = dt.UTC


def dirty_days(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


@pytest.mark.django_db
def test_create_rename_and_deactivate_a_team_each_audited(org, org_admin, org_admin_client):
    slug = org.slug
    response = org_admin_client.post(reverse("settings_team_create", kwargs={"org_slug": slug}), {"name": " Tier 1 "})
    assert response.status_code == 302
    team = Team.objects.for_org(org).get()
    assert (team.name, team.external_id, team.active) == ("Tier 1", "tier-1", True)
    edit = reverse("settings_team_edit", kwargs={"org_slug": slug, "team_id": team.pk})
    assert org_admin_client.post(edit, {"name": "First line", "active": "on"}).status_code == 302
    assert org_admin_client.post(edit, {"name": "First line"}).status_code == 302  # unchecked: inactive
    team.refresh_from_db()
    assert (team.name, team.active) == ("First line", False)
    rows = list(AuditLogEntry.objects.for_org(org).order_by("pk").values_list("kind", "actor", "changes"))
    assert rows == [
        (AuditKind.TEAM_CREATED, org_admin.pk, {"name": [None, "Tier 1"], "external_id": [None, "tier-1"]}),
        (AuditKind.TEAM_UPDATED, org_admin.pk, {"name": ["Tier 1", "First line"]}),
        (AuditKind.TEAM_UPDATED, org_admin.pk, {"active": [True, False]}),
    ]
    # Nothing about a team's name or status is in the snapshots.
    assert dirty_days(org) == set()


@pytest.mark.django_db
def test_team_names_and_external_ids_must_be_unique(org, org_admin_client):
    TeamFactory(organization=org, name="Tier 1", external_id="t1")
    create = reverse("settings_team_create", kwargs={"org_slug": org.slug})
    response = org_admin_client.post(create, {"name": "tier 1"})
    assert response.context["form"].errors["name"] == ["A team named “tier 1” already exists."]
    response = org_admin_client.post(create, {"name": "Tier 2", "external_id": "t1"})
    assert response.context["form"].errors["external_id"] == ["The external id “t1” is already used by another team."]
    response = org_admin_client.post(create, {"name": ""})
    assert response.context["form"].errors["name"] == ["Give the team a name."]
    assert Team.objects.for_org(org).count() == 1


@pytest.mark.django_db
def test_moving_an_agent_marks_the_days_they_worked(org, org_admin_client):
    old, new = TeamFactory(organization=org, name="Old"), TeamFactory(organization=org, name="New")
    agent = AgentFactory(organization=org, team=old, name="Aino")
    # Helsinki (UTC+2): chat on local 03-02, ticket created 03-04 and resolved 03-06, a session
    # on 03-09. The move marks 03-02 .. 03-09.
    ChatFactory(organization=org, agent=agent, requested_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC))
    TicketFactory(organization=org, agent=agent, created_at=dt.datetime(2026, 3, 4, 10, tzinfo=UTC),
                  resolved_at=dt.datetime(2026, 3, 6, 10, tzinfo=UTC), status="resolved")
    AgentSessionFactory(organization=org, agent=agent, started_at=dt.datetime(2026, 3, 9, 8, tzinfo=UTC),
                        ended_at=dt.datetime(2026, 3, 9, 9, tzinfo=UTC))
    ChatFactory(organization=org, agent=AgentFactory(organization=org), requested_at=dt.datetime(2026, 3, 20, 10, tzinfo=UTC))
    DirtyDay.objects.for_org(org).delete()
    url = reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": agent.pk})
    response = org_admin_client.post(url, {"team": new.pk}, follow=True)
    assert "their team figures are being rebuilt for 8 days" in response.content.decode()
    agent.refresh_from_db()
    assert agent.team == new
    assert dirty_days(org) == {dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(8)}
    entry = AuditLogEntry.objects.for_org(org).get()
    assert (entry.kind, entry.changes) == (AuditKind.AGENT_UPDATED, {"team": ["Old", "New"]})


@pytest.mark.django_db
def test_linking_an_agent_to_a_member(org, org_admin_client, member_factory):
    user = member_factory(org, role=Role.AGENT)
    agent, other = AgentFactory(organization=org, name="Aino"), AgentFactory(organization=org, name="Bea")
    url = reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": agent.pk})
    assert org_admin_client.post(url, {"team": agent.team_id, "user": user.pk}).status_code == 302
    agent.refresh_from_db()
    assert agent.user == user
    assert AuditLogEntry.objects.for_org(org).get().changes == {"user": [None, user.email]}
    assert dirty_days(org) == set()  # who sees an agent's figures changes no figure
    # One member, one agent: linking them to a second agent names the first.
    url_other = reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": other.pk})
    response = org_admin_client.post(url_other, {"team": other.team_id, "user": user.pk})
    assert response.context["form"].errors["user"] == [f"{user.email} is already linked to the agent “Aino”."]


@pytest.mark.django_db
def test_an_agent_cannot_be_linked_to_a_non_member_or_moved_to_another_orgs_team(org, other_org, org_admin_client,
                                                                                  member_factory):
    outsider = member_factory(other_org, role=Role.AGENT)
    their_team = TeamFactory(organization=other_org)
    agent = AgentFactory(organization=org)
    url = reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": agent.pk})
    response = org_admin_client.post(url, {"user": outsider.pk})
    assert "Select a valid choice." in response.context["form"].errors["user"][0]
    response = org_admin_client.post(url, {"team": their_team.pk})
    assert "Select a valid choice." in response.context["form"].errors["team"][0]
    agent.refresh_from_db()
    assert agent.user is None and agent.team.organization_id == org.pk
    theirs = AgentFactory(organization=other_org)
    assert org_admin_client.get(reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": theirs.pk})
                                ).status_code == 404


@pytest.mark.django_db
def test_an_inactive_team_is_not_offered(org, org_admin_client):
    inactive = TeamFactory(organization=org, name="Gone", active=False)
    agent = AgentFactory(organization=org)
    url = reverse("settings_agent_edit", kwargs={"org_slug": org.slug, "agent_id": agent.pk})
    response = org_admin_client.post(url, {"team": inactive.pk})
    assert "team" in response.context["form"].errors
    assert Agent.objects.for_org(org).get(pk=agent.pk).team_id != inactive.pk
