"""Real processes: Celery workers on Redis sending through a local SMTP server (aiosmtpd), a
worker SIGKILLed in the middle of a run, and two dispatchers at once against PostgreSQL."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from schedules import services
from schedules.models import DeliveryStatus, ReportDelivery, ReportSchedule
from schedules.tasks import dispatch_due_reports_task
from tests.reports.workers import ROOT, wait_for, worker_database_url

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ADDRESSES = ["a@example.test", "b@example.test", "c@example.test", "d@example.test"]


def due_now(schedule):
    ReportSchedule.unscoped.filter(pk=schedule.pk).update(next_run_at=timezone.now() - dt.timedelta(minutes=1))


def smtp_env(smtp, **extra):
    return {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "REPORT_SEND_LEASE_SECONDS": "3", **extra}


def test_a_worker_sends_the_report_through_smtp(org, week, make_schedule, manager, smtp_server, worker_factory):
    schedule = make_schedule(members=[manager], external_recipients=["boss@example.test"])
    due_now(schedule)
    worker = worker_factory("mailer", env=smtp_env(smtp_server))
    dispatch_due_reports_task.delay()
    wait_for(lambda: len(smtp_server.messages) == 2, 60, lambda: worker.log()[-3000:])

    (message,) = [m for m in smtp_server.parsed() if m["To"] == "boss@example.test"]
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert "Weekly agent report" in text.get_content() and "Unsubscribe from this report" in text.get_content()
    assert html.get_content().lstrip().lower().startswith("<!doctype html>") and 'style="' in html.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename().startswith(f"{org.slug}-agents-")
    assert attachment.get_content().lstrip("\ufeff").startswith("Id [agent],Name [agent_name],")
    assert message["List-Unsubscribe"].strip().startswith("<http://localhost:8000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    wait_for(lambda: ReportDelivery.objects.for_org(org).filter(status=DeliveryStatus.SENT).count() == 2, 10,
             "rows not marked sent")
    assert message["Message-ID"].strip() == ReportDelivery.objects.for_org(org).get(recipient="boss@example.test").message_id


def test_a_worker_killed_mid_dispatch_sends_each_email_once(org, week, make_schedule, manager, smtp_server,
                                                            worker_factory):
    schedule = make_schedule(members=[], external_recipients=ADDRESSES)
    due_now(schedule)
    # The server stores b's message, then keeps the worker waiting for its answer: it is killed there.
    smtp_server.hold, smtp_server.hold_seconds = "b@example.test", 60
    worker = worker_factory("doomed-mailer", env=smtp_env(smtp_server))
    dispatch_due_reports_task.delay()
    wait_for(smtp_server.held.is_set, 60, lambda: worker.log()[-3000:])
    worker.kill_child()

    # The task comes back (acks_late, reject_on_worker_lost): c and d are sent; b, claimed by the
    # killed attempt, is never sent again and is recorded as interrupted after the lease.
    def settled():
        rows = dict(ReportDelivery.objects.for_org(org).values_list("recipient", "status"))
        return rows == {"a@example.test": "sent", "b@example.test": "failed", "c@example.test": "sent",
                        "d@example.test": "sent"}
    wait_for(settled, 90, lambda: f"{list(ReportDelivery.objects.for_org(org).values_list('recipient', 'status'))}\n"
             f"{worker.log()[-4000:]}", interval=0.2)
    assert "WorkerLostError" in worker.log()
    assert [smtp_server.count_to(a) for a in ADDRESSES] == [1, 1, 1, 1]
    b = ReportDelivery.objects.for_org(org).get(recipient="b@example.test")
    assert b.last_error == str(services.INTERRUPTED) and b.attempts == 1


def test_two_dispatchers_in_parallel_processes_deliver_once_per_recipient(org, member_factory, make_schedule,
                                                                            smtp_server):
    schedules = [make_schedule(name=f"Report {i}", members=[], external_recipients=ADDRESSES[:3]) for i in range(4)]
    for s in schedules:
        due_now(s)
    smtp_server.delay = 0.15  # 12 e-mails: about 2 s of sending each way, so the two runs overlap
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "REDIS_URL": "", "PYTHONPATH": str(ROOT),
           **smtp_env(smtp_server)}
    command = [sys.executable, "manage.py", "send_due_reports"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(2)]
    outputs = [r.communicate(timeout=120)[0].decode() for r in runs]
    assert all(r.returncode == 0 for r in runs), outputs
    assert len(smtp_server.messages) == 12, outputs
    for address in ADDRESSES[:3]:
        assert smtp_server.count_to(address) == 4
    assert ReportDelivery.objects.for_org(org).filter(status=DeliveryStatus.SENT).count() == 12
    # Between them the two processes claimed each run once.
    claimed = sum(int(o.rsplit(" due,", 1)[0].rsplit("\n", 1)[-1]) for o in outputs)
    assert claimed == 4, outputs
