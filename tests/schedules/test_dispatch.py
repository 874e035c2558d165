"""Dispatch: each period's e-mail goes out once per recipient whatever runs twice (dispatchers,
tasks, retries); late runs are sent once, runs older than the horizon are skipped with a reason;
paused schedules and unsubscribed addresses get nothing."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from schedules import content as contents
from schedules import services
from schedules.models import DeliveryStatus, ReportDelivery, ReportSchedule, Unsubscription
from tests.schedules.conftest import DUE

pytestmark = pytest.mark.django_db
WEEK = dt.timedelta(days=7)


def statuses(org):
    return sorted(ReportDelivery.objects.for_org(org).values_list("period_start", "recipient", "status"))


def test_a_second_dispatch_and_a_repeated_task_send_nothing_more(org, week, make_schedule, manager, dispatch):
    schedule = make_schedule(members=[manager], external_recipients=["boss@example.test"])
    result = dispatch()
    assert result.enqueued == [(schedule.pk, DUE.isoformat())]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, "boss@example.test"])
    schedule.refresh_from_db()
    assert schedule.next_run_at == DUE + WEEK  # claimed: moved on to the next Monday

    assert dispatch().enqueued == []
    services.period_send(schedule_id=schedule.pk, due_at=DUE)  # the same task again (a redelivery)
    assert len(mail.outbox) == 2
    rows = ReportDelivery.objects.for_org(org).filter(schedule=schedule)
    assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.SENT, 1)] * 2


def test_a_second_dispatcher_that_read_the_same_due_row_claims_nothing(org, week, make_schedule, manager):
    schedule = make_schedule(members=[manager])
    stale = ReportSchedule.unscoped.get(pk=schedule.pk)  # what a second dispatcher read before the first claimed
    services.dispatch_due(now=DUE + dt.timedelta(minutes=3))
    claimed = ReportSchedule.unscoped.filter(pk=stale.pk, next_run_at=stale.next_run_at).update(
        next_run_at=DUE + WEEK)
    assert claimed == 0


def test_paused_schedules_send_nothing_and_resume_from_the_next_due_time(org, week, make_schedule, manager, dispatch):
    schedule = make_schedule(members=[manager])
    services.schedule_set_active(schedule=schedule, active=False)
    assert dispatch().enqueued == []
    assert mail.outbox == [] and not ReportDelivery.objects.for_org(org).exists()
    # Resumed a week later: the missed run is not sent; the next one is due the Monday after.
    services.schedule_set_active(schedule=schedule, active=True, now=DUE + dt.timedelta(days=3))
    assert schedule.next_run_at == DUE + WEEK
    assert dispatch(DUE + dt.timedelta(days=3)).enqueued == []


def test_a_schedule_paused_after_its_run_was_enqueued_sends_nothing(org, week, make_schedule, manager):
    schedule = make_schedule(members=[manager])
    services.dispatch_due(now=DUE + dt.timedelta(minutes=3))  # rows inserted, the task not run yet
    services.schedule_set_active(schedule=schedule, active=False)
    services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert mail.outbox == []
    (row,) = ReportDelivery.objects.for_org(org)
    assert row.status == DeliveryStatus.SKIPPED and row.last_error == str(services.PAUSED)


def test_after_downtime_a_missed_period_is_sent_once_late(org, week, make_schedule, manager, dispatch):
    make_schedule(members=[manager])
    # The dispatcher was down from Monday 06:00 to Tuesday 09:00 (27 h, within the 48 h horizon).
    later = DUE + dt.timedelta(hours=27)
    assert len(dispatch(later).enqueued) == 1
    assert len(dispatch(later + dt.timedelta(minutes=5)).enqueued) == 0
    assert len(mail.outbox) == 1
    (row,) = ReportDelivery.objects.for_org(org)
    assert (row.period_start, row.status, row.due_at) == (dt.date(2026, 3, 2), DeliveryStatus.SENT, DUE)


def test_periods_older_than_the_horizon_are_skipped_with_the_reason(org, week, make_schedule, manager, dispatch,
                                                                      settings):
    settings.REPORT_LATE_HORIZON_HOURS = 48
    make_schedule(members=[manager])
    # Down for three weeks and a day: runs of 03-09, 03-16, 03-23 are 22, 15 and 8 days old;
    # the one of 03-30 (05:00 UTC, summer time) is 1 day old: sent, late, once.
    now = dt.datetime(2026, 3, 31, 5, 0, tzinfo=dt.UTC)
    result = dispatch(now)
    assert len(result.skipped) == 3 and len(result.enqueued) == 1
    reason = str(services.TOO_LATE).format(hours=48)
    assert statuses(org) == [
        (dt.date(2026, 3, 2), manager.email, "skipped"),
        (dt.date(2026, 3, 9), manager.email, "skipped"),
        (dt.date(2026, 3, 16), manager.email, "skipped"),
        (dt.date(2026, 3, 23), manager.email, "sent"),
    ]
    assert set(ReportDelivery.objects.for_org(org).filter(status="skipped").values_list("last_error", flat=True)) == {reason}
    assert len(mail.outbox) == 1
    assert dispatch(now + dt.timedelta(minutes=5)).enqueued == [] and len(mail.outbox) == 1


def test_a_task_retried_after_the_send_but_before_the_status_update_sends_once(org, week, make_schedule, manager,
                                                                                 monkeypatch, settings):
    schedule = make_schedule(members=[manager])
    services.dispatch_due(now=DUE + dt.timedelta(minutes=3))

    def worker_dies(delivery_id, now):
        raise SystemExit("killed after the SMTP server accepted the message")

    monkeypatch.setattr(services, "mark_sent", worker_dies)
    with pytest.raises(SystemExit):
        services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert len(mail.outbox) == 1
    monkeypatch.undo()

    # The task comes back at once (acks_late): the row is claimed by the lost attempt, so nothing is sent.
    result = services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert (result.sent, result.waiting) == (0, 1) and result.retry_in is not None
    # After the lease, the row is recorded as interrupted, and still not sent again.
    settings.REPORT_SEND_LEASE_SECONDS = 0
    services.period_send(schedule_id=schedule.pk, due_at=DUE)
    services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert len(mail.outbox) == 1
    (row,) = ReportDelivery.objects.for_org(org)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.FAILED, 1, str(services.INTERRUPTED))


def test_unsubscribe_works_without_a_session_and_stops_further_sends(org, week, make_schedule, manager, dispatch,
                                                                       anonymous_client):
    schedule = make_schedule(members=[manager], external_recipients=["boss@example.test"])
    url = contents.unsubscribe_url(schedule=schedule, email="boss@example.test").removeprefix("http://localhost:8000")
    page = anonymous_client.get(url)
    assert page.status_code == 200 and b"boss@example.test" in page.content
    assert not Unsubscription.objects.for_org(org).exists()  # a GET (a link scanner) changes nothing
    # One-click (RFC 8058): a POST without session or CSRF token.
    response = anonymous_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert list(Unsubscription.objects.for_org(org).values_list("email", flat=True)) == ["boss@example.test"]
    dispatch()
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_a_tampered_unsubscribe_token_is_rejected(org, make_schedule, manager, anonymous_client):
    schedule = make_schedule(members=[manager])
    token = contents.unsubscribe_token(schedule=schedule, email=manager.email)
    # Another address (or schedule) under the same signature.
    forged = contents.unsubscribe_token(schedule=schedule, email="someone@example.test").split(":")[0] + ":" + \
        token.split(":", 1)[1]
    for bad in (forged, token[:-2] + ("A" if token[-1] != "A" else "B") + token[-1], "nonsense"):
        url = reverse("schedule_unsubscribe", kwargs={"token": bad})
        assert anonymous_client.get(url).status_code == 400
        assert anonymous_client.post(url).status_code == 400
    assert not Unsubscription.objects.for_org(org).exists()


def test_dry_run_changes_nothing(org, week, make_schedule, manager, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    schedule = make_schedule(members=[manager])
    ReportSchedule.unscoped.filter(pk=schedule.pk).update(next_run_at=timezone.now() - dt.timedelta(hours=1))
    out = StringIO()
    call_command("send_due_reports", "--dry-run", stdout=out)
    assert "1 due" in out.getvalue() and "would send" in out.getvalue()
    schedule.refresh_from_db()
    assert schedule.next_run_at < timezone.now() and not ReportDelivery.objects.for_org(org).exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reports", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_retry_delays_double_up_to_the_cap():
    assert [services.retry_delay(n) for n in range(1, 8)] == [60, 120, 240, 480, 900, 900, 900]
