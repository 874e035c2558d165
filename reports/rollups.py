"""Monthly roll-ups: whole local calendar months of day snapshots, summed once.

A month-grain row holds, per (organization, month[, dimension]), the sum of every additive
component of that month's day rows of the same grain (org, agent, team, channel, tag; the hour
grain has none); the org grain's also holds the month's merged histograms. ``refresh_rollups``
recomputes the months a rebuilt chunk of days touches from the DAY SNAPSHOT rows (never raw
rows), by set-based SQL, inside the transaction that wrote the day rows, so a month row always
equals its days.

The metrics service reads whole months inside a range from here and only the edge days from the
day rows: a long range costs about the same whatever the volume behind it (a merged histogram
has at most a few hundred buckets however many values it counts).

Why the dimension grains hold no histograms: a month's refresh must re-merge every day row's
pairs, and at 1,000,000 chats a year an agent-month is 3,000 agent-day rows × 9 durations × ~20
buckets; merging them costs ~0.8 s (team ~0.26 s, tag ~0.24 s, channel ~0.09 s) against a
budget of ~0.1-0.15 s for the whole refresh on the late-data path. Their sums cost 5-25 ms.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from reports.models import (
    AgentDaySnapshot,
    AgentMonthSnapshot,
    ChannelDaySnapshot,
    ChannelMonthSnapshot,
    DaySnapshot,
    MonthSnapshot,
    TagDaySnapshot,
    TagMonthSnapshot,
    TeamDaySnapshot,
    TeamMonthSnapshot,
)

# grain -> (day model, month model, dimension field or None)
ROLLUPS = {
    "org": (DaySnapshot, MonthSnapshot, None),
    "agent": (AgentDaySnapshot, AgentMonthSnapshot, "agent_id"),
    "team": (TeamDaySnapshot, TeamMonthSnapshot, "team_id"),
    "channel": (ChannelDaySnapshot, ChannelMonthSnapshot, "channel"),
    "tag": (TagDaySnapshot, TagMonthSnapshot, "tag_id"),
}

_KEY_FIELDS = {"id", "organization", "month", "built_at"}


# --- calendar -------------------------------------------------------------------------------

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return next_month(day) - dt.timedelta(days=1)


def split_range(first: dt.date, last: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """The whole months inside first..last as (first month's 1st, last month's 1st), or None,
    and the day ranges outside them (at most two: the days before and after)."""
    lo = first if first.day == 1 else next_month(first)
    hi = month_start(last + dt.timedelta(days=1))  # the first month not wholly inside
    if lo >= hi:
        return None, [(first, last)]
    months = (lo, month_start(hi - dt.timedelta(days=1)))
    days = []
    if first < lo:
        days.append((first, lo - dt.timedelta(days=1)))
    if hi <= last:
        days.append((hi, last))
    return months, days


def rollup_has_histograms(month_model) -> bool:
    return bool(_columns(month_model, None)[1])


# --- refresh --------------------------------------------------------------------------------

def _columns(month_model, dim_field: str | None) -> tuple[list[str], list[str]]:
    """(additive component columns, histogram columns) of a month model: read from its fields,
    so a migration can pass its historical model."""
    sums, hists = [], []
    for f in month_model._meta.concrete_fields:
        if f.name in _KEY_FIELDS or f.attname == dim_field:
            continue
        (hists if f.get_internal_type() == "JSONField" else sums).append(f.column)
    return sums, hists


def refresh_sql(day_model, month_model, dim_field: str | None, vendor: str) -> str:
    """One INSERT ... SELECT writing every month of ``%(first)s..%(last)s`` (whole months) for
    ``%(org)s`` from the day rows: components summed, histograms (if the month model has
    them) merged bucket by bucket."""
    q = connection.ops.quote_name
    day_table, month_table = q(day_model._meta.db_table), q(month_model._meta.db_table)
    sums, hists = _columns(month_model, dim_field)
    if vendor == "postgresql":
        month_of = "CAST(date_trunc('month', d.day) AS date)"
        each, agg, empty = "jsonb_each_text", "jsonb_object_agg", "'{}'::jsonb"
    else:
        month_of = "date(d.day, 'start of month')"
        each, agg, empty = "json_each", "json_group_object", "'{}'"
    dim = f"d.{q(dim_field)}" if dim_field else "0"
    group = f"{month_of}, {dim}" if dim_field else month_of  # (GROUP BY 0 would be a position)
    where = "d.organization_id = %(org)s AND d.day >= %(first)s AND d.day <= %(last)s"
    summed = ", ".join(f"SUM(d.{q(c)}) AS {q(c)}" for c in sums)
    dim_column = [q(month_model._meta.get_field(dim_field.removesuffix("_id")).column)] if dim_field else []
    columns = ["organization_id", "month", *dim_column, "built_at", *map(q, sums), *map(q, hists)]
    select = ["%(org)s", "s.month", *(["s.g"] if dim_field else []), "s.built_at", *(f"s.{q(c)}" for c in sums)]
    ctes = [f"s AS (SELECT {month_of} AS month, {dim} AS g, MAX(d.built_at) AS built_at, {summed} "
            f"FROM {day_table} d WHERE {where} GROUP BY {group})"]
    source = "s"
    if hists:
        pairs = " UNION ALL ".join(
            f"SELECT {month_of} AS month, {dim} AS g, '{h}' AS metric, j.key AS b, SUM(CAST(j.value AS BIGINT)) AS n "
            f"FROM {day_table} d, {each}(d.{q(h)}) j WHERE {where} GROUP BY {group}, j.key"
            for h in hists
        )
        merged = ", ".join(f"{agg}(p.b, p.n) FILTER (WHERE p.metric = '{h}') AS {q(h)}" for h in hists)
        ctes += [f"p AS ({pairs})", f"h AS (SELECT p.month, p.g, {merged} FROM p GROUP BY p.month, p.g)"]
        select += [f"COALESCE(h.{q(c)}, {empty})" for c in hists]
        source = "s LEFT JOIN h ON h.month = s.month AND h.g = s.g"
    return (f"INSERT INTO {month_table} ({', '.join(columns)}) "
            f"WITH {', '.join(ctes)} SELECT {', '.join(select)} FROM {source}")


def _lock_months(org_id: int, first: dt.date, last: dt.date) -> None:
    """A month row sums days other chunks may be rebuilding: one writer per (organization,
    month) at a time, taken after the day locks and in month order (no deadlock). The key
    space (negative month numbers) is apart from the day locks' (positive day ordinals)."""
    if connection.vendor != "postgresql":
        return
    months = []
    month = month_start(first)
    while month <= last:
        months.append(-(month.year * 12 + month.month - 1))
        month = next_month(month)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, m) FROM unnest(%s::int[]) AS m ORDER BY m DESC", [org_id, months])


def refresh_months(org_id: int, first: dt.date, last: dt.date, rollups=None) -> int:
    """Recompute every month touched by first..last, every grain, from the day rows; returns
    month rows written. Run it inside the transaction that wrote the day rows. ``rollups``:
    (day model, month model, dimension field) triples, ROLLUPS by default (a migration passes
    its historical models)."""
    first, last = month_start(first), month_end(last)
    _lock_months(org_id, first, last)
    params = {"org": org_id, "first": first, "last": last}
    written = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The planner guesses 100 pairs per histogram (jsonb_each), so at a few thousand day
            # rows the estimate passes jit_above_cost and JIT compilation costs seconds for a
            # statement that runs in milliseconds. For this transaction's remaining statements.
            cur.execute("SET LOCAL jit = off")
        for day_model, month_model, dim_field in rollups or ROLLUPS.values():
            cur.execute(f"DELETE FROM {connection.ops.quote_name(month_model._meta.db_table)} "
                        "WHERE organization_id = %(org)s AND month >= %(first)s AND month <= %(last)s", params)
            cur.execute(refresh_sql(day_model, month_model, dim_field, connection.vendor), params)
            written += max(cur.rowcount, 0)
    return written


def refresh_rollups(organization, first: dt.date, last: dt.date) -> int:
    """The hook for reports.snapshots: after the day rows of first..last are written (same
    transaction), refresh every month they touch."""
    return refresh_months(organization.pk, first, last)
