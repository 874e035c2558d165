"""The bad-input matrix of bulk ingestion: each gives its specific error and writes nothing."""

import pytest

from chats.ingestion.entities import (
    ONE_CONVERSATION,
    RESOLVED_WITHOUT_TIME,
    SCALE_NOT_FOR_KIND,
    SCORE_OUT_OF_SCALE,
)
from chats.ingestion.fields import (
    NAIVE_TIMESTAMP,
    NEGATIVE,
    NOT_A_CHOICE,
    NOT_A_NUMBER,
    NOT_A_STRING,
    NOT_A_TIMESTAMP,
    NOT_AN_INTEGER,
    NOT_TEXT,
    TOO_LARGE,
    UNKNOWN_FIELD,
)
from chats.ingestion.framework import (
    DUPLICATE_KEY,
    ITEM_NOT_AN_OBJECT,
    ITEMS_NOT_A_LIST,
    NO_ITEMS,
    TOO_MANY_ITEMS,
)
from chats.ingestion.messages import MESSAGE_BEFORE_REQUEST, NOT_AN_AUTHOR
from chats.models import Chat, Ticket
from reports.models import DirtyDay
from surveys.models import SurveyAnswer
from tests.api.test_bulk_entities import post_bulk
from tests.factories import AgentFactory, TagFactory

CHAT = {"external_id": "chat-1", "requested_at": "2026-03-02T10:00:00+02:00", "agent": "a-1"}
TICKET = {"external_id": "ticket-1", "created_at": "2026-03-02T10:00:00Z"}
ANSWER = {"external_id": "s-1", "kind": "csat", "score": 5, "answered_at": "2026-03-02T12:00:00Z"}

# (entity, bad item, field, message)
MATRIX = [
    ("chats", {**CHAT, "requested_at": 1772438400}, "requested_at", NOT_A_TIMESTAMP),
    ("chats", {**CHAT, "requested_at": "2026-03-02 10:00"}, "requested_at", NAIVE_TIMESTAMP),
    ("chats", {**CHAT, "requested_at": "yesterday"}, "requested_at", NOT_A_TIMESTAMP),
    ("chats", {**CHAT, "transfers": "2"}, "transfers", NOT_AN_INTEGER),
    ("chats", {**CHAT, "transfers": 1.5}, "transfers", NOT_AN_INTEGER),
    ("chats", {**CHAT, "response_time_total_s": "fast"}, "response_time_total_s", NOT_A_NUMBER),
    ("chats", {**CHAT, "agent": 7}, "agent", NOT_A_STRING),
    ("chats", {**CHAT, "channel": "fax"}, "channel",
     NOT_A_CHOICE % {"value": "fax", "choices": "chat, email, phone, social, web, other"}),
    ("chats", {**CHAT, "agent": "nobody"}, "agent", "Unknown agent “nobody”."),
    ("chats", {**CHAT, "tags": ["no-such-tag"]}, "tags", "Unknown tag “no-such-tag”."),
    ("chats", {**CHAT, "accepted_at": "2026-03-02T09:59:00+02:00"}, "accepted_at", "Must not be before requested_at."),
    ("chats", {**CHAT, "first_response_at": "2026-03-02T07:59:59Z"}, "first_response_at",
     "Must not be before requested_at."),
    ("chats", {**CHAT, "accepted_at": "2026-03-02T08:00:10Z", "ended_at": "2026-03-02T08:00:05Z"}, "ended_at",
     "Must not be before accepted_at."),
    ("chats", {**CHAT, "ended_at": "2026-03-02T08:10:00Z", "closed_at": "2026-03-02T08:09:00Z"}, "closed_at",
     "Must not be before ended_at."),
    ("chats", {**CHAT, "response_time_total_s": -5}, "response_time_total_s", NEGATIVE),
    ("chats", {**CHAT, "time_on_site_before_chat_s": -0.5}, "time_on_site_before_chat_s", NEGATIVE),
    ("chats", {**CHAT, "messages": [{"author": "agent", "sent_at": "2026-03-02T07:59:00Z"}]}, "messages",
     MESSAGE_BEFORE_REQUEST),
    ("chats", {**CHAT, "messages": [{"author": "customer", "sent_at": "2026-03-02T08:01:00Z"}]},
     "messages[0].author", NOT_AN_AUTHOR % {"value": "customer"}),
    ("chats", {**CHAT, "messages": [{"author": "agent", "sent_at": "2026-03-02T08:01:00"}]},
     "messages[0].sent_at", NAIVE_TIMESTAMP),
    ("chats", {**CHAT, "colour": "red"}, "colour", UNKNOWN_FIELD),
    ("chats", {**CHAT, "col\udbb1": "red"}, "col\\udbb1", UNKNOWN_FIELD),
    ("chats", {**CHAT, "external_id": "chat-\x00"}, "external_id", NOT_TEXT),
    ("chats", {**CHAT, "agent": "a-\udbb1"}, "agent", NOT_TEXT),
    ("chats", {**CHAT, "transfers": 2**40}, "transfers", TOO_LARGE % {"max": 2_147_483_647}),
    ("chats", ["chat-1"], None, ITEM_NOT_AN_OBJECT),
    ("tickets", {**TICKET, "resolved_at": "2026-03-01T10:00:00Z"}, "resolved_at", "Must not be before created_at."),
    ("tickets", {**TICKET, "status": "closed"}, "resolved_at", RESOLVED_WITHOUT_TIME % {"status": "closed"}),
    ("survey-answers", {**ANSWER, "score": 6}, "score",
     SCORE_OUT_OF_SCALE % {"score": 6, "scale": "1-5", "low": 1, "high": 5}),
    ("survey-answers", {**ANSWER, "kind": "nps", "score": 11}, "score",
     SCORE_OUT_OF_SCALE % {"score": 11, "scale": "0-10", "low": 0, "high": 10}),
    ("survey-answers", {**ANSWER, "kind": "nps", "scale": "1-5"}, "scale",
     SCALE_NOT_FOR_KIND % {"scale": "1-5", "kind": "nps", "scales": "0-10"}),
    ("survey-answers", {**ANSWER, "responded_at": "2026-03-02T11:00:00Z"}, "responded_at",
     "Must not be before answered_at."),
    ("survey-answers", {**ANSWER, "chat": "chat-0", "ticket": "ticket-0"}, "ticket", ONE_CONVERSATION),
]


@pytest.fixture
def existing(org):
    AgentFactory(organization=org, external_id="a-1")
    TagFactory(organization=org, name="billing")
    from tests.factories import ChatFactory, TicketFactory

    ChatFactory(organization=org, external_id="chat-0")
    TicketFactory(organization=org, external_id="ticket-0")


def _counts(org):
    return tuple(m.objects.for_org(org).count() for m in (Chat, Ticket, SurveyAnswer, DirtyDay))


@pytest.mark.django_db
@pytest.mark.parametrize(("entity", "bad", "field", "message"), MATRIX)
def test_a_bad_item_gives_its_error_and_nothing_is_written(entity, bad, field, message, org, existing, api_client):
    good = {"chats": {**CHAT, "external_id": "chat-2"}, "tickets": {**TICKET, "external_id": "ticket-2"},
            "survey-answers": {**ANSWER, "external_id": "s-2"}}[entity]
    before = _counts(org)

    response = post_bulk(api_client, entity, [good, bad])

    assert response.status_code == 400
    expected = {"index": 1, "field": field, "message": str(message)} if field else {"index": 1, "message": str(message)}
    assert response.json()["error"]["details"] == [expected]
    assert _counts(org) == before


@pytest.mark.django_db
def test_every_bad_item_is_listed(org, existing, api_client):
    response = post_bulk(api_client, "chats", [
        {**CHAT, "requested_at": "2026-03-02T10:00:00"},
        CHAT,
        {**CHAT, "external_id": "chat-3", "agent": "ghost", "transfers": -1},
        {**CHAT, "external_id": "chat-1"},
    ])
    assert response.json()["error"]["details"] == [
        {"index": 0, "field": "requested_at", "message": str(NAIVE_TIMESTAMP)},
        {"index": 2, "field": "transfers", "message": str(NEGATIVE)},
        {"index": 3, "field": "external_id", "message": str(DUPLICATE_KEY % {"value": "chat-1"})},
    ]
    assert Chat.objects.for_org(org).filter(external_id__in=["chat-1", "chat-3"]).count() == 0


@pytest.mark.django_db
def test_duplicate_external_ids_in_one_batch_are_refused(org, api_client):
    response = post_bulk(api_client, "teams", [
        {"external_id": "t-1", "name": "A"}, {"external_id": "t-1", "name": "B"},
    ])
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"index": 1, "field": "external_id", "message": str(DUPLICATE_KEY % {"value": "t-1"})},
    ]


@pytest.mark.django_db
def test_more_than_1000_items_is_refused_with_a_clear_message(org, api_client):
    items = [{"external_id": f"t-{i}", "name": "T"} for i in range(1001)]
    response = post_bulk(api_client, "teams", items)
    assert response.status_code == 400
    message = str(TOO_MANY_ITEMS % {"max": 1000, "count": 1001})
    assert response.json()["error"]["message"] == message
    assert response.json()["error"]["details"] == [{"field": "items", "message": message}]
    from accounts.models import Team

    assert Team.objects.for_org(org).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "message"), [
    ({"rows": []}, "The body must be a JSON object with an “items” list."),
    ([{"external_id": "t-1"}], "The body must be a JSON object with an “items” list."),
    ({"items": {"external_id": "t-1"}}, str(ITEMS_NOT_A_LIST)),
    ({"items": []}, str(NO_ITEMS)),
])
def test_a_bad_envelope_is_400(org, api_client, body, message):
    response = api_client.post("/api/v1/teams/bulk", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [{"field": "items", "message": message}]


@pytest.mark.django_db
def test_a_malformed_json_body_is_400(org, api_client):
    response = api_client.post("/api/v1/teams/bulk", b'{"items": [{"external_id": "t-1",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.django_db
def test_a_read_only_key_gets_403_and_writes_nothing(org, api_client_for):
    response = post_bulk(api_client_for(org, scopes={"read"}), "teams", [{"external_id": "t-1", "name": "A"}])
    assert response.status_code == 403
    assert "write" in response.json()["error"]["message"]
    from accounts.models import Team

    assert Team.objects.for_org(org).count() == 0


@pytest.mark.django_db
def test_another_organizations_agent_is_unknown(org, other_org, api_client):
    theirs = AgentFactory(organization=other_org, external_id="their-agent", name="Theirs")
    response = post_bulk(api_client, "chats", [{**CHAT, "agent": "their-agent"}])
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"index": 0, "field": "agent", "message": "Unknown agent “their-agent”."},
    ]
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert Chat.unscoped.count() == 0


@pytest.mark.django_db
def test_an_upsert_never_reaches_another_organizations_row(org, other_org, api_client):
    from tests.factories import TeamFactory

    TeamFactory(organization=other_org, external_id="t-1", name="Theirs")
    response = post_bulk(api_client, "teams", [{"external_id": "t-1", "name": "Ours"}])
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    from accounts.models import Team

    assert sorted(Team.unscoped.values_list("organization__slug", "name")) == [("acme", "Ours"), ("globex", "Theirs")]


@pytest.mark.django_db
def test_options_and_get_are_not_allowed(org, api_client):
    assert api_client.options("/api/v1/teams/bulk").status_code == 405
    assert api_client.get("/api/v1/teams/bulk").status_code == 405
