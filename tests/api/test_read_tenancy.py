"""A key of organization A reads A's rows only; B's ids are the same 404 as missing ones."""

import datetime as dt

import pytest

from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    CannedResponseFactory,
    CannedResponseUseFactory,
    ChatFactory,
    CustomerFactory,
    PurchaseFactory,
    QualityReviewFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    WebsiteTrafficFactory,
)

UTC = dt.UTC

# entity -> (factory, lookup attribute); the same external ids exist in both organizations
# where the factory allows, so a lookup that forgot the organization would find two rows.
ENTITIES = {
    "teams": (TeamFactory, "external_id"),
    "agents": (AgentFactory, "external_id"),
    "customers": (CustomerFactory, "external_id"),
    "purchases": (PurchaseFactory, "external_id"),
    "tags": (TagFactory, "name"),
    "chats": (ChatFactory, "external_id"),
    "tickets": (TicketFactory, "external_id"),
    "survey-answers": (SurveyAnswerFactory, "external_id"),
    "canned-responses": (CannedResponseFactory, "external_id"),
    "canned-response-uses": (CannedResponseUseFactory, "external_id"),
    "agent-sessions": (AgentSessionFactory, "external_id"),
    "website-traffic": (WebsiteTrafficFactory, "date"),
    "quality-reviews": (QualityReviewFactory, "external_id"),
}


def _lookup(obj, attr):
    value = getattr(obj, attr)
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.mark.django_db
@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_a_key_lists_its_own_rows_and_another_organizations_id_is_404(entity, org, other_org, api_client_for):
    factory, attr = ENTITIES[entity]
    ours = factory(organization=org)
    theirs = factory(organization=other_org)
    if attr == "date":
        theirs.date = dt.date(2026, 1, 15)
        theirs.save()
    client = api_client_for(org)

    results = client.get(f"/api/v1/{entity}/").json()["results"]
    assert [r[attr] for r in results] == [_lookup(ours, attr)]
    response = client.get(f"/api/v1/{entity}/{_lookup(theirs, attr)}/")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "message": "Not found.", "details": []}
    assert client.get(f"/api/v1/{entity}/no-such-id/").json() == response.json()


@pytest.mark.django_db
def test_the_same_external_id_in_two_organizations_resolves_to_the_keys_own(org, other_org, api_client_for):
    TeamFactory(organization=org, external_id="shared", name="Ours")
    TeamFactory(organization=other_org, external_id="shared", name="Theirs")
    assert api_client_for(org).get("/api/v1/teams/shared/").json()["name"] == "Ours"
    assert api_client_for(other_org).get("/api/v1/teams/shared/").json()["name"] == "Theirs"


@pytest.mark.django_db
def test_filters_by_another_organizations_references_match_nothing(org, other_org, api_client_for):
    ChatFactory(organization=org, agent=AgentFactory(organization=org, external_id="a-ours"))
    their_agent = AgentFactory(organization=other_org, external_id="a-theirs", team__external_id="t-theirs")
    their_customer = CustomerFactory(organization=other_org, external_id="c-theirs")
    their_chat = ChatFactory(organization=other_org, agent=their_agent, team=their_agent.team, customer=their_customer)
    their_chat.tags.add(TagFactory(organization=other_org, name="theirs-only"), through_defaults={"organization": other_org})
    TicketFactory(organization=other_org, agent=their_agent)
    client = api_client_for(org)

    for query in ("agent=a-theirs", "team=t-theirs", "customer=c-theirs", "tag=theirs-only"):
        assert client.get(f"/api/v1/chats/?{query}").json()["results"] == [], query
    assert client.get("/api/v1/tickets/?agent=a-theirs").json()["results"] == []
    assert client.get("/api/v1/agents/?team=t-theirs").json()["results"] == []
    assert [c["agent"] for c in client.get("/api/v1/chats/?agent=a-ours").json()["results"]] == ["a-ours"]


@pytest.mark.django_db
@pytest.mark.parametrize("measure", ["chat_first_response", "ticket_resolution"])
def test_a_key_lists_only_its_own_organizations_sla_breaches(measure, org, other_org, api_client_for):
    """The same breaching rows, with the same external ids, in both organizations: each key sees
    its own only; B's key sees nothing of A's (an empty list, as every list of the API)."""
    late = {"chat_first_response": lambda o: ChatFactory(
                organization=o, external_id="late", requested_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
                accepted_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC), first_response_at=dt.datetime(2026, 3, 2, 11, tzinfo=UTC)),
            "ticket_resolution": lambda o: TicketFactory(
                organization=o, external_id="late", priority="urgent", created_at=dt.datetime(2026, 3, 2, 1, tzinfo=UTC),
                resolved_at=dt.datetime(2026, 3, 2, 20, tzinfo=UTC), status="resolved")}[measure]
    ours = late(org)
    params = {"measure": measure, "from": "2026-03-01", "to": "2026-03-03"}
    url = "/api/v1/metrics/sla-breaches/"

    assert api_client_for(other_org).get(url, params).json()["results"] == []
    theirs = late(other_org)
    for organization, row in ((org, ours), (other_org, theirs)):
        results = api_client_for(organization).get(url, params).json()["results"]
        assert [(r["conversation"], r["agent"]) for r in results] == [("late", row.agent.external_id)]
    # Naming the other organization's agent is an unknown agent, not an empty list of theirs.
    response = api_client_for(org).get(url, {**params, "agent": theirs.agent.name})
    assert response.status_code == 400
