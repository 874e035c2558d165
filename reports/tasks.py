"""Celery tasks: ids and ISO dates in, one service call inside, idempotent, acks_late."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from accounts.models import Organization
from reports.freshness import mark_dirty
from reports.models import DirtyDay
from reports.snapshots import dirty_days_rebuild, snapshots_rebuild

# Local hour at which the nightly rebuild of yesterday and today runs for an organization.
NIGHTLY_LOCAL_HOUR = 2


@shared_task(acks_late=True, ignore_result=True)
def rebuild_dirty_days_task(organization_id: int) -> None:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        dirty_days_rebuild(organization=organization)


@shared_task(acks_late=True, ignore_result=True)
def rebuild_range_task(organization_id: int, first: str, last: str) -> None:
    organization = Organization.objects.get(pk=organization_id)
    snapshots_rebuild(organization=organization, first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last))


@shared_task(acks_late=True, ignore_result=True)
def sweep_dirty_days_task() -> None:
    """Frequent: one rebuild task per organization that has dirty days."""
    for organization_id in DirtyDay.unscoped.values_list("organization_id", flat=True).distinct():
        rebuild_dirty_days_task.delay(organization_id)


@shared_task(acks_late=True, ignore_result=True)
def nightly_rebuild_task() -> None:
    """Hourly; for each organization whose local time is in its nightly hour, rebuild its
    local yesterday and today (late corrections the write paths could not see)."""
    now = timezone.now()
    for organization in Organization.objects.all():
        local = now.astimezone(organization.tzinfo)
        if local.hour == NIGHTLY_LOCAL_HOUR:
            mark_dirty(organization=organization, days={local.date() - dt.timedelta(days=1), local.date()})
