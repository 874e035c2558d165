"""Which (organization, local day) pairs a write touched, so their snapshots get rebuilt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from reports.models import DirtyDay


def local_days(*, organization: Organization, timestamps: Iterable[dt.datetime | None]) -> set[dt.date]:
    """The organization's local dates of the given aware datetimes (None is skipped)."""
    tz = organization.tzinfo
    return {ts.astimezone(tz).date() for ts in timestamps if ts is not None}


# A burst of writes enqueues one rebuild per organization in this many seconds (the frequent
# sweep picks up anything marked while that rebuild was already running).
ENQUEUE_DEBOUNCE_SECONDS = 5


def _enqueue_rebuild(organization_id: int) -> None:
    from django.core.cache import cache

    from helpdesk_metrics.celery import app
    from reports.tasks import rebuild_dirty_days_task

    # Eager (embedded default): rebuild right away so numbers are fresh after every write.
    if app.conf.task_always_eager or cache.add(f"rebuild-enqueued:{organization_id}", 1, ENQUEUE_DEBOUNCE_SECONDS):
        rebuild_dirty_days_task.delay(organization_id)


@transaction.atomic
def mark_dirty(*, organization: Organization, days: Iterable[dt.date]) -> set[dt.date]:
    """Record that the snapshots of these local days must be rebuilt, and enqueue that rebuild
    once the transaction commits; returns the days."""
    days = set(days)
    if not days:
        return days
    now = timezone.now()
    DirtyDay.unscoped.bulk_create(
        [DirtyDay(organization=organization, day=day, marked_at=now) for day in sorted(days)],
        update_conflicts=True,
        unique_fields=["organization", "day"],
        update_fields=["marked_at"],
    )
    transaction.on_commit(lambda: _enqueue_rebuild(organization.pk))
    return days


def chat_days(*, organization: Organization, requested_ats: Iterable[dt.datetime | None]) -> set[dt.date]:
    """Days whose snapshots a chat requested at these times can change.

    Its own local day, and, because first-contact resolution looks for a repeat contact within
    the organization's follow-up window, every earlier day whose chats' windows reach it.
    """
    window = dt.timedelta(hours=organization.follow_up_window_hours)
    tz = organization.tzinfo
    days: set[dt.date] = set()
    for ts in requested_ats:
        if ts is None:
            continue
        last = ts.astimezone(tz).date()
        day = (ts - window).astimezone(tz).date()
        while day <= last:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


# Organization settings the snapshots depend on: changing one invalidates every day.
SNAPSHOT_SETTINGS = ("timezone", "follow_up_window_hours", "csat_scale")


def data_days(*, organization: Organization) -> tuple[dt.date, dt.date] | None:
    """The first and last local day with any data or snapshot (None: nothing yet)."""
    from django.db.models import Max, Min

    from chats.models import AgentSession, CannedResponseUse, Chat, Ticket
    from reports.models import DaySnapshot
    from surveys.models import SurveyAnswer

    bounds = [
        Chat.objects.for_org(organization).aggregate(a=Min("requested_at"), b=Max("requested_at")),
        Ticket.objects.for_org(organization).aggregate(a=Min("created_at"), b=Max("resolved_at")),
        SurveyAnswer.objects.for_org(organization).aggregate(a=Min("answered_at"), b=Max("answered_at")),
        CannedResponseUse.objects.for_org(organization).aggregate(a=Min("used_at"), b=Max("used_at")),
        AgentSession.objects.for_org(organization).aggregate(a=Min("started_at"), b=Max("ended_at")),
    ]
    days = local_days(organization=organization, timestamps=[v for b in bounds for v in b.values()])
    snapshots = DaySnapshot.objects.for_org(organization).aggregate(a=Min("day"), b=Max("day"))
    days |= {d for d in snapshots.values() if d is not None}
    return (min(days), max(days)) if days else None


def mark_all_days_dirty(*, organization: Organization) -> set[dt.date]:
    """After a change that affects every snapshot (a setting, an SLA target): mark the whole
    span of the organization's data dirty."""
    span = data_days(organization=organization)
    if span is None:
        return set()
    first, last = span
    return mark_dirty(organization=organization, days={first + dt.timedelta(days=i) for i in range((last - first).days + 1)})
