"""A day whose rebuild fails is isolated, recorded, retried with backoff and shown; it never
holds up the organization's other days, and a write's answer never depends on it."""

import datetime as dt
import logging
import threading
import time
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from chats.models import Chat
from reports.freshness import mark_dirty
from reports.metrics import compute
from reports.models import DaySnapshot, DirtyDay
from reports.snapshots import RETRY_MAX_DELAY, rebuild_dirty_days, retry_delay
from reports.tasks import sweep_dirty_days_task
from tests.factories import ChatFactory
from tests.reports.dataset import MONDAY, local

pytestmark = pytest.mark.django_db
WEEK = [MONDAY + dt.timedelta(days=i) for i in range(7)]
TUESDAY = WEEK[1]
OVERFLOW = "DataError: value out of range: overflow"


def poison(org, day):
    """Two chats of the day whose response-time totals add up past the largest float: the
    builder's SUM raises on PostgreSQL (numeric value out of range). Written straight to the
    table, as bad rows that slipped past validation would be."""
    return [ChatFactory(organization=org, requested_at=local(day, 11 + i), response_time_total_s=1e308,
                        response_count=1) for i in range(2)]


def week_with_a_bad_tuesday(org):
    for day in WEEK:
        ChatFactory(organization=org, requested_at=local(day, 9))
    bad = poison(org, TUESDAY)
    mark_dirty(organization=org, days=WEEK, enqueue=False)
    return bad


def mark(org, day):
    return DirtyDay.objects.for_org(org).get(day=day)


def counts(org):
    result = compute(organization=org, metric_ids=["chats_total"], first=WEEK[0], last=WEEK[-1], compare=False)
    return result["pending_days"], result["failed_days"]


def test_one_bad_day_is_recorded_and_every_other_day_is_built(org, other_org, caplog):
    week_with_a_bad_tuesday(org)
    with caplog.at_level(logging.ERROR, logger="reports.snapshots"):
        before = timezone.now()
        result = rebuild_dirty_days(organization=org)

    assert result.failed == [TUESDAY] and sorted(result.rebuilt) == [d for d in WEEK if d != TUESDAY]
    assert list(DirtyDay.objects.for_org(org).values_list("day", flat=True)) == [TUESDAY]
    assert dict(DaySnapshot.objects.for_org(org).values_list("day", "chats_total")) == {
        day: 1 for day in WEEK if day != TUESDAY}
    failed = mark(org, TUESDAY)
    assert failed.attempts == 1 and failed.last_error == OVERFLOW and failed.failed_at >= before
    assert failed.next_attempt_at == failed.failed_at + dt.timedelta(minutes=1)
    assert counts(org) == (1, 1)
    (record,) = caplog.records
    message = record.getMessage()
    assert f"organization acme (id {org.pk})" in message and "day 2026-03-03" in message and OVERFLOW in message
    assert record.exc_info is not None

    # The next sweep, before the backoff has passed, leaves it alone.
    sweep_dirty_days_task.delay()
    assert rebuild_dirty_days(organization=org).rebuilt == []
    assert mark(org, TUESDAY).attempts == 1
    assert not DirtyDay.objects.for_org(other_org).exists()


def test_a_failed_day_is_retried_when_due_with_a_doubling_wait(org):
    week_with_a_bad_tuesday(org)
    rebuild_dirty_days(organization=org)
    DirtyDay.objects.for_org(org).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    sweep_dirty_days_task.delay()  # eager: the rebuild runs now

    again = mark(org, TUESDAY)
    assert again.attempts == 2 and again.next_attempt_at == again.failed_at + dt.timedelta(minutes=2)
    assert [retry_delay(n) for n in (1, 2, 3, 9, 10, 50)] == [
        dt.timedelta(minutes=m) for m in (1, 2, 4, 256)] + [RETRY_MAX_DELAY, RETRY_MAX_DELAY]


def test_a_write_makes_a_failed_day_due_at_once_and_its_record_goes_when_it_builds(org):
    bad = week_with_a_bad_tuesday(org)
    rebuild_dirty_days(organization=org)

    mark_dirty(organization=org, days={TUESDAY}, enqueue=False)
    renewed = mark(org, TUESDAY)
    assert renewed.next_attempt_at is None and renewed.attempts == 1 and renewed.last_error == OVERFLOW
    assert counts(org) == (1, 1)  # still failed, until it builds

    Chat.unscoped.filter(pk=bad[0].pk).delete()  # the data is fixed (and marked, as a write would)
    mark_dirty(organization=org, days={TUESDAY}, enqueue=False)
    assert rebuild_dirty_days(organization=org).rebuilt == [TUESDAY]
    assert not DirtyDay.objects.for_org(org).exists()
    assert DaySnapshot.objects.for_org(org).get(day=TUESDAY).chats_total == 2
    assert counts(org) == (0, 0)


def test_a_year_one_row_fails_its_own_day_only(org):
    """local_midnight of 0001-01-01 in Helsinki is before the first representable instant."""
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    year_one = dt.date(1, 1, 1)
    ChatFactory(organization=org, requested_at=dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC))
    mark_dirty(organization=org, days={year_one, MONDAY}, enqueue=False)

    result = rebuild_dirty_days(organization=org)

    assert (result.rebuilt, result.failed) == ([MONDAY], [year_one])
    assert mark(org, year_one).last_error.startswith("OverflowError: ")


def test_failed_days_lists_and_retries(org):
    bad = week_with_a_bad_tuesday(org)
    rebuild_dirty_days(organization=org)
    out = StringIO()
    call_command("failed_days", stdout=out)
    listing = out.getvalue()
    assert f"acme (id {org.pk}): 1 failed days" in listing
    assert "2026-03-03  attempts 1" in listing and "next attempt 20" in listing and OVERFLOW in listing

    out = StringIO()
    with pytest.raises(CommandError, match="1 days still fail"):
        call_command("failed_days", "--org", "acme", "--retry", stdout=out)  # no waiting for the backoff
    assert "acme: retried; 0 days rebuilt, 1 still failing." in out.getvalue()
    assert "2026-03-03  attempts 2" in out.getvalue()

    Chat.unscoped.filter(pk=bad[0].pk).delete()
    out = StringIO()
    call_command("failed_days", "--retry", stdout=out)
    assert "acme: retried; 1 days rebuilt, 0 still failing." in out.getvalue()
    assert "No failed days." in out.getvalue()
    assert DaySnapshot.objects.for_org(org).get(day=TUESDAY).chats_total == 2


def test_rebuild_snapshots_builds_the_rest_and_names_the_failed_days(org):
    week_with_a_bad_tuesday(org)
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 days could not be rebuilt \(2026-03-03\).*failed_days --org acme"):
        call_command("rebuild_snapshots", "--org", "acme", "--since", "2026-03-02", "--until", "2026-03-08",
                     verbosity=0, stdout=out)
    assert "Rebuilt 6 of 7 days (2026-03-02 to 2026-03-08) of acme" in out.getvalue()
    assert DaySnapshot.objects.for_org(org).count() == 6


def test_the_org_home_tells_managers_what_is_being_rebuilt_and_what_failed(org, manager_client, role_client):
    week_with_a_bad_tuesday(org)
    rebuild_dirty_days(organization=org)
    mark_dirty(organization=org, days=WEEK[4:], enqueue=False)  # a write just landed

    page = manager_client.get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()

    assert "3 days are being rebuilt" in page
    assert "1 day could not be rebuilt and shows older figures; the earliest: 2026-03-03." in " ".join(page.split())
    agent_page = role_client("agent").get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    assert "could not be rebuilt" not in agent_page


def test_a_run_starts_no_chunk_after_its_deadline_and_says_more_is_left(org):
    far = MONDAY + dt.timedelta(days=60)
    for day in (MONDAY, far):
        ChatFactory(organization=org, requested_at=local(day, 9))
    mark_dirty(organization=org, days={MONDAY, far}, enqueue=False)

    first = rebuild_dirty_days(organization=org, deadline=time.monotonic())  # one chunk always runs
    assert (first.rebuilt, first.more) == ([MONDAY], True)
    rest = rebuild_dirty_days(organization=org, deadline=time.monotonic())
    assert (rest.rebuilt, rest.more) == ([far], False)


def test_a_second_rebuild_of_an_organization_leaves_the_work_to_the_running_one(org):
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    mark_dirty(organization=org, days={MONDAY}, enqueue=False)
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
                         dbname=db["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, 0)", [org.pk])  # a rebuild running elsewhere
        busy = rebuild_dirty_days(organization=org, wait=0.3)
    assert busy.busy and busy.rebuilt == [] and DirtyDay.objects.for_org(org).exists()
    assert rebuild_dirty_days(organization=org, wait=0.3).rebuilt == [MONDAY]


@pytest.mark.django_db(transaction=True)
def test_a_write_whose_eager_rebuild_fails_still_answers_with_the_write(org, api_client, caplog):
    """Embedded default: the rebuild runs in the request once the write has committed; a day it
    cannot build is recorded, and the client is told what was written (a 500 would make it send
    the batch again)."""
    poison(org, MONDAY)
    with caplog.at_level(logging.ERROR):
        response = api_client.post("/api/v1/chats/bulk", {"items": [
            {"external_id": "new-1", "requested_at": "2026-03-02T15:00:00+02:00"}]}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert Chat.objects.for_org(org).filter(external_id="new-1").exists()
    failed = mark(org, MONDAY)
    assert failed.attempts == 1 and failed.last_error == OVERFLOW
    assert "day 2026-03-02" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_two_writes_marking_the_same_days_in_opposite_orders_do_not_deadlock(org):
    """Rows are written in day order whatever their kind: a transaction holding Monday's mark
    makes the other wait before it takes Tuesday's, instead of after."""
    mark_dirty(organization=org, days={MONDAY, TUESDAY}, enqueue=False)  # both rows exist
    first_has_monday, errors = threading.Event(), []

    def write(days, fcr_days, then=None):
        try:
            from django.db import transaction

            with transaction.atomic():
                mark_dirty(organization=org, days=days, fcr_days=fcr_days, enqueue=False)
                if then:
                    then()
        except Exception as exc:  # a deadlock: one of them is aborted
            errors.append(exc)
        finally:
            connections.close_all()

    def second_marks_tuesday():
        first_has_monday.set()
        time.sleep(0.5)  # the other transaction is now waiting on Monday (or holds Tuesday)
        mark_dirty(organization=org, days={TUESDAY}, enqueue=False)

    first = threading.Thread(target=write, args=({MONDAY}, set(), second_marks_tuesday))
    first.start()
    first_has_monday.wait(5)
    # Tuesday wholly, Monday for FCR only: written Tuesday first before the fix.
    other = threading.Thread(target=write, args=({TUESDAY}, {MONDAY}))
    other.start()
    first.join(20)
    other.join(20)
    assert errors == []
    assert DirtyDay.objects.for_org(org).count() == 2


def test_a_chunk_stopped_by_the_soft_time_limit_is_recorded_not_split(org, monkeypatch):
    """The task's time is up: its chunk's days back off (and show as failed) instead of every
    later run spending its time on them the same way; the run stops."""
    from celery.exceptions import SoftTimeLimitExceeded

    from reports.builders import Builder

    for day in WEEK[:3]:
        ChatFactory(organization=org, requested_at=local(day, 9))
    mark_dirty(organization=org, days=WEEK[:3], enqueue=False)

    def out_of_time(self, *args):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(Builder, "build_chunk", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        rebuild_dirty_days(organization=org)
    assert set(DirtyDay.objects.for_org(org).values_list("day", "attempts", "last_error")) == {
        (day, 1, "SoftTimeLimitExceeded: SoftTimeLimitExceeded()") for day in WEEK[:3]}


def test_the_admin_rebuilds_selected_failed_days_now(org, client, django_user_model):
    bad = week_with_a_bad_tuesday(org)
    rebuild_dirty_days(organization=org)
    Chat.unscoped.filter(pk=bad[0].pk).delete()
    client.force_login(django_user_model.objects.create_superuser(email="ops@example.test", password="x-pass-123456"))
    listing = client.get("/admin/reports/dirtyday/?failed=yes")
    assert OVERFLOW in listing.content.decode()

    response = client.post("/admin/reports/dirtyday/", {
        "action": "retry_now", "_selected_action": [mark(org, TUESDAY).pk]})

    assert response.status_code == 302
    assert not DirtyDay.objects.for_org(org).exists()  # eager here: rebuilt at once
    assert DaySnapshot.objects.for_org(org).get(day=TUESDAY).chats_total == 2
