"""Which (organization, local day) pairs a write touched, so their snapshots get rebuilt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
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


def _answer_days(organization: Organization, answers) -> set[dt.date]:
    return local_days(organization=organization, timestamps=answers.values_list("answered_at", flat=True))


def answer_days(*, organization: Organization, answers: Iterable[tuple]) -> set[dt.date]:
    """Days whose snapshots these survey answers, given as (answered_at, kind, chat_id,
    ticket_id), count on: each answer's own day and, because the CES–CSAT correlation pairs a
    CES answer with the CSAT answers of its conversation on the CES answer's day, the days of
    the CES answers of the conversations a CSAT answer belongs to."""
    from surveys.models import SurveyAnswer, SurveyKind

    answers = list(answers)
    days = local_days(organization=organization, timestamps=(a[0] for a in answers))
    chats = {a[2] for a in answers if a[1] == SurveyKind.CSAT and a[2] is not None}
    tickets = {a[3] for a in answers if a[1] == SurveyKind.CSAT and a[3] is not None}
    if chats or tickets:
        ces = SurveyAnswer.objects.for_org(organization).filter(kind=SurveyKind.CES)
        days |= _answer_days(organization, ces.filter(Q(chat_id__in=chats) | Q(ticket_id__in=tickets)))
    return days


def canned_use_days(*, organization: Organization, uses: Iterable[tuple]) -> set[dt.date]:
    """Days these canned-response uses, given as (used_at, chat_id), count on: the day of use,
    the chat's day (chats with a canned response) and the days of the chat's survey answers
    (CSAT after a canned response)."""
    from chats.models import Chat
    from surveys.models import SurveyAnswer

    uses = list(uses)
    days = local_days(organization=organization, timestamps=(u[0] for u in uses))
    chats = {u[1] for u in uses if u[1] is not None}
    if chats:
        requested = Chat.objects.for_org(organization).filter(pk__in=chats).values_list("requested_at", flat=True)
        days |= local_days(organization=organization, timestamps=requested)
        days |= _answer_days(organization, SurveyAnswer.objects.for_org(organization).filter(chat_id__in=chats))
    return days


def customer_days(*, organization: Organization, customer_ids: Iterable[int]) -> set[dt.date]:
    """Days whose per-segment survey snapshots depend on these customers: the days of the
    answers that take their segment from the customer (theirs, or their chat's or ticket's)."""
    from surveys.models import SurveyAnswer

    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return set()
    answers = SurveyAnswer.objects.for_org(organization).filter(segment="").filter(
        Q(customer_id__in=ids) | Q(chat__customer_id__in=ids) | Q(ticket__customer_id__in=ids))
    return _answer_days(organization, answers)


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
