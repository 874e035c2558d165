"""Concurrent bulk upserts on PostgreSQL: two real connections (threads), overlapping keys.

Both requests must succeed (or one get a retryable 409), never a 500, never duplicate rows or
tag links, and the created/updated/unchanged counts must add up to what the table holds.
"""

import threading

import pytest
from django.db import connection, connections

from chats.models import Chat, ChatTag
from tests.api.test_bulk_entities import post_bulk
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db(transaction=True)


def chats(first: int, last: int, tags=("billing", "vip")) -> list[dict]:
    return [{"external_id": f"c-{i}", "requested_at": "2026-03-02T10:00:00Z", "tags": list(tags), "transfers": 1}
            for i in range(first, last)]


def race(clients, batches) -> list:
    """Post each batch from its own thread (its own database connection) at the same moment."""
    barrier = threading.Barrier(len(batches))
    responses = [None] * len(batches)

    def send(i):
        try:
            barrier.wait()
            responses[i] = post_bulk(clients[i], "chats", batches[i])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return responses


@pytest.fixture
def tagged(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter (SQLite serializes writers)")
    TagFactory(organization=org, name="billing")
    TagFactory(organization=org, name="vip")


def test_overlapping_new_batches_with_tags_both_succeed_with_true_counts(org, api_client_for, tagged):
    clients = [api_client_for(org), api_client_for(org)]
    first, second = race(clients, [chats(0, 1000), chats(500, 1500)])
    assert first.status_code == 200 and second.status_code == 200, (first.content, second.content)
    results = [first.json(), second.json()]
    assert Chat.objects.for_org(org).count() == 1500
    assert sum(r["created"] for r in results) == 1500
    # Whichever ran second found the other's 500 shared rows, equal to its own: unchanged.
    assert sorted(r["unchanged"] for r in results) == [0, 500]
    assert all(r["updated"] == 0 for r in results)
    assert ChatTag.objects.for_org(org).count() == 3000  # two tags each, no duplicate link


def test_a_retry_while_the_first_is_in_flight_is_not_a_500(org, api_client_for, tagged):
    batch = chats(0, 1000)
    clients = [api_client_for(org), api_client_for(org)]
    responses = race(clients, [batch, batch])
    assert [r.status_code for r in responses] == [200, 200]
    assert sorted((r.json()["created"], r.json()["unchanged"]) for r in responses) == [(0, 1000), (1000, 0)]
    assert Chat.objects.for_org(org).count() == 1000
    assert ChatTag.objects.for_org(org).count() == 2000


def test_overlapping_batches_that_change_tags_leave_one_of_the_sent_lists(org, api_client_for, tagged):
    post_bulk(api_client_for(org), "chats", chats(0, 1000, tags=("billing",)))
    clients = [api_client_for(org), api_client_for(org)]
    first, second = race(clients, [chats(0, 1000, tags=("vip",)), chats(0, 1000, tags=("billing", "vip"))])
    assert first.status_code == 200 and second.status_code == 200
    assert sum(r.json()["updated"] for r in (first, second)) == 2000
    per_chat = {}
    for chat_id, tag in ChatTag.objects.for_org(org).values_list("chat_id", "tag__name"):
        per_chat.setdefault(chat_id, set()).add(tag)
    assert len(per_chat) == 1000
    # Each chat holds exactly one of the two sent lists (the later writer's), never a mix or a duplicate.
    assert {frozenset(tags) for tags in per_chat.values()} <= {frozenset({"vip"}), frozenset({"billing", "vip"})}
    assert len({frozenset(tags) for tags in per_chat.values()}) == 1
