"""Chat messages reduced at ingest, and the days every write marks dirty (old and new)."""

import datetime as dt

import pytest

from chats.ingestion.fields import parse_timestamp
from chats.ingestion.messages import summarize_messages
from chats.models import Chat
from reports.models import DirtyDay
from tests.api.test_bulk_entities import post_bulk
from tests.factories import AgentFactory, ChatFactory, CustomerFactory

UTC = dt.UTC
D = dt.date


def _messages(*pairs):
    return [{"author": author, "sent_at": f"2026-03-02T10:{mmss}Z"} for author, mmss in pairs]


# Worked by hand (requested 10:00:00):
#   10:00:05 visitor  ┐ one run (the bot in between is ignored)
#   10:00:10 bot      │
#   10:00:30 visitor  ┘
#   10:00:45 agent    → first response; interval 10:00:05 → 10:00:45 = 40 s
#   10:01:00 agent    (no open run: no interval)
#   10:02:00 visitor
#   10:02:20 agent    → interval 20 s
#   10:03:00 visitor  (nobody answered: no interval)
# visitor 4, agent 3, response time total 60 s over 2 responses, FRT 45 s.
REACTIVE = _messages(
    ("visitor", "00:05"), ("bot", "00:10"), ("visitor", "00:30"), ("agent", "00:45"), ("agent", "01:00"),
    ("visitor", "02:00"), ("agent", "02:20"), ("visitor", "03:00"),
)


@pytest.mark.django_db
def test_messages_are_reduced_to_counts_response_times_and_first_response(org, api_client):
    shuffled = REACTIVE[::-1]  # order of the list does not matter; sent_at does
    response = post_bulk(api_client, "chats", [
        {"external_id": "c-1", "requested_at": "2026-03-02T10:00:00Z", "accepted_at": "2026-03-02T10:00:40Z",
         "messages": shuffled},
    ])
    assert response.status_code == 200, response.json()
    chat = Chat.objects.for_org(org).get()
    assert (chat.messages_visitor, chat.messages_agent) == (4, 3)
    assert (chat.response_time_total_s, chat.response_count) == (60.0, 2)
    assert chat.first_response_at == dt.datetime(2026, 3, 2, 10, 0, 45, tzinfo=UTC)


@pytest.mark.django_db
def test_fields_given_explicitly_win_over_the_messages(org, api_client):
    post_bulk(api_client, "chats", [
        {"external_id": "c-1", "requested_at": "2026-03-02T10:00:00Z", "messages": REACTIVE,
         "messages_agent": 9, "first_response_at": "2026-03-02T10:00:50Z"},
    ])
    chat = Chat.objects.for_org(org).get()
    assert (chat.messages_visitor, chat.messages_agent, chat.response_count) == (4, 9, 2)
    assert chat.first_response_at == dt.datetime(2026, 3, 2, 10, 0, 50, tzinfo=UTC)


def _summary(pairs, initiated_by="visitor"):
    return summarize_messages(
        [(m["author"], parse_timestamp(m["sent_at"])) for m in _messages(*pairs)], initiated_by=initiated_by
    )


def test_a_proactive_chats_invitation_is_not_its_first_response():
    # The agent invites at 10:00:00, the visitor answers at 10:00:40, the agent replies at 10:00:50.
    summary = _summary([("agent", "00:00"), ("visitor", "00:40"), ("agent", "00:50")], initiated_by="agent")
    assert summary.first_response_at == dt.datetime(2026, 3, 2, 10, 0, 50, tzinfo=UTC)
    assert (summary.messages_visitor, summary.messages_agent) == (1, 2)
    assert (summary.response_time_total_s, summary.response_count) == (10.0, 1)


def test_a_reactive_chats_first_agent_message_is_its_first_response_even_before_the_visitor_types():
    summary = _summary([("agent", "00:20"), ("visitor", "00:40"), ("agent", "01:00")])
    assert summary.first_response_at == dt.datetime(2026, 3, 2, 10, 0, 20, tzinfo=UTC)
    assert (summary.response_time_total_s, summary.response_count) == (20.0, 1)


def test_only_bots_and_visitors_give_no_response():
    summary = _summary([("visitor", "00:05"), ("bot", "00:06")])
    assert summary.first_response_at is None
    assert (summary.messages_visitor, summary.messages_agent, summary.response_count) == (1, 0, 0)


def _dirty(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


@pytest.mark.django_db
def test_moving_a_chat_dirties_its_old_and_new_days_with_the_follow_up_window(org, api_client):
    # Helsinki is UTC+2 in early March; the follow-up window is 72 hours.
    ChatFactory(organization=org, external_id="c-1", requested_at=dt.datetime(2026, 3, 10, 10, tzinfo=UTC),
                agent=None)
    response = post_bulk(api_client, "chats", [{"external_id": "c-1", "requested_at": "2026-03-20T23:30:00Z"}])
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    # Old: local Mar 10 12:00, window back to Mar 7. New: local Mar 21 01:30, window back to Mar 18 01:30.
    assert _dirty(org) == {D(2026, 3, d) for d in (7, 8, 9, 10, 18, 19, 20, 21)}


@pytest.mark.django_db
def test_a_resend_that_changes_nothing_marks_nothing(org, api_client):
    item = {"external_id": "c-1", "requested_at": "2026-03-10T10:00:00Z"}
    post_bulk(api_client, "chats", [item])
    DirtyDay.objects.for_org(org).delete()
    assert post_bulk(api_client, "chats", [item]).json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert _dirty(org) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(("entity", "old", "new", "days"), [
    # Tickets: created and resolved days, old and new (UTC+2: 23:00Z is the next local day).
    ("tickets",
     {"external_id": "t-1", "created_at": "2026-03-02T09:00:00Z", "resolved_at": "2026-03-04T23:00:00Z",
      "status": "resolved"},
     {"external_id": "t-1", "created_at": "2026-03-02T09:00:00Z", "resolved_at": "2026-03-06T09:00:00Z",
      "status": "resolved"},
     {D(2026, 3, 2), D(2026, 3, 5), D(2026, 3, 6)}),
    ("survey-answers",
     {"external_id": "s-1", "kind": "csat", "score": 5, "answered_at": "2026-03-02T12:00:00Z"},
     {"external_id": "s-1", "kind": "csat", "score": 5, "answered_at": "2026-03-03T12:00:00Z"},
     {D(2026, 3, 2), D(2026, 3, 3)}),
    # A session from local Mar 2 21:00 to Mar 4 02:00 spans three local days.
    ("agent-sessions",
     {"external_id": "as-1", "agent": "a-1", "started_at": "2026-03-02T19:00:00Z", "ended_at": "2026-03-02T20:00:00Z"},
     {"external_id": "as-1", "agent": "a-1", "started_at": "2026-03-02T19:00:00Z", "ended_at": "2026-03-04T00:00:00Z"},
     {D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 4)}),
    ("website-traffic", {"date": "2026-03-02", "visitors": 5}, {"date": "2026-03-02", "visitors": 6},
     {D(2026, 3, 2)}),
    ("teams", {"external_id": "t-1", "name": "A"}, {"external_id": "t-1", "name": "B"}, set()),
    # Customers count on their acquired and churned days (retention, churn, CLV, referral).
    ("customers", {"external_id": "k-1", "acquired_at": "2026-03-02T09:00:00Z"},
     {"external_id": "k-1", "acquired_at": "2026-03-02T09:00:00Z", "churned_at": "2026-03-05T23:00:00Z"},
     {D(2026, 3, 2), D(2026, 3, 6)}),
    ("purchases", {"external_id": "p-1", "customer": "c-1", "amount": 5, "purchased_at": "2026-03-02T10:00:00Z"},
     {"external_id": "p-1", "customer": "c-1", "amount": 5, "purchased_at": "2026-03-03T10:00:00Z"},
     {D(2026, 3, 2), D(2026, 3, 3)}),
])
def test_dirty_days_of_each_entity(entity, old, new, days, org, api_client):
    AgentFactory(organization=org, external_id="a-1")
    CustomerFactory(organization=org, external_id="c-1")
    post_bulk(api_client, entity, [old])
    DirtyDay.objects.for_org(org).delete()
    assert post_bulk(api_client, entity, [new]).status_code == 200
    assert _dirty(org) == days


@pytest.mark.django_db
def test_a_canned_use_dirties_its_day_and_its_chats_day(org, api_client):
    from tests.factories import CannedResponseFactory

    CannedResponseFactory(organization=org, external_id="cr-1")
    agent = AgentFactory(organization=org, external_id="a-1")
    ChatFactory(organization=org, external_id="c-1", agent=agent, requested_at=dt.datetime(2026, 3, 1, 21, 50, tzinfo=UTC))
    DirtyDay.objects.for_org(org).delete()
    post_bulk(api_client, "canned-response-uses", [
        {"external_id": "u-1", "canned_response": "cr-1", "agent": "a-1", "chat": "c-1", "used_at": "2026-03-01T22:10:00Z"},
    ])
    # The chat was requested at local Mar 1 23:50; the use happened at local Mar 2 00:10.
    assert _dirty(org) == {D(2026, 3, 1), D(2026, 3, 2)}
