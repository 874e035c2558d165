"""GET /api/v1/<entity>/ and /<id>/: output fields, filters, pagination, tenant isolation."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from chats.api.filters import OUT_OF_RANGE
from chats.api.read_views import ReadCursorPagination
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


def _tag(conversation, tag):
    conversation.tags.add(tag, through_defaults={"organization": conversation.organization})


@pytest.fixture
def graph(org):
    """One row of every entity in ``org``, all referencing each other."""
    team = TeamFactory(organization=org, external_id="t-1", name="Tier 1")
    agent = AgentFactory(organization=org, external_id="a-1", name="Ada", email="ada@acme.test", team=team)
    referrer = CustomerFactory(organization=org, external_id="c-0", acquired_at=dt.datetime(2024, 5, 1, tzinfo=UTC))
    customer = CustomerFactory(
        organization=org, external_id="c-1", name="Globex", segment="enterprise", referred_by=referrer,
        acquired_at=dt.datetime(2025, 1, 1, tzinfo=UTC),
    )
    tag = TagFactory(organization=org, name="billing", color="#ff0000", category="topic", high_priority=True)
    chat = ChatFactory(
        organization=org, external_id="chat-1", agent=agent, first_agent=agent, team=team, customer=customer,
        requested_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC), messages_visitor=3, messages_agent=4,
    )
    _tag(chat, tag)
    ticket = TicketFactory(
        organization=org, external_id="tk-1", agent=agent, team=team, customer=customer, priority="high",
        status="resolved", resolved_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
    )
    _tag(ticket, tag)
    canned = CannedResponseFactory(organization=org, external_id="cr-1", title="Refunds", seconds_saved=20)
    return {
        "team": team, "agent": agent, "customer": customer, "tag": tag, "chat": chat, "ticket": ticket,
        "canned": canned,
        "purchase": PurchaseFactory(organization=org, external_id="p-1", customer=customer, amount="149.00"),
        "answer": SurveyAnswerFactory(organization=org, external_id="s-1", chat=chat, agent=agent, customer=customer, score=4),
        "use": CannedResponseUseFactory(organization=org, external_id="u-1", canned_response=canned, agent=agent, ticket=ticket),
        "session": AgentSessionFactory(organization=org, external_id="sess-1", agent=agent),
        "traffic": WebsiteTrafficFactory(organization=org, date=dt.date(2026, 3, 2), visitors=1840),
        "review": QualityReviewFactory(organization=org, external_id="qr-1", agent=agent, chat=chat, reviewer="Lead"),
    }


# entity -> (retrieve id, expected representation), hand-written from the graph above.
EXPECTED = {
    "teams": ("t-1", {"external_id": "t-1", "name": "Tier 1"}),
    "agents": ("a-1", {"external_id": "a-1", "name": "Ada", "email": "ada@acme.test", "team": "t-1", "active": True}),
    "purchases": ("p-1", {"external_id": "p-1", "customer": "c-1", "amount": "149.00", "purchased_at": "2026-03-02T12:00:00Z"}),
    "tags": ("billing", {"name": "billing", "color": "#ff0000", "category": "topic", "high_priority": True}),
    "survey-answers": ("s-1", {
        "external_id": "s-1", "kind": "csat", "score": 4, "answered_at": "2026-03-02T12:00:00Z", "scale": "1-5",
        "chat": "chat-1", "ticket": None, "agent": "a-1", "customer": "c-1", "comment": "", "responded_at": None,
        "segment": "", "touchpoint": "",
    }),
    "canned-responses": ("cr-1", {"external_id": "cr-1", "title": "Refunds", "text": "Thank you for contacting us, we are looking into it.", "seconds_saved": 20.0}),
    "canned-response-uses": ("u-1", {
        "external_id": "u-1", "canned_response": "cr-1", "agent": "a-1", "used_at": "2026-03-02T10:05:00Z",
        "chat": None, "ticket": "tk-1",
    }),
    "agent-sessions": ("sess-1", {
        "external_id": "sess-1", "agent": "a-1", "started_at": "2026-03-02T08:00:00Z",
        "ended_at": "2026-03-02T16:00:00Z", "status": "online",
    }),
    "website-traffic": ("2026-03-02", {"date": "2026-03-02", "visitors": 1840}),
    "quality-reviews": ("qr-1", {
        "external_id": "qr-1", "chat": "chat-1", "ticket": None, "agent": "a-1", "reviewed_at": "2026-03-03T09:00:00Z",
        "reviewer": "Lead", "scores": {"tone": 4.0, "accuracy": 5.0},
    }),
}


@pytest.mark.django_db
@pytest.mark.parametrize("entity", sorted(EXPECTED))
def test_list_and_retrieve(entity, graph, api_client):
    lookup, expected = EXPECTED[entity]
    listing = api_client.get(f"/api/v1/{entity}/")
    assert listing.status_code == 200
    assert listing.json() == {"next": None, "previous": None, "results": [expected]}
    detail = api_client.get(f"/api/v1/{entity}/{lookup}/")
    assert detail.status_code == 200
    assert detail.json() == expected


@pytest.mark.django_db
def test_a_chat_renders_references_as_external_ids_and_tags_as_names(graph, api_client):
    body = api_client.get("/api/v1/chats/chat-1/").json()
    assert body == {
        "external_id": "chat-1", "requested_at": "2026-03-02T10:00:00Z", "accepted_at": "2026-03-02T10:00:20Z",
        "first_response_at": "2026-03-02T10:00:30Z", "ended_at": "2026-03-02T10:10:20Z",
        "closed_at": "2026-03-02T10:11:20Z", "agent": "a-1", "first_agent": "a-1", "team": "t-1",
        "customer": "c-1", "channel": "chat", "initiated_by": "visitor", "outcome": "resolved",
        "missed_reason": "", "messages_visitor": 3, "messages_agent": 4, "response_time_total_s": 0.0,
        "response_count": 0, "transfers": 0, "tags": ["billing"], "converted_at": None,
        "conversion_value": None, "conversion_after_follow_up": False, "time_on_site_before_chat_s": None,
        "page_url": "",
    }


@pytest.mark.django_db
def test_tickets_and_customers(graph, api_client):
    ticket = api_client.get("/api/v1/tickets/tk-1/").json()
    assert (ticket["priority"], ticket["status"], ticket["tags"], ticket["resolved_at"]) == (
        "high", "resolved", ["billing"], "2026-03-03T09:00:00Z",
    )
    customers = api_client.get("/api/v1/customers/").json()["results"]
    # Ordered by acquired_at: the referrer (2024) first.
    assert [(c["external_id"], c["referred_by"]) for c in customers] == [("c-0", None), ("c-1", "c-0")]


@pytest.mark.django_db
def test_chat_filters(org, api_client):
    a1, a2 = AgentFactory(organization=org, external_id="a-1"), AgentFactory(organization=org, external_id="a-2")
    vip = TagFactory(organization=org, name="vip")
    mar1 = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    ChatFactory(organization=org, external_id="early", agent=a1, requested_at=mar1)
    late = ChatFactory(organization=org, external_id="late", agent=a2, requested_at=mar1 + dt.timedelta(days=1))
    _tag(late, vip)
    ChatFactory(organization=org, external_id="missed", agent=a1, requested_at=mar1 + dt.timedelta(days=2),
                accepted_at=None, first_response_at=None, ended_at=None, closed_at=None, channel="chat")

    def ids(query):
        response = api_client.get(f"/api/v1/chats/?{query}")
        assert response.status_code == 200, response.content
        return [c["external_id"] for c in response.json()["results"]]

    assert ids("agent=a-1") == ["early", "missed"]
    assert ids("tag=vip") == ["late"]
    assert ids("outcome=missed") == ["missed"]
    # Half-open: *_after inclusive, *_before exclusive.
    assert ids("requested_after=2026-03-02T12:00:00Z") == ["late", "missed"]
    assert ids("requested_before=2026-03-02T12:00:00%2B00:00") == ["early"]
    assert ids("requested_after=2026-03-02T14:00:00%2B02:00&requested_before=2026-03-03T00:00:00Z") == ["late"]
    assert ids("agent=nobody") == []


@pytest.mark.django_db
def test_ticket_and_survey_filters(org, api_client):
    TicketFactory(organization=org, external_id="low", priority="low", status="open")
    TicketFactory(organization=org, external_id="urgent", priority="urgent", status="pending",
                  created_at=dt.datetime(2026, 3, 5, tzinfo=UTC))
    SurveyAnswerFactory(organization=org, external_id="n", kind="nps", scale="0-10", score=9)
    SurveyAnswerFactory(organization=org, external_id="c", kind="csat")
    assert [t["external_id"] for t in api_client.get("/api/v1/tickets/?priority=urgent").json()["results"]] == ["urgent"]
    assert [t["external_id"] for t in api_client.get("/api/v1/tickets/?created_after=2026-03-04T00:00:00Z").json()["results"]] == ["urgent"]
    assert [a["external_id"] for a in api_client.get("/api/v1/survey-answers/?kind=nps").json()["results"]] == ["n"]


@pytest.mark.django_db
def test_a_bad_filter_value_is_400_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/tickets/?priority=whenever&created_after=yesterday")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {d["field"] for d in error["details"]} == {"priority", "created_after"}


@pytest.mark.django_db
def test_cursor_pagination_walks_every_row_once_in_time_order(org, api_client):
    start = dt.datetime(2026, 3, 1, tzinfo=UTC)
    agent = AgentFactory(organization=org)
    # Five chats in the same second (ties broken by id) and two later ones, created out of order.
    for i in (6, 5):
        ChatFactory(organization=org, external_id=f"c{i}", agent=agent, requested_at=start + dt.timedelta(hours=i))
    for i in range(5):
        ChatFactory(organization=org, external_id=f"tie{i}", agent=agent, requested_at=start)
    seen, url, pages = [], "/api/v1/chats/?page_size=3", 0
    while url:
        body = api_client.get(url).json()
        seen += [c["external_id"] for c in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == ["tie0", "tie1", "tie2", "tie3", "tie4", "c5", "c6"]
    assert pages == 3


@pytest.mark.django_db
def test_page_size_defaults_to_100_and_is_capped_at_1000(org, api_client):
    paginator, factory = ReadCursorPagination(), APIRequestFactory()
    assert paginator.get_page_size(Request(factory.get("/", {"page_size": "5000"}))) == 1000
    assert paginator.get_page_size(Request(factory.get("/"))) == 100
    TeamFactory.create_batch(3, organization=org)
    assert len(api_client.get("/api/v1/teams/?page_size=2").json()["results"]) == 2


@pytest.mark.django_db
def test_an_invalid_cursor_is_404_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/chats/?cursor=garbage")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_page_costs_a_fixed_number_of_queries(org, api_client):
    agent = AgentFactory(organization=org)
    tag = TagFactory(organization=org)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api_client.get("/api/v1/chats/").status_code == 200
        return len(ctx)

    _tag(ChatFactory(organization=org, agent=agent, first_agent=agent), tag)
    count()  # the key's first use also records last_used_at
    one = count()
    for _ in range(10):
        _tag(ChatFactory(organization=org, agent=agent, first_agent=agent, customer=CustomerFactory(organization=org)), tag)
    assert count() == one


@pytest.mark.django_db
def test_a_write_only_key_cannot_list(org, api_client_for):
    response = api_client_for(org, scopes={"write"}).get("/api/v1/chats/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_unknown_api_urls_and_methods_answer_in_the_error_shape(api_client):
    missing = api_client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json() == {"error": {"code": "not_found", "message": "Not found.", "details": []}}
    not_allowed = api_client.delete("/api/v1/chats/")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["error"]["code"] == "method_not_allowed"
    assert api_client.get("/api/v1/website-traffic/2026-02-30/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["4322-10-07T04:01:03%2B22:07", "9999-12-31T23:59:59-05:00"])
def test_times_postgres_cannot_hold_are_400_not_500(api_client, value):
    # Found by schemathesis: an offset of +22:07 is valid Python but refused by PostgreSQL, and
    # a time just before the year 10000 overflows when converted to UTC.
    response = api_client.get(f"/api/v1/survey-answers/?answered_after={value}")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [{"field": "answered_after", "message": str(OUT_OF_RANGE)}]


@pytest.mark.django_db
def test_a_time_with_an_offset_filters_by_the_same_instant(org, api_client):
    SurveyAnswerFactory(organization=org, external_id="x", answered_at=dt.datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert len(api_client.get("/api/v1/survey-answers/?answered_after=2026-03-02T14:00:00%2B02:00").json()["results"]) == 1
    assert api_client.get("/api/v1/survey-answers/?answered_after=2026-03-02T14:00:01%2B02:00").json()["results"] == []
