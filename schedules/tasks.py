"""Celery tasks of report schedules: ids and ISO instants in, one service call inside,
acks_late and idempotent (every e-mail is claimed in the database before it is sent)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from schedules import services


def enqueue_period(schedule_id: int, due_at: str, countdown: int | None = None) -> None:
    send_schedule_period_task.apply_async((schedule_id, due_at), countdown=countdown)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due_reports_task() -> None:
    """Every few minutes (beat, off minute 0): one delivery task per due run of a schedule."""
    services.dispatch_due(enqueue=enqueue_period)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def send_schedule_period_task(self, schedule_id: int, due_at: str) -> None:
    """Send what is still to be sent of one run. With retries waiting (a transient SMTP error,
    or a claim of another worker not finished yet), the task comes back when the earliest is due;
    eagerly (the embedded default) the dispatcher's next run picks them up instead."""
    result = services.period_send(schedule_id=schedule_id, due_at=dt.datetime.fromisoformat(due_at))
    if result.retry_in is not None and not self.request.is_eager:
        enqueue_period(schedule_id, due_at, countdown=result.retry_in)
