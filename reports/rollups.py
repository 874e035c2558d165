"""Monthly roll-ups: whole local calendar months of day snapshots, summed once.

A month-grain row holds, per (organization, month[, dimension]), the sum of every additive
component of that month's day rows of the same grain and their merged histograms: the org,
agent, team, channel and tag grains, and the hour grain folded into hours of the week
(``HourOfWeekMonthSnapshot``: month × local weekday × local hour, the heatmap's cells, sums
only: see its model).
``refresh_months`` recomputes the months a rebuilt chunk of days touches from the DAY SNAPSHOT
rows (never raw rows), by set-based SQL, inside the transaction that wrote the day rows, so a
month row always equals its days.

The metrics service reads whole months inside a range from here and only the edge days from the
day rows, so a grouped read costs about groups × (months + edge days), whatever the volume
behind it (a merged histogram has at most a few hundred buckets however many values it counts).

Histograms are merged in SQL (reports.histogram: packed ``bigint[]`` on PostgreSQL, one
``unnest`` per row and duration); a rebuild updates them by the delta of the days it replaced
(capture_days, below), a migration merges every day row. A chunk that only recomputed first-contact resolution
(``histograms=False``) changed no histogram, so its months keep theirs and only their sums are
recomputed: the late-data path pays for merging the one whole day's months, not for the
follow-up window's days too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from reports import components as C
from reports.histogram import HistogramSQL
from reports.models import (
    AgentDaySnapshot,
    AgentMonthSnapshot,
    ChannelDaySnapshot,
    ChannelMonthSnapshot,
    DaySnapshot,
    HourOfWeekMonthSnapshot,
    HourSnapshot,
    MonthSnapshot,
    TagDaySnapshot,
    TagMonthSnapshot,
    TeamDaySnapshot,
    TeamMonthSnapshot,
)

# grain -> (day model, month model, dimension field or None): month rows keyed like their days.
ROLLUPS = {
    "org": (DaySnapshot, MonthSnapshot, None),
    "agent": (AgentDaySnapshot, AgentMonthSnapshot, "agent_id"),
    "team": (TeamDaySnapshot, TeamMonthSnapshot, "team_id"),
    "channel": (ChannelDaySnapshot, ChannelMonthSnapshot, "channel"),
    "tag": (TagDaySnapshot, TagMonthSnapshot, "tag_id"),
}
# The hour grain's roll-up: its day rows folded into (weekday, hour) cells per month.
HOUR_OF_WEEK = (HourSnapshot, HourOfWeekMonthSnapshot)

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


# --- refresh --------------------------------------------------------------------------------

def _columns(month_model, keys: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(additive component columns, histogram columns) of a month model: read from its fields,
    so a migration can pass its historical model."""
    sums, hists = [], []
    for f in month_model._meta.concrete_fields:
        if f.name in _KEY_FIELDS or f.attname in keys:
            continue
        (hists if f.name in C.HISTOGRAMS else sums).append(f.column)
    return sums, hists


@dataclass(frozen=True)
class _Rollup:
    """How one month table is grouped from its day table: (month column, day-row SQL) pairs."""

    day_model: object
    month_model: object
    keys: tuple[tuple[str, str], ...]


def weekday_sql(day: str, vendor: str) -> str:
    """The local weekday of a date column, 0 = Monday (Python's date.weekday())."""
    if vendor == "postgresql":
        return f"(CAST(EXTRACT(ISODOW FROM {day}) AS integer) - 1)"
    return f"((CAST(strftime('%%w', {day}) AS INTEGER) + 6) %% 7)"


def _rollup(day_model, month_model, dim_field: str | None, vendor: str) -> _Rollup:
    if month_model._meta.model_name == "hourofweekmonthsnapshot":
        return _Rollup(day_model, month_model, (("weekday", weekday_sql("d.day", vendor)), ("hour", "d.hour")))
    if dim_field is None:
        return _Rollup(day_model, month_model, ())
    column = month_model._meta.get_field(dim_field.removesuffix("_id")).column
    return _Rollup(day_model, month_model, ((column, f"d.{connection.ops.quote_name(dim_field)}"),))


def refresh_sql(day_model, month_model, dim_field: str | None, vendor: str, *, histograms: bool = True,
                buckets: str | None = None) -> str:
    """One INSERT ... SELECT writing every month of ``%(first)s..%(last)s`` (whole months) for
    ``%(org)s`` from the day rows: components summed, histograms merged bucket by bucket in
    SQL. ``histograms=False``: the statement is an UPDATE of the months' sums only (their
    histograms are unchanged). ``buckets``: a table of the months' summed bucket counts
    (month, k0.., metric, b, n; see _delta_sql) to pack instead of merging every day row."""
    return _refresh_sql(_rollup(day_model, month_model, dim_field, vendor), vendor, histograms=histograms,
                        buckets=buckets)


def _refresh_sql(r: _Rollup, vendor: str, *, histograms: bool, buckets: str | None = None) -> str:
    q = connection.ops.quote_name
    hs = HistogramSQL(vendor)
    day_table, month_table = q(r.day_model._meta.db_table), q(r.month_model._meta.db_table)
    key_columns = tuple(c for c, _ in r.keys)
    sums, hists = _columns(r.month_model, key_columns)
    month_of = "CAST(date_trunc('month', d.day) AS date)" if vendor == "postgresql" else "date(d.day, 'start of month')"
    key_sql = [month_of, *(expr for _, expr in r.keys)]
    key_names = ["month", *(f"k{i}" for i in range(len(r.keys)))]
    select_keys = ", ".join(f"{expr} AS {name}" for expr, name in zip(key_sql, key_names, strict=True))
    group = ", ".join(key_sql)
    where = "d.organization_id = %(org)s AND d.day >= %(first)s AND d.day <= %(last)s"
    summed = ", ".join(f"SUM(d.{q(c)}) AS {q(c)}" for c in sums)
    s_cte = (f"s AS (SELECT {select_keys}, MAX(d.built_at) AS built_at, {summed} "
             f"FROM {day_table} d WHERE {where} GROUP BY {group})")
    if not histograms:
        match = " AND ".join(f"{month_table}.{q(c)} = s.{n}" for c, n in zip(("month", *key_columns), key_names, strict=True))
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in ["built_at", *sums])
        return (f"WITH {s_cte} UPDATE {month_table} SET {sets} FROM s "
                f"WHERE {month_table}.organization_id = %(org)s AND {match}")
    columns = ["organization_id", "month", *map(q, key_columns), "built_at", *map(q, sums), *map(q, hists)]
    select = ["%(org)s", *(f"s.{n}" for n in key_names), "s.built_at", *(f"s.{q(c)}" for c in sums)]
    ctes = [s_cte]
    source = "s"
    if hists:
        if buckets:
            ctes.append(f"p AS (SELECT * FROM {buckets})")
        else:
            joins, metric, bucket, count = hs.unnest_all("d", [q(h) for h in hists])
            ctes.append(f"p AS (SELECT {select_keys}, {metric} AS metric, {bucket} AS b, SUM({count}) AS n "
                        f"FROM {day_table} d{joins} WHERE {where} GROUP BY {group}, {metric}, {bucket})")
        merged = ", ".join(f"{hs.aggregate('p.b', 'p.n')} FILTER (WHERE p.metric = {i}) AS {q(h)}"
                           for i, h in enumerate(hists))
        keys = ", ".join(f"p.{n}" for n in key_names)
        ctes.append(f"h AS (SELECT {keys}, {merged} FROM p GROUP BY {keys})")
        select += [f"COALESCE(h.{q(c)}, {hs.empty})" for c in hists]
        source = "s LEFT JOIN h ON " + " AND ".join(f"h.{n} = s.{n}" for n in key_names)
    return (f"INSERT INTO {month_table} ({', '.join(columns)}) "
            f"WITH {', '.join(ctes)} SELECT {', '.join(select)} FROM {source}")


# --- the histograms of a refresh as a delta ---------------------------------------------------
# Re-merging a month's histograms from all its day rows costs ~0.8 s per rebuild at 100,000
# chats a year (every agent-, tag-, team-day row of the month unnested), so the late-data path
# would miss its second. A rebuild instead copies the histograms of the day rows it is about
# to replace (capture_days, before the build) and then sums, per month and bucket, the month
# row's counts + the new day rows' − the copied ones (_delta_sql): integer counts, exact, and
# the work is the month rows' buckets plus the rebuilt days', not the whole month's days. The
# sums are recomputed from the day rows as before (float sums must not drift by subtraction).

CAPTURE_TABLE = "hm_rollup_old_{}"
DELTA_TABLE = "hm_rollup_buckets"


@dataclass(frozen=True)
class CapturedDays:
    """The day rows of first..last as they were before a rebuild, one temporary table per roll-up."""

    first: dt.date
    last: dt.date
    tables: tuple[str, ...]


def _all_rollups() -> list[tuple]:
    return [*ROLLUPS.values(), (*HOUR_OF_WEEK, None)]


def capture_days(org_id: int, first: dt.date, last: dt.date) -> CapturedDays:
    """Copy the histograms (and keys) of the organization's day rows of first..last of every
    rolled-up grain, in the rebuild's transaction before the build replaces them."""
    q = connection.ops.quote_name
    tables = []
    with connection.cursor() as cur:
        for i, (day_model, _, _) in enumerate(_all_rollups()):
            table = CAPTURE_TABLE.format(i)
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TEMPORARY TABLE {table} AS SELECT * FROM {q(day_model._meta.db_table)} "
                        "WHERE organization_id = %s AND day >= %s AND day <= %s", [org_id, first, last])
            tables.append(table)
    return CapturedDays(first, last, tuple(tables))


def _delta_sql(r: _Rollup, vendor: str, captured_table: str) -> str:
    """CREATE the DELTA_TABLE of every month of %(first)s..%(last)s: per (month, keys, metric,
    bucket) the month row's count + the day rows' of %(lo)s..%(hi)s − the captured ones'."""
    q = connection.ops.quote_name
    hs = HistogramSQL(vendor)
    key_columns = tuple(c for c, _ in r.keys)
    _, hists = _columns(r.month_model, key_columns)
    hist_sql = [q(h) for h in hists]
    month_of = "CAST(date_trunc('month', d.day) AS date)" if vendor == "postgresql" else "date(d.day, 'start of month')"
    key_names = ["month", *(f"k{i}" for i in range(len(r.keys)))]

    def branch(table: str, alias_keys: list[str], where: str, sign: str) -> str:
        joins, metric, bucket, count = hs.unnest_all("d", hist_sql)
        keys = ", ".join(f"{expr} AS {name}" for expr, name in zip(alias_keys, key_names, strict=True))
        return f"SELECT {keys}, {metric} AS metric, {bucket} AS b, {sign}{count} AS n FROM {table} d{joins} WHERE {where}"

    day_keys = [month_of, *(expr for _, expr in r.keys)]
    branches = [
        branch(q(r.month_model._meta.db_table), ["d.month", *(f"d.{q(c)}" for c in key_columns)],
               "d.organization_id = %(org)s AND d.month >= %(first)s AND d.month <= %(last)s", ""),
        branch(q(r.day_model._meta.db_table), day_keys,
               "d.organization_id = %(org)s AND d.day >= %(lo)s AND d.day <= %(hi)s", ""),
        branch(captured_table, day_keys, "1 = 1", "-"),
    ]
    names = ", ".join(f"x.{n}" for n in key_names)
    return (f"CREATE TEMPORARY TABLE {DELTA_TABLE} AS SELECT {names}, x.metric, x.b, SUM(x.n) AS n "
            f"FROM ({' UNION ALL '.join(branches)}) x GROUP BY {names}, x.metric, x.b HAVING SUM(x.n) <> 0")


def lock_months(org_id: int, first: dt.date, last: dt.date) -> None:
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


def refresh_months(org_id: int, first: dt.date, last: dt.date, rollups=None, *, histograms: bool = True,
                   captured: CapturedDays | None = None) -> int:
    """Recompute every month touched by first..last, every grain, from the day rows; returns
    month rows written. Run it inside the transaction that wrote the day rows. ``rollups``:
    (day model, month model, dimension field) triples, every roll-up by default (a migration
    passes its historical models). ``histograms=False``: the day rows changed no histogram
    (first-contact resolution only), so only the months' sums are recomputed, in place.
    ``captured``: the rebuilt days' rows as they were (capture_days; covering first..last):
    the histograms are then updated by the delta instead of merged from every day row."""
    first, last = month_start(first), month_end(last)
    lock_months(org_id, first, last)
    params = {"org": org_id, "first": first, "last": last}
    if captured is not None:
        params.update(lo=captured.first, hi=captured.last)
    if rollups is None:
        rollups = _all_rollups()
    written = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The planner guesses 10-100 elements per array, so at a few thousand day rows the
            # estimate passes jit_above_cost and JIT compilation costs more than the statement.
            # For this transaction's remaining statements.
            cur.execute("SET LOCAL jit = off")
        for i, (day_model, month_model, dim_field) in enumerate(rollups):
            buckets = None
            if histograms and captured is not None and _columns(month_model, ())[1]:
                cur.execute(f"DROP TABLE IF EXISTS {DELTA_TABLE}")
                cur.execute(_delta_sql(_rollup(day_model, month_model, dim_field, connection.vendor), connection.vendor,
                                       captured.tables[i]), params)
                buckets = DELTA_TABLE
            if histograms:
                cur.execute(f"DELETE FROM {connection.ops.quote_name(month_model._meta.db_table)} "
                            "WHERE organization_id = %(org)s AND month >= %(first)s AND month <= %(last)s", params)
            cur.execute(refresh_sql(day_model, month_model, dim_field, connection.vendor, histograms=histograms,
                                    buckets=buckets), params)
            written += max(cur.rowcount, 0)
        if captured is not None:
            for table in (DELTA_TABLE, *captured.tables):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
    return written


def refresh_rollups(organization, first: dt.date, last: dt.date, *, histograms: bool = True,
                    captured: CapturedDays | None = None) -> int:
    """The hook for reports.snapshots: after the day rows of first..last are written (same
    transaction), refresh every month they touch (``captured``: see refresh_months)."""
    return refresh_months(organization.pk, first, last, histograms=histograms, captured=captured)
