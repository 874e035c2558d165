"""Rebuilding snapshots: whole organization-days replaced in one transaction."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Q

from accounts.models import Organization
from reports.builders import MAX_CHUNK_DAYS, Builder, chunks
from reports.models import (
    AgentDaySnapshot,
    ChannelDaySnapshot,
    DaySnapshot,
    DirtyDay,
    HourSnapshot,
    SegmentDaySnapshot,
    TagDaySnapshot,
    TeamDaySnapshot,
    TouchpointDaySnapshot,
)
from reports.rollups import refresh_rollups

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
    written = build(first, last, GRAIN_TABLES)
    refresh_rollups(organization, first, last)
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


@transaction.atomic
def _rebuild_days(organization: Organization, first: dt.date, last: dt.date, whole: list, fcr: list) -> None:
    """Whole rebuilds of `whole` and first-contact-resolution rebuilds of `fcr` (days already
    built), all within first..last (at most a chunk), in one transaction."""
    _lock_days(organization, first, last)
    builder = Builder(organization)
    for start, end in contiguous_ranges(whole):
        builder.build_chunk(start, end, GRAIN_TABLES)
    for start, end in contiguous_ranges(fcr):
        builder.build_fcr_chunk(start, end, GRAIN_TABLES)
    refresh_rollups(organization, first, last)


def fcr_rebuild(*, organization: Organization, first: dt.date, last: dt.date) -> int:
    """Recompute only first-contact resolution for the local days first..last (see
    Builder.build_fcr_chunk), each chunk in one transaction; days never built yet get a full
    rebuild. Returns the snapshot rows updated or written."""
    if last < first:
        return 0
    built = _built_days(organization, first, last)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    written = 0
    for start, end in contiguous_ranges([day for day in days if day not in built]):
        written += snapshots_rebuild(organization=organization, first=start, last=end)
    builder = Builder(organization)
    for start, end in contiguous_ranges([day for day in days if day in built]):
        for chunk_first, chunk_last in chunks(start, end):
            written += _rebuild_chunk(organization, chunk_first, chunk_last, builder.build_fcr_chunk)
    return written


def dirty_days_rebuild(*, organization: Organization) -> list[dt.date]:
    """Rebuild the organization's dirty days; returns them.

    Days marked for first-contact resolution only get just that recomputed. A dirty mark is
    removed only if it was not renewed while the rebuild ran (its `marked_at` is still the one
    read here), so a write that lands mid-rebuild is rebuilt next time.
    """
    seen = list(DirtyDay.objects.for_org(organization).values_list("day", "marked_at", "fcr_only"))
    if not seen:
        return []
    whole = [day for day, _, fcr_only in seen if not fcr_only]
    fcr = [day for day, _, fcr_only in seen if fcr_only]
    first, last = min(day for day, _, _ in seen), max(day for day, _, _ in seen)
    if (last - first).days < MAX_CHUNK_DAYS and set(fcr) <= _built_days(organization, first, last):
        # The usual sweep (a few recent days): one transaction, roll-ups refreshed once.
        _rebuild_days(organization, first, last, whole, fcr)
    else:
        for start, end in contiguous_ranges(whole):
            snapshots_rebuild(organization=organization, first=start, last=end)
        for start, end in contiguous_ranges(fcr):
            fcr_rebuild(organization=organization, first=start, last=end)
    for i in range(0, len(seen), 200):
        batch = seen[i:i + 200]
        match = functools.reduce(operator.or_, (Q(day=day, marked_at=marked) for day, marked, _ in batch))
        DirtyDay.objects.for_org(organization).filter(match).delete()
    return sorted(day for day, _, _ in seen)
