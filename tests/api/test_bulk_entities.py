"""Every entity of ``POST /api/v1/<entity>/bulk``: create, idempotent re-send, update, errors."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from accounts.models import Agent, Team
from chats.ingestion.fields import NAIVE_TIMESTAMP, NEGATIVE, NOT_A_CHOICE, REQUIRED
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    Customer,
    Purchase,
    QualityReview,
    Tag,
    Ticket,
    WebsiteTraffic,
)
from surveys.models import SurveyAnswer
from tests.factories import (
    AgentFactory,
    CannedResponseFactory,
    ChatFactory,
    CustomerFactory,
    QualityScorecardFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)

UTC = dt.UTC


def post_bulk(client, entity: str, items):
    # json.dumps escapes to ASCII, so a test can send what JSON can carry but UTF-8 cannot (lone surrogates).
    return client.post(f"/api/v1/{entity}/bulk", json.dumps({"items": items}), content_type="application/json")


def rows(model, org, *fields, keys=None):
    qs = model.objects.for_org(org)
    if keys is not None:
        qs = qs.filter(**{f"{fields[0]}__in": keys})
    return sorted(qs.values_list(*fields))


def _prerequisites(org):
    team = TeamFactory(organization=org, external_id="t-1")
    AgentFactory(organization=org, external_id="a-1", team=team)
    AgentFactory(organization=org, external_id="a-2", team=team)
    CustomerFactory(organization=org, external_id="c-1")
    TagFactory(organization=org, name="billing")
    CannedResponseFactory(organization=org, external_id="cr-1")
    ChatFactory(organization=org, external_id="chat-1", agent=Agent.objects.for_org(org).get(external_id="a-2"))
    TicketFactory(organization=org, external_id="ticket-1")
    QualityScorecardFactory(organization=org)


# entity -> (model, two valid items, a change to item 0, the columns read back after the change,
#            the expected read-back (sorted), a bad item, the expected (field, message))
CASES = {
    "teams": (
        Team, [{"external_id": "t-9", "name": "Tier 1"}, {"external_id": "t-8", "name": "Tier 2"}],
        {"name": "Tier one"}, ("external_id", "name"),
        [("t-8", "Tier 2"), ("t-9", "Tier one")],
        {"external_id": "t-7"}, ("name", REQUIRED),
    ),
    "agents": (
        Agent,
        [{"external_id": "a-9", "name": "Ann", "team": "t-1", "email": "ann@acme.test"},
         {"external_id": "a-8", "name": "Bo", "active": False}],
        {"active": False}, ("external_id", "active"),
        [("a-8", False), ("a-9", False)],
        {"external_id": "a-7", "name": "X", "active": "yes"}, ("active", "true or false is required."),
    ),
    "customers": (
        Customer,
        [{"external_id": "c-9", "acquired_at": "2026-01-05T10:00:00+02:00", "segment": "smb"},
         {"external_id": "c-8", "acquired_at": "2026-01-06T10:00:00Z", "referred_by": "c-9"}],
        {"churned_at": "2026-03-01T00:00:00Z"}, ("external_id", "churned_at"),
        [("c-8", None), ("c-9", dt.datetime(2026, 3, 1, tzinfo=UTC))],
        {"external_id": "c-7", "acquired_at": "2026-01-05T10:00:00"}, ("acquired_at", NAIVE_TIMESTAMP),
    ),
    "purchases": (
        Purchase,
        [{"external_id": "p-9", "customer": "c-1", "amount": 19.9, "purchased_at": "2026-03-02T10:00:00Z"},
         {"external_id": "p-8", "customer": "c-1", "amount": "5", "purchased_at": "2026-03-03T10:00:00Z"}],
        {"amount": 25}, ("external_id", "amount"),
        [("p-8", Decimal("5.00")), ("p-9", Decimal("25.00"))],
        {"external_id": "p-7", "customer": "c-1", "amount": -1, "purchased_at": "2026-03-02T10:00:00Z"},
        ("amount", NEGATIVE),
    ),
    "tags": (
        Tag, [{"name": "refund", "color": "#ff0000"}, {"name": "vip", "high_priority": True}],
        {"category": "money"}, ("name", "category"),
        [("refund", "money"), ("vip", "")],
        {"name": "bad", "color": "red"}, ("color", "A colour like #1a2b3c is required."),
    ),
    "chats": (
        Chat,
        [{"external_id": "chat-9", "requested_at": "2026-03-02T10:00:00Z", "accepted_at": "2026-03-02T10:00:20Z",
          "agent": "a-1", "tags": ["billing"]},
         {"external_id": "chat-8", "requested_at": "2026-03-02T11:00:00Z", "outcome": "missed",
          "missed_reason": "timeout"}],
        {"transfers": 2}, ("external_id", "transfers"),
        [("chat-8", 0), ("chat-9", 2)],
        {"external_id": "chat-7", "requested_at": "2026-03-02T11:00:00Z", "outcome": "won"},
        ("outcome", NOT_A_CHOICE % {"value": "won", "choices": "resolved, escalated, unresolved, missed"}),
    ),
    "tickets": (
        Ticket,
        [{"external_id": "ticket-9", "created_at": "2026-03-02T09:00:00Z", "priority": "high", "tags": ["billing"]},
         {"external_id": "ticket-8", "created_at": "2026-03-02T09:00:00Z", "status": "resolved",
          "resolved_at": "2026-03-03T09:00:00Z"}],
        {"priority": "urgent"}, ("external_id", "priority"),
        [("ticket-8", "normal"), ("ticket-9", "urgent")],
        {"external_id": "ticket-7", "created_at": "2026-03-02T09:00:00Z", "reopened_count": -2},
        ("reopened_count", NEGATIVE),
    ),
    "survey-answers": (
        SurveyAnswer,
        [{"external_id": "s-9", "kind": "csat", "score": 4, "answered_at": "2026-03-02T12:00:00Z", "chat": "chat-1"},
         {"external_id": "s-8", "kind": "nps", "score": 0, "answered_at": "2026-03-02T12:00:00Z"}],
        {"score": 5}, ("external_id", "score"),
        [("s-8", 0), ("s-9", 5)],
        {"external_id": "s-7", "kind": "nps", "answered_at": "2026-03-02T12:00:00Z"}, ("score", REQUIRED),
    ),
    "canned-responses": (
        CannedResponse,
        [{"external_id": "cr-9", "title": "Hello"}, {"external_id": "cr-8", "title": "Bye", "seconds_saved": 12}],
        {"seconds_saved": 30}, ("external_id", "seconds_saved"),
        [("cr-8", 12.0), ("cr-9", 30.0)],
        {"external_id": "cr-7", "title": "X", "seconds_saved": -3}, ("seconds_saved", NEGATIVE),
    ),
    "canned-response-uses": (
        CannedResponseUse,
        [{"external_id": "u-9", "canned_response": "cr-1", "agent": "a-1", "used_at": "2026-03-02T10:05:00Z",
          "chat": "chat-1"},
         {"external_id": "u-8", "canned_response": "cr-1", "agent": "a-1", "used_at": "2026-03-02T10:05:00Z",
          "ticket": "ticket-1"}],
        {"used_at": "2026-03-02T10:06:00Z"}, ("external_id", "used_at"),
        [("u-8", dt.datetime(2026, 3, 2, 10, 5, tzinfo=UTC)), ("u-9", dt.datetime(2026, 3, 2, 10, 6, tzinfo=UTC))],
        {"external_id": "u-7", "canned_response": "cr-404", "agent": "a-1", "used_at": "2026-03-02T10:05:00Z"},
        ("canned_response", "Unknown canned response “cr-404”."),
    ),
    "agent-sessions": (
        AgentSession,
        [{"external_id": "as-9", "agent": "a-1", "started_at": "2026-03-02T08:00:00Z",
          "ended_at": "2026-03-02T16:00:00Z"},
         {"external_id": "as-8", "agent": "a-2", "started_at": "2026-03-02T08:00:00Z",
          "ended_at": "2026-03-02T09:00:00Z", "status": "away"}],
        {"status": "away"}, ("external_id", "status"),
        [("as-8", "away"), ("as-9", "away")],
        {"external_id": "as-7", "agent": "a-1", "started_at": "2026-03-02T08:00:00Z",
         "ended_at": "2026-03-02T07:00:00Z"},
        ("ended_at", "Must not be before started_at."),
    ),
    "website-traffic": (
        WebsiteTraffic, [{"date": "2026-03-02", "visitors": 1200}, {"date": "2026-03-03", "visitors": 900}],
        {"visitors": 1300}, ("date", "visitors"),
        [(dt.date(2026, 3, 2), 1300), (dt.date(2026, 3, 3), 900)],
        {"date": "2026-03-32", "visitors": 1}, ("date", "An ISO 8601 date is required, e.g. 2026-03-02."),
    ),
    "quality-reviews": (
        QualityReview,
        [{"external_id": "r-9", "agent": "a-1", "chat": "chat-1", "reviewed_at": "2026-03-03T09:00:00Z",
          "scores": {"tone": 4, "accuracy": 5}},
         {"external_id": "r-8", "agent": "a-2", "ticket": "ticket-1", "reviewed_at": "2026-03-03T09:00:00Z",
          "scores": {"tone": 3}}],
        {"scores": {"tone": 2, "accuracy": 5}}, ("external_id", "scores"),
        [("r-8", {"tone": 3}), ("r-9", {"tone": 2, "accuracy": 5})],
        {"external_id": "r-7", "agent": "a-1", "reviewed_at": "2026-03-03T09:00:00Z", "scores": {"tone": 6}},
        ("scores.tone", "Must be a number from 0 to 5."),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("entity", CASES)
def test_create_resend_and_update(entity, org, api_client):
    model, items, change, columns, expected, _bad, _error = CASES[entity]
    _prerequisites(org)
    before = model.objects.for_org(org).count()

    first = post_bulk(api_client, entity, items)
    assert first.status_code == 200, first.json()
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert model.objects.for_org(org).count() == before + 2
    snapshot = list(model.objects.for_org(org).order_by("pk").values())

    again = post_bulk(api_client, entity, items)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert list(model.objects.for_org(org).order_by("pk").values()) == snapshot, "a re-send changes no row"

    changed = post_bulk(api_client, entity, [{**items[0], **change}, items[1]])
    assert changed.json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert rows(model, org, *columns, keys=[item[columns[0]] for item in items]) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("entity", CASES)
def test_one_bad_item_rejects_the_batch(entity, org, api_client):
    model, items, _change, _columns, _expected, bad, (field, message) = CASES[entity]
    _prerequisites(org)
    before = model.objects.for_org(org).count()

    response = post_bulk(api_client, entity, [*items, bad])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_items"
    assert error["details"] == [{"index": 2, "field": field, "message": str(message)}]
    assert model.objects.for_org(org).count() == before, "nothing of the batch is written"


@pytest.mark.django_db
def test_a_survey_answer_takes_the_agent_of_its_chat_unless_given(org, api_client):
    _prerequisites(org)
    post_bulk(api_client, "survey-answers", [
        {"external_id": "s-1", "kind": "csat", "score": 5, "answered_at": "2026-03-02T12:00:00Z", "chat": "chat-1"},
        {"external_id": "s-2", "kind": "csat", "score": 5, "answered_at": "2026-03-02T12:00:00Z", "chat": "chat-1",
         "agent": "a-1"},
    ])
    assert rows(SurveyAnswer, org, "external_id", "agent__external_id", "scale") == [
        ("s-1", "a-2", "1-5"), ("s-2", "a-1", "1-5"),
    ]


@pytest.mark.django_db
def test_good_bad_answers_are_stored_as_one_and_zero(org, api_client):
    response = post_bulk(api_client, "survey-answers", [
        {"external_id": "s-1", "kind": "csat", "scale": "good-bad", "score": "good", "answered_at": "2026-03-02T12:00:00Z"},
        {"external_id": "s-2", "kind": "csat", "scale": "good-bad", "score": "bad", "answered_at": "2026-03-02T12:00:00Z"},
        {"external_id": "s-3", "kind": "csat", "scale": "good-bad", "score": 1, "answered_at": "2026-03-02T12:00:00Z"},
    ])
    assert response.status_code == 200, response.json()
    assert rows(SurveyAnswer, org, "external_id", "score") == [("s-1", 1), ("s-2", 0), ("s-3", 1)]


@pytest.mark.django_db
def test_a_customer_may_be_referred_by_a_customer_of_the_same_batch(org, api_client):
    response = post_bulk(api_client, "customers", [
        {"external_id": "c-2", "acquired_at": "2026-01-06T10:00:00Z", "referred_by": "c-3"},
        {"external_id": "c-3", "acquired_at": "2026-01-05T10:00:00Z"},
    ])
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert rows(Customer, org, "external_id", "referred_by__external_id") == [("c-2", "c-3"), ("c-3", None)]


@pytest.mark.django_db
def test_tags_are_replaced_by_the_sent_list(org, api_client):
    for name in ("billing", "refund", "vip"):
        TagFactory(organization=org, name=name)
    chat = {"external_id": "chat-1", "requested_at": "2026-03-02T10:00:00Z"}
    ticket = {"external_id": "ticket-1", "created_at": "2026-03-02T10:00:00Z"}
    post_bulk(api_client, "chats", [{**chat, "tags": ["billing", "refund"]}])
    post_bulk(api_client, "tickets", [{**ticket, "tags": ["vip"]}])

    post_bulk(api_client, "chats", [{**chat, "tags": ["refund", "vip"]}])
    post_bulk(api_client, "tickets", [{**ticket, "tags": []}])

    assert sorted(Chat.objects.for_org(org).get().tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert list(Ticket.objects.for_org(org).get().tags.all()) == []


@pytest.mark.django_db
def test_a_review_without_an_active_scorecard_is_refused(org, api_client):
    AgentFactory(organization=org, external_id="a-1")
    response = post_bulk(api_client, "quality-reviews", [
        {"external_id": "r-1", "agent": "a-1", "reviewed_at": "2026-03-03T09:00:00Z", "scores": {"tone": 4}},
    ])
    assert response.status_code == 400
    from chats.ingestion.entities import NO_ACTIVE_SCORECARD

    assert response.json()["error"]["details"] == [
        {"index": 0, "field": "scores", "message": str(NO_ACTIVE_SCORECARD)},
    ]
    assert QualityReview.objects.for_org(org).count() == 0
