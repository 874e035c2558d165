"""Through a real SMTP server on localhost (aiosmtpd): accepted, 4xx (retried with backoff),
5xx (recorded as failed, shown in the history)."""

import datetime as dt
from email import message_from_bytes, policy

import pytest
from django.urls import reverse

from schedules import services
from schedules.models import DeliveryStatus, ReportDelivery
from tests.schedules.conftest import DUE

pytestmark = pytest.mark.django_db


def row(org, address):
    return ReportDelivery.objects.for_org(org).get(recipient=address)


def test_accepted_transient_and_rejected_recipients(org, week, make_schedule, manager, smtp_settings, dispatch,
                                                      manager_client):
    smtp = smtp_settings
    smtp.transient["busy@example.test"] = 1
    smtp.reject.add("gone@example.test")
    schedule = make_schedule(members=[manager], external_recipients=["busy@example.test", "gone@example.test"])
    dispatch()

    assert smtp.count_to(manager.email) == 1
    sent = row(org, manager.email)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 1
    parsed = message_from_bytes(smtp.messages[0][1], policy=policy.default)
    assert parsed["Message-ID"].strip() == sent.message_id

    rejected = row(org, "gone@example.test")
    assert rejected.status == DeliveryStatus.FAILED and rejected.attempts == 1
    assert rejected.last_error.startswith("gone@example.test: 550 5.1.1")

    busy = row(org, "busy@example.test")
    assert busy.status == DeliveryStatus.PENDING and busy.attempts == 1
    assert busy.last_error.startswith("451 4.7.1 Greylisted") or "451" in busy.last_error
    wait = (busy.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()
    assert 50 < wait <= 60  # the first retry: 60 s
    assert smtp.count_to("busy@example.test") == 0

    # Not before its time...
    services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert smtp.count_to("busy@example.test") == 0
    # ... and once due (the dispatcher finds it too), sent on the second attempt.
    ReportDelivery.unscoped.filter(pk=busy.pk).update(next_attempt_at=DUE + dt.timedelta(minutes=4))
    result = dispatch(DUE + dt.timedelta(minutes=8))
    assert (schedule.pk, DUE.isoformat()) in result.retries
    busy.refresh_from_db()
    assert (busy.status, busy.attempts) == (DeliveryStatus.SENT, 2)
    assert smtp.count_to("busy@example.test") == 1 and smtp.count_to("gone@example.test") == 0

    # The history shows status, recipients and the server's answer.
    page = manager_client.get(reverse("schedule_detail", kwargs={"org_slug": org.slug, "schedule_id": schedule.pk}))
    html = page.content.decode()
    assert "gone@example.test: 550 5.1.1" in html and "busy@example.test" in html and "Failed" in html


def test_a_transient_error_gives_up_after_the_last_attempt(org, week, make_schedule, manager, smtp_settings):
    smtp_settings.transient[manager.email] = 100
    schedule = make_schedule(members=[manager])
    services.dispatch_due(now=DUE + dt.timedelta(minutes=3))
    delays = []
    for _ in range(services.MAX_ATTEMPTS):
        services.period_send(schedule_id=schedule.pk, due_at=DUE)
        delivery = row(org, manager.email)
        if delivery.next_attempt_at and delivery.status == DeliveryStatus.PENDING:
            delays.append(round((delivery.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds() / 60))
            ReportDelivery.unscoped.filter(pk=delivery.pk).update(next_attempt_at=dt.datetime.now(dt.UTC))
    assert delays == [1, 2, 4, 8, 15]  # minutes: doubling, capped at 15
    delivery = row(org, manager.email)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, services.MAX_ATTEMPTS)
    assert delivery.last_error == (f"Gave up after 6 attempts. Last error: {manager.email}: "
                                   "451 4.7.1 Greylisted, try again later")
    assert smtp_settings.count_to(manager.email) == 0


def test_an_unreachable_server_is_transient(org, week, make_schedule, manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    schedule = make_schedule(members=[manager])
    services.dispatch_due(now=DUE + dt.timedelta(minutes=3))
    result = services.period_send(schedule_id=schedule.pk, due_at=DUE)
    assert result.retry_in == 60
    delivery = row(org, manager.email)
    assert delivery.status == DeliveryStatus.PENDING and "ConnectionRefusedError" in delivery.last_error
