"""Rebuilding snapshots: whole organization-days replaced in one transaction.

``rebuild_dirty_days`` is what tasks and commands use: it rebuilds the days marked dirty
(reports.freshness.mark_dirty) chunk by chunk, removing each chunk's marks in the transaction
that replaces its snapshots, so the marks are always exactly the days not rebuilt yet (a range
rebuild marks its range first: ``range_rebuild``). A day whose rebuild fails keeps its mark with
the failure and is retried later; it does not hold up the organization's other days.
``snapshots_rebuild`` is the low-level rebuild of a range, without marks.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import operator
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from reports.builders import MAX_CHUNK_DAYS, Builder, chunks
from reports.freshness import mark_dirty
from reports.models import (
    AgentDaySnapshot,
    CannedResponseDaySnapshot,
    ChannelDaySnapshot,
    CriterionDaySnapshot,
    DaySnapshot,
    DirtyDay,
    HourSnapshot,
    SegmentDaySnapshot,
    TagDaySnapshot,
    TeamDaySnapshot,
    TouchpointDaySnapshot,
)
from reports.rollups import CapturedDays, capture_days, lock_months, month_start, refresh_rollups

# grain -> (model, dimension field or None)
GRAIN_MODELS = {
    "org": (DaySnapshot, None),
    "agent": (AgentDaySnapshot, "agent_id"),
    "team": (TeamDaySnapshot, "team_id"),
    "channel": (ChannelDaySnapshot, "channel"),
    "tag": (TagDaySnapshot, "tag_id"),
    "hour": (HourSnapshot, "hour"),
    "segment": (SegmentDaySnapshot, "segment"),
    "touchpoint": (TouchpointDaySnapshot, "touchpoint"),
    "canned_response": (CannedResponseDaySnapshot, "canned_response_id"),
    "criterion": (CriterionDaySnapshot, "criterion"),
}


def _lock_days(organization: Organization, first: dt.date, last: dt.date) -> None:
    """Two workers never build the same organization-day at once: transaction-scoped advisory
    locks, taken in day order so two overlapping ranges cannot deadlock. (SQLite, the
    single-process embedded default, serializes writers by itself.)"""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(%s, d) FROM generate_series(%s::int, %s::int) AS d ORDER BY d",
            [organization.pk, first.toordinal(), last.toordinal()],
        )


# grain -> (snapshot table, dimension column or None), as the builder writes them.
GRAIN_TABLES = {
    grain: (model._meta.db_table, model._meta.get_field(dim_field).column if dim_field else None)
    for grain, (model, dim_field) in GRAIN_MODELS.items()
}


@transaction.atomic
def _rebuild_chunk(organization: Organization, first: dt.date, last: dt.date, build) -> int:
    """One chunk in one transaction: `build` (Builder.build_chunk or build_fcr_chunk) under the
    days' locks, then the roll-ups of the months it touched."""
    _lock_days(organization, first, last)
    captured = capture_days(organization.pk, first, last)
    written = build(first, last, GRAIN_TABLES)
    refresh_rollups(organization, first, last, captured=captured)
    return written


def snapshots_rebuild(
    *, organization: Organization, first: dt.date, last: dt.date,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild every grain for the local days first..last (inclusive); returns rows written.

    Each chunk of days is replaced in one transaction, so a reader sees a day either wholly
    before or wholly after the rebuild. Running it twice gives the same rows.
    """
    if last < first:
        return 0
    builder = Builder(organization)
    written = 0
    for start, end in chunks(first, last):
        written += _rebuild_chunk(organization, start, end, builder.build_chunk)
        if progress:
            progress((end - start).days + 1)
    return written


def contiguous_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _built_days(organization: Organization, first: dt.date, last: dt.date) -> set[dt.date]:
    return set(DaySnapshot.objects.for_org(organization).filter(day__gte=first, day__lte=last)
               .values_list("day", flat=True))


# --- dirty days ---------------------------------------------------------------------------

logger = logging.getLogger(__name__)

# The wait before retrying a day whose rebuild failed: 1 minute, doubling per failed attempt,
# at most 6 hours (a write to the day makes it due again at once).
RETRY_FIRST_DELAY = dt.timedelta(minutes=1)
RETRY_MAX_DELAY = dt.timedelta(hours=6)
ERROR_MAX_CHARS = 2000


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th failed rebuild a day is tried again."""
    return min(RETRY_MAX_DELAY, RETRY_FIRST_DELAY * 2 ** min(max(attempts - 1, 0), 20))


def due_marks(now: dt.datetime) -> Q:
    """Marks a rebuild takes now: never failed, or past their next attempt."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


@dataclass
class DirtyDaysRebuild:
    """What one rebuild_dirty_days run did."""

    rebuilt: list[dt.date] = field(default_factory=list)  # built, marks removed
    failed: list[dt.date] = field(default_factory=list)  # failed now, recorded on their marks
    rows: int = 0  # snapshot rows written or updated
    # Due marks were left when it ended (the deadline passed, or writes marked days meanwhile):
    # someone must run again.
    more: bool = False
    # Another rebuild of the organization was running: nothing done (that one checks `more`).
    busy: bool = False


@contextmanager
def _organization_lock(organization: Organization, *, wait: float | None) -> Iterator[bool]:
    """One rebuild of an organization's dirty days at a time: a session-level advisory lock on
    (organization, 0) (the day locks' second key is a day ordinal, from 1). Waits for it `wait`
    seconds (None: as long as it takes) and yields whether it was taken. SQLite (one process)
    needs none."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        if wait is None:
            cur.execute("SELECT pg_advisory_lock(%s, 0)", [organization.pk])
            acquired = True
        else:
            give_up = time.monotonic() + wait
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s, 0)", [organization.pk])
                acquired = bool(cur.fetchone()[0])
                if acquired or time.monotonic() >= give_up:
                    break
                time.sleep(0.1)
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s, 0)", [organization.pk])
            except DatabaseError:  # a broken connection: its session, and the lock, are gone
                logger.warning("could not release the rebuild lock of organization %s", organization.pk, exc_info=True)


@dataclass(frozen=True)
class _Mark:
    """A due mark as the run read it."""

    marked_at: dt.datetime
    failed_at: dt.datetime | None


def _plan(marks: dict[dt.date, _Mark]) -> list[list[dt.date]]:
    """The transactions to try, in order: the days never failed in windows of at most
    MAX_CHUNK_DAYS days (usually one), then each day that failed before on its own (so a day
    that still fails does not first fail a whole chunk)."""
    groups: list[list[dt.date]] = []
    for day in sorted(day for day, mark in marks.items() if mark.failed_at is None):
        if groups and (day - groups[-1][0]).days < MAX_CHUNK_DAYS:
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups + [[day] for day in sorted(day for day, mark in marks.items() if mark.failed_at is not None)]


def _delete_marks(organization: Organization, marks: list[tuple[dt.date, dt.datetime]]) -> None:
    """Delete these (day, marked_at) marks unless renewed since (`marked_at` changed). On
    PostgreSQL the rows are first locked in day order, as mark_dirty locks them, so a write
    transaction marking the same days waits instead of deadlocking."""
    scoped = DirtyDay.objects.for_org(organization)
    if connection.vendor == "postgresql":
        list(scoped.filter(day__in=[day for day, _ in marks]).order_by("day").select_for_update().values_list("pk"))
    for i in range(0, len(marks), 200):
        batch = marks[i:i + 200]
        scoped.filter(functools.reduce(operator.or_, (Q(day=day, marked_at=marked) for day, marked in batch))).delete()


@transaction.atomic
def _rebuild_marked(organization: Organization, days: list[dt.date], now: dt.datetime) -> tuple[list[dt.date], int]:
    """One transaction: the locks of days[0]..days[-1]; these days' due marks, read under them
    (another rebuild may just have built some); their rebuild (an FCR-only mark of a day already
    built gets just that); the roll-ups; the marks deleted. Returns the days and rows written."""
    _lock_days(organization, days[0], days[-1])
    marks = list(DirtyDay.objects.for_org(organization).filter(due_marks(now), day__in=days)
                 .values_list("day", "marked_at", "fcr_only"))
    if not marks:
        return [], 0
    first, last = min(day for day, _, _ in marks), max(day for day, _, _ in marks)
    built = _built_days(organization, first, last)
    builder = Builder(organization)
    rows = 0
    whole = [day for day, _, fcr in marks if not fcr or day not in built]
    fcr_only = [day for day, _, fcr in marks if fcr and day in built]
    captured = capture_days(organization.pk, min(whole), max(whole)) if whole else None
    for start, end in contiguous_ranges(whole):
        rows += builder.build_chunk(start, end, GRAIN_TABLES)
    for start, end in contiguous_ranges(fcr_only):
        rows += builder.build_fcr_chunk(start, end, GRAIN_TABLES)
    _refresh_months_of(organization, whole, fcr_only, captured)
    _delete_marks(organization, [(day, marked) for day, marked, _ in marks])
    return sorted(day for day, _, _ in marks), rows


def _refresh_months_of(organization: Organization, whole: list[dt.date], fcr_only: list[dt.date],
                       captured: CapturedDays | None) -> None:
    """The roll-ups of the months these days are in: wholly (histograms updated by the delta of
    ``captured``, the whole days' rows before the build) where a day was built wholly, sums only
    where only first-contact resolution was recomputed (no histogram changed). Every month's
    lock is taken first, in one order."""
    days = whole + fcr_only
    if not days:
        return
    lock_months(organization.pk, min(days), max(days))
    if whole:
        refresh_rollups(organization, min(whole), max(whole), captured=captured)
    done = (month_start(min(whole)), month_start(max(whole))) if whole else None
    for month in sorted({month_start(day) for day in fcr_only}):
        if done is None or not done[0] <= month <= done[1]:
            refresh_rollups(organization, month, month, histograms=False)


def _record_failure(organization: Organization, day: dt.date, seen_marked_at: dt.datetime, exc: BaseException) -> None:
    """Keep the day's mark with the failure: error, attempts, when, and the next attempt (at
    once if a write marked the day again since it was read: that data was not tried yet)."""
    now = timezone.now()
    with transaction.atomic():
        mark = DirtyDay.objects.for_org(organization).select_for_update().filter(day=day).first()
        if mark is None:  # built meanwhile by another rebuild
            return
        attempts = mark.attempts + 1
        next_attempt = now + retry_delay(attempts) if mark.marked_at == seen_marked_at else None
        error = f"{type(exc).__name__}: {exc}".strip()[:ERROR_MAX_CHARS]
        DirtyDay.objects.for_org(organization).filter(pk=mark.pk).update(
            attempts=attempts, last_error=error, failed_at=now, next_attempt_at=next_attempt)
    logger.error(
        "Snapshot rebuild failed: organization %s (id %s), day %s, attempt %s, next attempt %s: %s",
        organization.slug, organization.pk, day.isoformat(), attempts,
        next_attempt.isoformat() if next_attempt else "at once", error, exc_info=exc)


def _rebuild_isolating(organization: Organization, days: list[dt.date], marks: dict[dt.date, _Mark], now: dt.datetime,
                       result: DirtyDaysRebuild) -> None:
    """Rebuild `days` in one transaction; if that raises, the halves, and so on down to single
    days, so exactly the failing days are recorded and every other day is built."""
    try:
        rebuilt, rows = _rebuild_marked(organization, days, now)
    except SoftTimeLimitExceeded as exc:
        # The task's time is up (the chunk alone ran for minutes): no time to split it. Its
        # days are recorded, so they back off instead of stalling every later run the same way.
        for day in days:
            _record_failure(organization, day, marks[day].marked_at, exc)
        result.failed += days
        raise
    except Exception as exc:  # any error of one day's data must not stop the others
        error = exc
    else:
        result.rebuilt += rebuilt
        result.rows += rows
        return
    # Out of the except block, so that a half's own error is not chained to this one.
    if len(days) == 1:
        _record_failure(organization, days[0], marks[days[0]].marked_at, error)
        result.failed += days
        return
    middle = len(days) // 2
    _rebuild_isolating(organization, days[:middle], marks, now, result)
    _rebuild_isolating(organization, days[middle:], marks, now, result)


def rebuild_dirty_days(
    *, organization: Organization, deadline: float | None = None, wait: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> DirtyDaysRebuild:
    """Rebuild the organization's due dirty days (never failed, or past their next attempt).

    Each chunk of up to MAX_CHUNK_DAYS days is one transaction that replaces the days'
    snapshots, refreshes their months' roll-ups and deletes their marks — only marks not renewed
    meanwhile (`marked_at` still the one read under the days' locks), so a write landing
    mid-rebuild is rebuilt next time. Days marked for first-contact resolution only, and
    already built, get just that recomputed. A chunk that raises is split until the failing
    days are isolated: each keeps its mark with the error, its attempt count, when it failed and
    when to try again (retry_delay), and is logged; the other days are built.

    `deadline` (a time.monotonic() value): no chunk starts after it (one always does); `more` in
    the result says due days are left. One rebuild of an organization runs at a time: it waits
    for another to end, at most `wait` seconds if given, then returns `busy` having done nothing
    (the running one reports `more` for what it leaves, checked after it lets go; the wait
    covers a killed one whose database session has not ended yet). `progress(n)`: n days done.
    Raises only for what is not a day's fault (the database gone, the task's soft time limit).
    """
    result = DirtyDaysRebuild()
    with _organization_lock(organization, wait=wait) as acquired:
        if not acquired:
            result.busy = True
            return result
        now = timezone.now()
        marks = {day: _Mark(marked, failed) for day, marked, failed in DirtyDay.objects.for_org(organization)
                 .filter(due_marks(now)).values_list("day", "marked_at", "failed_at")}
        for i, days in enumerate(_plan(marks)):
            if i and deadline is not None and time.monotonic() >= deadline:
                break
            _rebuild_isolating(organization, days, marks, now, result)
            if progress:
                progress(len(days))
    # After letting go of the lock: a rebuild that found it taken meanwhile did nothing.
    result.more = DirtyDay.objects.for_org(organization).filter(due_marks(timezone.now())).exists()
    return result


def dirty_days_rebuild(*, organization: Organization) -> list[dt.date]:
    """rebuild_dirty_days, waiting for any other rebuild of the organization, with no deadline;
    returns the days rebuilt (not those that failed, which keep their marks)."""
    return rebuild_dirty_days(organization=organization).rebuilt


def range_rebuild(
    *, organization: Organization, first: dt.date, last: dt.date, deadline: float | None = None,
    wait: float | None = None, progress: Callable[[int], None] | None = None,
) -> DirtyDaysRebuild:
    """Rebuild the local days first..last through the dirty marks: the range is marked dirty
    first (one committed statement), then rebuilt by rebuild_dirty_days (with the organization's
    other due days), so whatever this does not get to, stopped by the deadline or killed,
    stays pending and is finished by the next rebuild (the sweep's, at the latest)."""
    if last < first:
        return DirtyDaysRebuild()
    # No rebuild enqueued for these marks: this one is about to run.
    mark_dirty(organization=organization, days={first + dt.timedelta(days=i) for i in range((last - first).days + 1)},
               enqueue=False)
    return rebuild_dirty_days(organization=organization, deadline=deadline, wait=wait, progress=progress)


def failed_days_retry(*, organization: Organization) -> DirtyDaysRebuild:
    """Retry the organization's failed days now: their backoff cleared, then rebuild_dirty_days
    (after any rebuild of the organization already running). What still fails is recorded again,
    as its `attempts` + 1."""
    DirtyDay.objects.for_org(organization).filter(failed_at__isnull=False).update(next_attempt_at=None)
    return rebuild_dirty_days(organization=organization)
