"""Celery tasks: ids and ISO dates in, one service call inside, idempotent, acks_late.

A rebuild task works for at most settings.SNAPSHOT_REBUILD_TASK_SECONDS (then one more chunk),
commits chunk by chunk and enqueues a rebuild for whatever is left, so it ends well within the
time limits and the broker's visibility timeout (settings). Whatever a killed task did not
finish is still marked dirty: its redelivery, the next rebuild or the sweep finishes it.
"""

from __future__ import annotations

import datetime as dt
import time

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import Organization
from reports.freshness import enqueue_rebuild, mark_dirty, rebuild_starting
from reports.models import DirtyDay
from reports.snapshots import DirtyDaysRebuild, due_marks, range_rebuild, rebuild_dirty_days

# Local hour at which the nightly rebuild of yesterday and today runs for an organization.
NIGHTLY_LOCAL_HOUR = 2
# How long a rebuild task waits for another rebuild of the same organization before leaving the
# work to it: long enough for a killed worker's database session to end (its statement finishes).
REBUILD_LOCK_WAIT_SECONDS = 5


def _deadline(task) -> float | None:
    # Eager (embedded default): the whole rebuild in the caller, no continuation task.
    return None if task.request.is_eager else time.monotonic() + settings.SNAPSHOT_REBUILD_TASK_SECONDS


def _continue(task, organization_id: int, result: DirtyDaysRebuild) -> None:
    if result.more and not task.request.is_eager:
        enqueue_rebuild(organization_id=organization_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def rebuild_dirty_days_task(self, organization_id: int) -> None:
    # Before any mark is read: a write committing from here on enqueues another rebuild.
    rebuild_starting(organization_id=organization_id)
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        _continue(self, organization_id, rebuild_dirty_days(
            organization=organization, deadline=_deadline(self), wait=REBUILD_LOCK_WAIT_SECONDS))


@shared_task(bind=True, acks_late=True, ignore_result=True)
def rebuild_range_task(self, organization_id: int, first: str, last: str) -> None:
    """The range is marked dirty, then rebuilt with the organization's dirty days."""
    rebuild_starting(organization_id=organization_id)
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        _continue(self, organization_id, range_rebuild(
            organization=organization, first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last),
            deadline=_deadline(self), wait=REBUILD_LOCK_WAIT_SECONDS))


@shared_task(acks_late=True, ignore_result=True)
def sweep_dirty_days_task() -> None:
    """Frequent: a rebuild for each organization with due dirty days (failed days wait for their
    next attempt)."""
    due = DirtyDay.unscoped.filter(due_marks(timezone.now()))
    for organization_id in due.values_list("organization_id", flat=True).distinct().order_by():
        enqueue_rebuild(organization_id=organization_id)


@shared_task(acks_late=True, ignore_result=True)
def nightly_rebuild_task() -> None:
    """Hourly; for each organization whose local time is in its nightly hour, rebuild its
    local yesterday and today (late corrections the write paths could not see)."""
    now = timezone.now()
    for organization in Organization.objects.all():
        local = now.astimezone(organization.tzinfo)
        if local.hour == NIGHTLY_LOCAL_HOUR:
            mark_dirty(organization=organization, days={local.date() - dt.timedelta(days=1), local.date()})
