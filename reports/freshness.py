"""Which (organization, local day) pairs a write touched, so their snapshots get rebuilt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from reports.models import DirtyDay


def local_days(*, organization: Organization, timestamps: Iterable[dt.datetime | None]) -> set[dt.date]:
    """The organization's local dates of the given aware datetimes (None is skipped)."""
    tz = organization.tzinfo
    return {ts.astimezone(tz).date() for ts in timestamps if ts is not None}


# A burst of writes enqueues one rebuild per organization in this many seconds: a write finding
# the flag set is covered by the rebuild already queued, which clears the flag when it starts
# and only then reads the marks (rebuild_starting).
ENQUEUE_DEBOUNCE_SECONDS = 5


def _enqueued_key(organization_id: int) -> str:
    return f"rebuild-enqueued:{organization_id}"


def enqueue_rebuild(*, organization_id: int) -> None:
    """Have the organization's dirty days rebuilt soon: a rebuild task, unless one is queued and
    not started yet (it will see every mark committed before this call)."""
    from django.core.cache import cache

    from helpdesk_metrics.celery import app
    from reports.tasks import rebuild_dirty_days_task

    # Eager (embedded default): rebuild right away so numbers are fresh after every write.
    if app.conf.task_always_eager or cache.add(_enqueued_key(organization_id), 1, ENQUEUE_DEBOUNCE_SECONDS):
        rebuild_dirty_days_task.delay(organization_id)


def rebuild_starting(*, organization_id: int) -> None:
    """Called by a rebuild before it reads any mark: from now on a write enqueues a new rebuild
    (a write committed earlier is read by this one)."""
    from django.core.cache import cache

    cache.delete(_enqueued_key(organization_id))


@transaction.atomic
def mark_dirty(
    *, organization: Organization, days: Iterable[dt.date], fcr_days: Iterable[dt.date] = (), enqueue: bool = True,
) -> set[dt.date]:
    """Record that the snapshots of these local days must be rebuilt (`fcr_days`: only their
    first-contact resolution, unless also in `days` or already marked for more), and, with
    `enqueue`, enqueue that rebuild once the transaction commits; returns every day marked.

    A day whose rebuild failed becomes due again at once (its failure record stays until it
    builds). Rows are written in day order, so two transactions marking overlapping days lock
    them in the same order and cannot deadlock. The enqueue cannot fail the write: an error
    there (or in the eager rebuild) is logged, and the sweep rebuilds the days.
    """
    days = set(days)
    fcr_days = set(fcr_days) - days
    if not days and not fcr_days:
        return days
    rows = sorted([(day, False) for day in days] + [(day, True) for day in fcr_days])
    now = timezone.now()
    table = DirtyDay._meta.db_table
    # A day stays FCR-only only while every mark it gets is.
    on_conflict = (f" ON CONFLICT (organization_id, day) DO UPDATE SET marked_at = excluded.marked_at, "
                   f"fcr_only = {table}.fcr_only AND excluded.fcr_only, next_attempt_at = NULL")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one statement, however many days
            cur.execute(
                f"INSERT INTO {table} (organization_id, day, marked_at, fcr_only) "
                f"SELECT %s, u.day, %s, u.fcr_only FROM unnest(%s::date[], %s::boolean[]) AS u(day, fcr_only) "
                f"ORDER BY u.day" + on_conflict,
                [organization.pk, now, [day for day, _ in rows], [fcr for _, fcr in rows]],
            )
        else:
            ops = connection.ops
            for i in range(0, len(rows), 500):  # stays under SQLite's parameter limit
                batch = rows[i:i + 500]
                cur.execute(
                    f"INSERT INTO {table} (organization_id, day, marked_at, fcr_only) VALUES "
                    + ", ".join(["(%s, %s, %s, %s)"] * len(batch)) + on_conflict,
                    [v for day, fcr in batch for v in (organization.pk, ops.adapt_datefield_value(day),
                                                       ops.adapt_datetimefield_value(now), fcr)],
                )
    if enqueue:
        transaction.on_commit(lambda: enqueue_rebuild(organization_id=organization.pk), robust=True)
    return days | fcr_days


def chat_days(*, organization: Organization, requested_ats: Iterable[dt.datetime | None]) -> set[dt.date]:
    """Days whose snapshots a chat requested at these times can change: its own local day, and,
    because first-contact resolution looks for a repeat contact within the organization's
    follow-up window, every earlier day whose chats' windows reach it (see fcr_window_days)."""
    requested_ats = list(requested_ats)
    return local_days(organization=organization, timestamps=requested_ats) | fcr_window_days(
        organization=organization, requested_ats=requested_ats)


def fcr_window_days(*, organization: Organization, requested_ats: Iterable[dt.datetime | None]) -> set[dt.date]:
    """The earlier days whose chats' follow-up windows reach a chat requested at these times:
    only their first-contact resolution can change (less the chats' own days)."""
    window = dt.timedelta(hours=organization.follow_up_window_hours)
    tz = organization.tzinfo
    own, days = set(), set()
    for ts in requested_ats:
        if ts is None:
            continue
        last = ts.astimezone(tz).date()
        own.add(last)
        day = (ts - window).astimezone(tz).date()
        while day < last:
            days.add(day)
            day += dt.timedelta(days=1)
    return days - own


def mark_chats_dirty(*, organization: Organization, requested_ats: Iterable[dt.datetime | None]) -> set[dt.date]:
    """Mark what chats requested at these times (written, changed or removed) touch: their own
    days wholly, the earlier days of their follow-up window for first-contact resolution only."""
    requested_ats = list(requested_ats)
    return mark_dirty(organization=organization, days=local_days(organization=organization, timestamps=requested_ats),
                      fcr_days=fcr_window_days(organization=organization, requested_ats=requested_ats))


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


@dataclass(frozen=True)
class RebuildBacklog:
    pending: int  # days marked dirty, failed ones included
    failed: int  # days whose last rebuild failed (retried with backoff)
    earliest_failed: list[dt.date]

    @property
    def rebuilding(self) -> int:
        """Days waiting for a rebuild that has not failed."""
        return self.pending - self.failed


def rebuild_backlog(*, organization: Organization, shown: int = 3) -> RebuildBacklog:
    """How many of the organization's days wait for a rebuild, how many of them failed, and the
    first `shown` failed days."""
    from django.db.models import Count

    marks = DirtyDay.objects.for_org(organization)
    counts = marks.aggregate(pending=Count("pk"), failed=Count("pk", filter=Q(failed_at__isnull=False)))
    earliest = list(marks.filter(failed_at__isnull=False).order_by("day").values_list("day", flat=True)[:shown]) \
        if counts["failed"] else []
    return RebuildBacklog(pending=counts["pending"], failed=counts["failed"], earliest_failed=earliest)


def failed_marks(*, organization: Organization | None = None):
    """The marks of days whose last rebuild failed, by organization and day (every
    organization's for None: the operator's view)."""
    marks = DirtyDay.objects.for_org(organization) if organization is not None else DirtyDay.unscoped.all()
    return marks.filter(failed_at__isnull=False).select_related("organization").order_by("organization__slug", "day")
