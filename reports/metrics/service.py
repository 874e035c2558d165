"""The one metrics service: pages, API, exports and e-mails all call :func:`compute`.

It reads snapshots only. Components of a range are added and duration histograms merged (both
in SQL, one statement each per request, with the percentiles taken in SQL), and every ratio
divided once, so a week, a month or a year are exact, never an average of daily averages.
Whole calendar months come from the monthly roll-ups (reports.rollups), the days around them
from the day rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Agent, Organization, Team
from chats.models import CannedResponse, Channel, QualityScorecard, Tag
from reports import components as C
from reports import goals
from reports.builders import local_midnight
from reports.histogram import QUANTILES, HistogramSQL
from reports.metrics import business, staffing
from reports.metrics.base import (
    ALL_BREAKDOWNS,
    GROUPED_DIMENSIONS,
    REGISTRY,
    SURVEY_BREAKDOWNS,
    Totals,
)
from reports.models import (
    DirtyDay,
    HourOfWeekMonthSnapshot,
    HourSnapshot,
    SlaMetric,
)
from reports.rollups import ROLLUPS, month_start, split_range, weekday_sql
from reports.sla import targets_for
from reports.snapshots import GRAIN_MODELS

MAX_RANGE_DAYS = 3 * 366
# Report ranges lie in these days (a previous period of MAX_RANGE_DAYS before the first still does).
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)

UNKNOWN_METRIC = _lazy("Unknown metric “{id}”. See /api/v1/metrics/catalogue.")
UNKNOWN_BREAKDOWN = _lazy("Unknown group_by “{value}”: use one of {choices}.")
UNSUPPORTED_BREAKDOWN = _lazy("Metric “{metric}” cannot be grouped by {group_by}.")
BAD_RANGE = _lazy("“from” must not be after “to”.")
RANGE_TOO_LONG = _lazy("The range is longer than {days} days.")
DAY_OUT_OF_WINDOW = _lazy("Must be a day from {earliest} to {latest}.")
UNKNOWN_FILTER_VALUE = _lazy("Unknown {dimension} “{value}”.")
MIXED_DIMENSIONS = _lazy("Filtering by {filter} while grouping by {group_by} is not supported; filter and group by the same dimension.")
ONE_FILTER_DIMENSION = _lazy("Filter by one of agent, team, channel or tag at a time.")
NO_METRICS = _lazy("Name at least one metric.")
UNSUPPORTED_FILTER = _lazy("Metric “{metric}” cannot be filtered by {dimension}.")
NO_VALUE_LABEL = {"segment": _lazy("No segment"), "touchpoint": _lazy("No touchpoint")}


class MetricsQueryError(ValueError):
    """The question cannot be answered as asked; ``field`` names the parameter at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DateRange:
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DateRange:
        last = self.first - dt.timedelta(days=1)
        return DateRange(last - dt.timedelta(days=self.days - 1), last)

    def each_day(self):
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


# --- filters --------------------------------------------------------------------------------

def resolve_filter(organization: Organization, dimension: str, values: list[str]) -> list:
    """External ids or names → the dimension values stored in snapshots, within the organization."""
    values = [v for v in dict.fromkeys(values) if v != ""]
    if dimension in SURVEY_BREAKDOWNS:
        return sorted(values)  # free text: a segment or touchpoint nobody used yet simply counts 0
    if dimension == "channel":
        found = {v: v for v in values if v in Channel.values}
    else:
        model, lookups = {"agent": (Agent, ("external_id", "name")), "team": (Team, ("external_id", "name")),
                          "tag": (Tag, ("name",))}[dimension]
        q = Q()
        for lookup in lookups:
            q |= Q(**{f"{lookup}__in": values})
        found = {}
        for obj in model.objects.for_org(organization).filter(q):
            for lookup in lookups:
                found.setdefault(getattr(obj, lookup), obj.pk)
    for value in values:
        if value not in found:
            raise MetricsQueryError(UNKNOWN_FILTER_VALUE.format(dimension=dimension, value=value), field=dimension)
    return sorted({found[v] for v in values}, key=str)


def _choose_grain(group_by: str | None, filters: dict[str, list]) -> str:
    filter_dims = [d for d, v in filters.items() if v]
    if len(filter_dims) > 1:
        raise MetricsQueryError(str(ONE_FILTER_DIMENSION), field=filter_dims[1])
    filter_dim = filter_dims[0] if filter_dims else None
    if group_by in GROUPED_DIMENSIONS:
        if filter_dim and filter_dim != group_by:
            raise MetricsQueryError(MIXED_DIMENSIONS.format(filter=filter_dim, group_by=group_by), field="group_by")
        return group_by
    if group_by == "hour":
        if filter_dim:
            raise MetricsQueryError(MIXED_DIMENSIONS.format(filter=filter_dim, group_by="hour"), field="group_by")
        return "hour"
    return filter_dim or "org"


# --- reading snapshots ----------------------------------------------------------------------

class SnapshotReader:
    """Reads one grain's snapshots for ranges of local days. Whole calendar months come from
    the monthly roll-ups (reports.rollups: sums and histograms of every grain but the hour one,
    whose roll-up is by hour of the week), the days around them from the day rows, so a read
    costs about groups × (months + edge days) whatever the volume behind it. A request makes
    one statement for its sums and one for its percentiles (grouped_sums, grouped_quantiles)."""

    use_rollups = True  # False: day rows only (the reference the roll-ups are tested against)

    def __init__(self, organization: Organization, grain: str, dim_values: list | None):
        self.org = organization
        self.grain = grain
        self.model, self.dim_field = GRAIN_MODELS[grain]
        self.month_model = ROLLUPS[grain][1] if grain in ROLLUPS and self.use_rollups else None
        self.dim_values = dim_values

    def parts(self, first: dt.date | None, last: dt.date) -> list[tuple]:
        """(model, date field, first, last) pieces covering first..last (first None: from the
        beginning): the roll-up for the whole months inside, the day rows for the rest."""
        month_model = self.month_model
        if month_model is None:
            return [(self.model, "day", first, last)]
        if first is None:  # every day before last + 1: all months before its month, then its days
            end = month_start(last + dt.timedelta(days=1))
            out = [(month_model, "month", None, end - dt.timedelta(days=1))]
            if end <= last:
                out.append((self.model, "day", end, last))
            return out
        months, day_ranges = split_range(first, last)
        out = [(self.model, "day", lo, hi) for lo, hi in day_ranges]
        if months:
            out.append((month_model, "month", *months))
        return out

    def _where(self, model, field: str, first: dt.date | None, last: dt.date) -> tuple[str, str, list]:
        """(table, WHERE condition over its alias s, parameters) of one piece: the organization,
        the dates, the dimension filter."""
        where, params = ["s.organization_id = %s", f"s.{field} <= %s"], [self.org.pk, last]
        if first is not None:
            where.append(f"s.{field} >= %s")
            params.append(first)
        if self.dim_values is not None and self.dim_field not in (None, "hour"):
            where.append(f"s.{self.dim_field} IN ({', '.join(['%s'] * len(self.dim_values))})")
            params += list(self.dim_values)
        return model._meta.db_table, " AND ".join(where), params

    def _from(self, model, field: str, first: dt.date | None, last: dt.date) -> tuple[str, list]:
        """FROM ... WHERE for one piece."""
        table, where, params = self._where(model, field, first, last)
        return f"FROM {table} s WHERE {where}", params

    def _filtered_out(self) -> bool:
        return self.dim_values is not None and self.dim_field not in (None, "hour") and not self.dim_values

    def sums(self, rng: DateRange, group_fields: tuple[str, ...] = (), *, by_month: bool = False) -> dict[tuple, dict]:
        """{group key: {component: sum}}; the key is () without grouping. Grouped by "day", the
        day rows are read, unless ``by_month``: then whole months come keyed by their 1st.
        One statement over every piece (a raw one: the ORM spends longer building ~80 sums than
        the database adding them up)."""
        if self._filtered_out():
            return {} if group_fields else {(): {}}
        if "day" in group_fields and not by_month:
            pieces = [(self.model, "day", rng.first, rng.last)]
        else:
            pieces = self.parts(rng.first, rng.last)
        keys = [f"k{i}" for i in range(len(group_fields))]
        branches, params = [], []
        for model, field, first, last in pieces:
            columns = [f"s.{field if f == 'day' else f} AS {k}" for f, k in zip(group_fields, keys, strict=True)]
            source, piece_params = self._from(model, field, first, last)
            branches.append(f"SELECT {', '.join(columns + [f's.{c}' for c in C.ADDITIVE])} {source}")
            params += piece_params
        sql = (f"SELECT {', '.join([f'u.{k}' for k in keys] + [f'SUM(u.{c})' for c in C.ADDITIVE])} "
               f"FROM ({' UNION ALL '.join(branches)}) u")
        if keys:
            sql += f" GROUP BY {', '.join(f'u.{k}' for k in keys)}"
        out: dict[tuple, dict] = {}
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for row in cur.fetchall():
                key = tuple(_as_key(v) for v in row[:len(keys)])
                out[key] = {name: (int(v) if name in C.INTEGER_COMPONENTS else float(v)) if v is not None else 0
                            for name, v in zip(C.ADDITIVE, row[len(keys):], strict=True)}
        return out

    # --- the request's reads: one statement for sums, one for percentiles --------------------

    def _pieces(self, rng: DateRange, group_by: str | None) -> list[tuple]:
        """The pieces a range is read from: day rows where the grouping is finer than a month
        (day, week, hour), else the roll-ups' whole months and the day rows around them."""
        if group_by in ("day", "week", "hour"):
            return [(self.model, "day", rng.first, rng.last)]
        return self.parts(rng.first, rng.last)

    def _group_sql(self, group_by: str | None, field: str) -> list[str]:
        """The SQL of a piece's group key columns (``field``: its date column)."""
        if group_by is None:
            return []
        if group_by == "hour":
            return ["s.day", "s.hour"]
        if group_by == "day":
            return ["s.day"]
        if group_by == "week":
            return [_week_start_sql("s.day", self.org.week_start)]
        if group_by == "month":
            return [_month_key_sql(f"s.{field}")]
        return [f"s.{self.dim_field}"]

    def _null_keys(self, group_by: str | None) -> list[str]:
        """The key columns of an ungrouped period: NULLs, typed on PostgreSQL as the keys are (a
        UNION ALL whose branches all have them NULL cannot infer the type)."""
        if connection.vendor != "postgresql" or group_by is None:
            return ["NULL"] * self._key_count(group_by)
        if group_by == "hour":
            return ["CAST(NULL AS date)", "CAST(NULL AS integer)"]
        if group_by in ("day", "week"):
            return ["CAST(NULL AS date)"]
        if group_by == "month" or self.dim_field in ("channel", "segment", "touchpoint", "criterion"):
            return ["CAST(NULL AS text)"]
        return ["CAST(NULL AS bigint)"]

    @staticmethod
    def _key_count(group_by: str | None) -> int:
        return 0 if group_by is None else 2 if group_by == "hour" else 1

    def _union(self, periods: list[Period], group_by: str | None, columns: list[str], joins: str = "") -> tuple[str, list]:
        """UNION ALL of every period's pieces: columns p (the period's name), k0.. (the group key,
        NULL in an ungrouped period), then ``columns`` (SQL over the piece's row ``s``)."""
        branches, params = [], []
        for period in periods:
            for model, field, first, last in self._pieces(period.rng, group_by if period.grouped else None):
                keys = self._group_sql(group_by, field) if period.grouped else self._null_keys(group_by)
                table, where, piece_params = self._where(model, field, first, last)
                # The period as a number: grouping and sorting by a text label cost a quarter of
                # a year of agent-month percentiles (collation-aware comparisons).
                select = [f"{PERIOD_NAMES.index(period.name)} AS p", *(f"{k} AS k{i}" for i, k in enumerate(keys)), *columns]
                branches.append(f"SELECT {', '.join(select)} FROM {table} s{joins} WHERE {where}")
                params += piece_params
        return " UNION ALL ".join(branches), params

    def _with_total(self, union: str, n_keys: int, inner: list[str], aggregates: list[str]) -> str:
        """SELECT p, t, k0.., ``inner``.., ``aggregates``: grouped by (p, keys, inner) and, as
        t = 1 rows with NULL keys, by (p, inner) alone: the period's total over the same rows.
        GROUPING SETS on PostgreSQL (one pass), a UNION ALL of the two on SQLite."""
        keys = [f"k{i}" for i in range(n_keys)]
        out = ", ".join(f"u.{c}" for c in [*keys, *inner])
        agg = ", ".join(aggregates)
        by_total = ", ".join(f"u.{c}" for c in ["p", *inner])
        if not keys:
            return f"SELECT u.p, 1 AS t{''.join(f', u.{c}' for c in inner)}, {agg} FROM ({union}) u GROUP BY {by_total}"
        if connection.vendor == "postgresql":
            by_group = ", ".join(f"u.{c}" for c in ["p", *keys, *inner])
            return (f"SELECT u.p, GROUPING({', '.join(f'u.{k}' for k in keys)}) AS t, {out}, {agg} FROM ({union}) u "
                    f"GROUP BY GROUPING SETS (({by_group}), ({by_total}))")
        nulls = ", ".join(["NULL"] * n_keys)
        inner_sql = "".join(f", u.{c}" for c in inner)
        return (f"WITH u AS ({union}) "
                f"SELECT u.p, 0 AS t, {out}, {agg} FROM u GROUP BY u.p, {out} UNION ALL "
                f"SELECT u.p, 1 AS t, {nulls}{inner_sql}, {agg} FROM u GROUP BY {by_total}")

    @staticmethod
    def _bucket_totals(union: str, n_keys: int) -> str:
        """SELECT p, t, k0.., metric, b, n: the bucket counts of ``union`` summed per (period,
        group, metric, bucket), and the period's totals (t = 1, NULL keys) summed from those
        group rows rather than from every unnested element again: a year of agent-month rows is
        ~700,000 elements but ~80,000 (agent, metric, bucket) rows, so a second GROUPING SET
        over the elements cost more than the whole second step."""
        keys = [f"k{i}" for i in range(n_keys)]
        key_cols = ", ".join(f"u.{k}" for k in keys)
        return (f"WITH g AS (SELECT u.p, {key_cols}, u.metric, u.b, SUM(u.n) AS n FROM ({union}) u "
                f"GROUP BY u.p, {key_cols}, u.metric, u.b) "
                f"SELECT g.p, 0 AS t, {', '.join(f'g.{k}' for k in keys)}, g.metric, g.b, g.n FROM g UNION ALL "
                f"SELECT g.p, 1 AS t, {', '.join(['NULL'] * n_keys)}, g.metric, g.b, SUM(g.n) FROM g GROUP BY g.p, g.metric, g.b")

    def grouped_sums(self, periods: list[Period], group_by: str | None) -> dict:
        """{(period name, group key or None for the period's total): {component: sum}}, in one
        statement: every period's pieces (roll-up months and edge days, or day rows), grouped
        by the key in the grouped period and in total in every period."""
        if self._filtered_out():
            return {}
        n_keys = self._key_count(group_by)
        union, params = self._union(periods, group_by, [f"s.{c}" for c in C.ADDITIVE])
        sql = self._with_total(union, n_keys, [], [f"SUM(u.{c})" for c in C.ADDITIVE])
        out: dict = {}
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for row in cur.fetchall():
                if (key := _result_key(row, n_keys)) is None:
                    continue
                out[key] = {
                    name: (int(v) if name in C.INTEGER_COMPONENTS else float(v)) if v is not None else 0
                    for name, v in zip(C.ADDITIVE, row[2 + n_keys:], strict=True)}
        return out

    def _one_row_per_group(self, group_by: str | None) -> bool:
        """Whether each group of ``group_by`` is exactly one day row of this grain: a day of the
        org grain, a local hour of the hour grain (no dimension filter adds rows up)."""
        return self.dim_values is None and (group_by, self.grain) in (("day", "org"), ("hour", "hour"))

    def grouped_quantiles(self, periods: list[Period], group_by: str | None, durations: tuple[str, ...]) -> dict:
        """{(period name, group key or None): {duration: {q: seconds}}} for QUANTILES, in one
        statement: every piece's histograms unnested and summed per group (and in total) and
        bucket, re-packed into one histogram per group and duration, whose percentiles are read
        here (reports.histogram). A group that is one day row (_one_row_per_group) is that row's
        histogram as stored: nothing to unnest or sum."""
        if not durations or self._filtered_out():
            return {}
        hs = HistogramSQL(connection.vendor)
        n_keys = self._key_count(group_by)
        columns = [f"{d}_hist" for d in durations]
        keys = [f"k{i}" for i in range(n_keys)]
        row_groups = self._one_row_per_group(group_by)
        merged_periods = [replace(p, grouped=False) for p in periods] if row_groups else periods
        joins, metric, bucket, count = hs.unnest_all("s", columns)
        union, params = self._union(merged_periods, group_by, [f"{metric} AS metric", f"{bucket} AS b", f"{count} AS n"], joins)
        summed = self._bucket_totals(union, n_keys) if n_keys and not row_groups else \
            self._with_total(union, n_keys, ["metric", "b"], ["SUM(u.n) AS n"])
        group_cols = ", ".join(["sb.p", "sb.t", *(f"sb.{k}" for k in keys), "sb.metric"])
        sql = f"SELECT {group_cols}, {hs.aggregate('sb.b', 'sb.n')} FROM ({summed}) sb GROUP BY {group_cols}"
        if row_groups:
            grouped = [p for p in periods if p.grouped]
            values_joins, row_metric, row_hist = hs.each_column("s", columns)
            rows_union, rows_params = self._union(grouped, group_by, [f"{row_metric} AS metric", f"{row_hist} AS h"],
                                                  values_joins)
            sql = (f"SELECT r.p, 0 AS t, {''.join(f'r.{k}, ' for k in keys)}r.metric, r.h FROM ({rows_union}) r "
                   f"WHERE {hs.not_empty('r.h')} UNION ALL {sql}")
            params = rows_params + params
        out: dict = defaultdict(dict)
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                # The planner guesses 10-100 elements per array, so over a year of day rows its
                # estimate passes the JIT thresholds and compiling costs more than the statement;
                # grouping the buckets gets memory to stay off disk. And no Memoize node: it
                # would hash each whole array to cache its unnest. Until the end of the transaction.
                cur.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
                            "set_config('enable_memoize', 'off', true)")
            cur.execute(sql, params)
            for row in cur.fetchall():
                if (key := _result_key(row, n_keys)) is None:
                    continue
                out[key][durations[row[2 + n_keys]]] = dict(zip(QUANTILES, hs.quantiles(row[3 + n_keys]), strict=True))
        return dict(out)

    def _each_piece(self, pieces: list[tuple], select: str) -> tuple[str, list]:
        """UNION ALL of ``SELECT select FROM <piece> s WHERE <piece's rows>`` over the pieces."""
        branches, params = [], []
        for model, field, first, last in pieces:
            table, where, piece_params = self._where(model, field, first, last)
            branches.append(f"SELECT {select} FROM {table} s WHERE {where}")
            params += piece_params
        return " UNION ALL ".join(branches), params

    def _fetch(self, sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def backlog_before(self, day: dt.date) -> dict:
        """{dimension key or (): created − resolved} over every day before ``day`` (one statement)."""
        by_dimension = self.dim_field not in (None, "hour")
        if self._filtered_out():
            return {} if by_dimension else {(): 0}
        key = f"s.{self.dim_field}" if by_dimension else "0"
        union, params = self._each_piece(self.parts(None, day - dt.timedelta(days=1)),
                                         f"{key} AS k, s.tickets_created - s.tickets_resolved AS net")
        rows = self._fetch(f"SELECT u.k, SUM(u.net) FROM ({union}) u GROUP BY u.k", params)
        if not by_dimension:
            return {(): int(sum(net or 0 for _, net in rows))}
        return {(k,): int(net or 0) for k, net in rows}

    def sums_before(self, day: dt.date, components: tuple[str, ...]) -> dict[str, float]:
        """{component: its sum over every day before ``day``} (one statement; whole months from
        the roll-ups): the prefix sums that make a count at an instant exact from daily flows."""
        if self._filtered_out():
            return dict.fromkeys(components, 0)
        union, params = self._each_piece(self.parts(None, day - dt.timedelta(days=1)),
                                         ", ".join(f"s.{c} AS c{i}" for i, c in enumerate(components)))
        row = self._fetch(f"SELECT {', '.join(f'SUM(u.c{i})' for i in range(len(components)))} FROM ({union}) u",
                          params)[0]
        return {c: (int if c in C.INTEGER_COMPONENTS else float)(v or 0) for c, v in zip(components, row, strict=True)}

    def dimension_values_with(self, rng: DateRange, component: str) -> set:
        """The dimension values with ``component`` > 0 on some row of the range (one statement)."""
        if self._filtered_out():
            return set()
        union, params = self._each_piece(self.parts(rng.first, rng.last), f"s.{self.dim_field} AS k, s.{component} AS c")
        return {k for (k,) in self._fetch(f"SELECT DISTINCT u.k FROM ({union}) u WHERE u.c > 0", params)}

    def built_at(self, rng: DateRange):
        """When the newest snapshot row of the range was built (a roll-up carries its days')."""
        union, params = self._each_piece(self.parts(rng.first, rng.last), "MAX(s.built_at) AS at")
        rows = self._fetch(f"SELECT MAX(u.at) FROM ({union}) u", params)
        at = rows[0][0] if rows else None
        if isinstance(at, str):  # SQLite returns the stored text
            at = connection.ops.convert_datetimefield_value(at, None, connection)
        return at


def criterion_labels(organization: Organization) -> dict[str, str]:
    """{criterion key: label} over the organization's scorecards, the active one's winning."""
    labels: dict[str, str] = {}
    for card in QualityScorecard.objects.for_org(organization).order_by("active", "created_at"):
        labels.update({str(c["key"]): str(c.get("label") or c["key"]) for c in card.criteria})
    return labels


def _as_key(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _result_key(row, n_keys: int) -> tuple | None:
    """(period name, group key tuple, or None for a total row) of a grouped read's row
    (columns p, t, k0..); None for a group row of an ungrouped period (its keys all NULL:
    snapshot dimensions are never NULL), which the caller skips."""
    if row[1]:
        return (PERIOD_NAMES[row[0]], None)
    keys = row[2:2 + n_keys]
    if all(v is None for v in keys):
        return None
    return (PERIOD_NAMES[row[0]], tuple(_as_key(v) for v in keys))


def _month_key_sql(day: str) -> str:
    """A date column's month as the group key 'YYYY-MM'."""
    if connection.vendor == "postgresql":
        return f"to_char({day}, 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {day})"


def _week_start_sql(day: str, week_start: int) -> str:
    """The first day of a date column's week, the week starting on ``week_start`` (0 = Monday),
    as week_start() computes it."""
    if connection.vendor == "postgresql":
        return f"({day} - ((CAST(EXTRACT(ISODOW FROM {day}) AS integer) + 6 - {int(week_start)}) %% 7))"
    return (f"date({day}, '-' || ((CAST(strftime('%%w', {day}) AS INTEGER) + 13 - {int(week_start)}) %% 7) "
            f"|| ' days')")


PERIOD_NAMES = ("current", "previous")  # a read's periods, numbered in its SQL (column p)


@dataclass(frozen=True)
class Period:
    """A range a request reads: ``grouped``, per group as well as in total."""

    name: str
    rng: DateRange
    grouped: bool


# --- time -----------------------------------------------------------------------------------

def day_hours(organization: Organization, day: dt.date) -> float:
    tz = organization.tzinfo
    return (local_midnight(day + dt.timedelta(days=1), tz) - local_midnight(day, tz)).total_seconds() / 3600


def week_start(organization: Organization, day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - organization.week_start) % 7)


def _time_key(organization: Organization, group_by: str, day: dt.date, hour: int | None = None) -> str:
    if group_by == "hour":
        return f"{day.isoformat()}T{hour:02d}:00"
    if group_by == "week":
        return week_start(organization, day).isoformat()
    if group_by == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


# --- the service ----------------------------------------------------------------------------

def _evaluate(metric_ids, totals: Totals) -> dict:
    return {mid: {"unit": REGISTRY[mid].unit, **REGISTRY[mid].evaluate(totals)} for mid in metric_ids}


def _change(current, previous):
    if current is None or previous in (None, 0) or not isinstance(current, int | float):
        return None
    return (current - previous) / abs(previous)


class _Computation:
    """One compute() call: the grain, its two reads (sums, percentiles) covering the range, its
    groups and the previous period, and the few extra reads some metrics need."""

    def __init__(self, organization, metric_ids, rng, group_by, filters, compare):
        self.org = organization
        self.metric_ids = metric_ids
        self.rng = rng
        self.group_by = group_by
        resolved = {dim: resolve_filter(organization, dim, values) for dim, values in (filters or {}).items() if values}
        self.grain = _choose_grain(group_by, resolved)
        dim_values = resolved.get(self.grain)
        self.reader = SnapshotReader(organization, self.grain, dim_values)
        self.dim_values = dim_values
        self.filters = resolved
        self.durations = tuple(dict.fromkeys(d for mid in metric_ids for d in REGISTRY[mid].durations))
        self.needs = {n for mid in metric_ids for n in REGISTRY[mid].needs}
        self.periods = [Period("current", rng, grouped=group_by is not None)]
        if compare:
            self.periods.append(Period("previous", rng.previous(), grouped=False))
        self.sums = self.reader.grouped_sums(self.periods, group_by)
        # Percentiles of the current period only: the previous one is reported by its value
        # and n (compute()), and no metric's value is a percentile (a duration's is its
        # average), so its histograms would be merged for nothing (half of a grouped read).
        self.quantiles = self.reader.grouped_quantiles(self.periods[:1], group_by, self.durations)
        self.group_ids: dict = {}

    def hours(self, rng: DateRange) -> float:
        return sum(day_hours(self.org, day) for day in rng.each_day())

    def extras(self, rng: DateRange) -> dict:
        extra: dict = {"dimension": self.grain if self.grain in GROUPED_DIMENSIONS else None}
        if "chats_total" in self.metric_ids and self.grain == "org":
            agents = SnapshotReader(self.org, "agent", None)
            extra["answering_agents"] = len(agents.dimension_values_with(rng, "chats_answered"))
        if self.grain == "canned_response":
            extra["all_answered"] = self.all_chats("chats_answered", rng)
        if "backlog" in self.needs:
            extra["backlog"] = int(sum(self.reader.backlog_before(rng.last + dt.timedelta(days=1)).values()))
        if "channels" in self.needs:
            extra["channels"] = self.channels(rng)
        if "heatmap" in self.needs:
            extra["heatmap"] = self.heatmap(rng)
        if "staffing" in self.needs:
            extra["staffing"] = self.staffing(rng)
        if "social" in self.needs and self.grain == "org":
            extra["social"] = self.social(rng)
        if "customers" in self.needs and self.grain == "org":  # the organization's customers: no filter
            extra.update(self.customers(self.customers_before(rng.first), rng.days))
        if "engagement" in self.needs:
            extra["engagement_weights"] = self.engagement_weights()
        return extra

    # Customers at an instant (a range's start or end, local midnight in the organization's
    # time zone) are not a daily sum: they are made exact from additive daily flows. Each day
    # row counts the customers acquired and lost on that local day (reports.components); the
    # customers at a range's start are the prefix sum of acquired - lost over every earlier day
    # (SnapshotReader.sums_before: whole months from the roll-ups), those at its end that plus
    # the range's own acquired - lost. Historical CLV's "ever" totals are prefix sums too.
    CUSTOMER_FLOWS = ("customers_acquired", "customers_lost", "purchase_amount")

    def engagement_weights(self) -> dict[str, float]:
        """The engagement score's weights. The organization cannot set them yet (its settings are
        issue 11 item 11): every input weighs 1."""
        return dict.fromkeys(business.ENGAGEMENT_INPUTS, 1.0)

    def customers_before(self, day: dt.date) -> dict[str, float]:
        return SnapshotReader(self.org, "org", None).sums_before(day, self.CUSTOMER_FLOWS)

    def customers(self, before: dict[str, float], days: int) -> dict:
        """The extras of the customer metrics for a period of ``days`` days, from the prefix sums
        ``before`` its first day (the period's own flows are in its totals)."""
        return {"customers_at_start": before["customers_acquired"] - before["customers_lost"],
                "acquired_before": before["customers_acquired"], "purchase_amount_before": before["purchase_amount"],
                "gross_margin": float(self.org.gross_margin), "years": days / 365}

    def channels(self, rng: DateRange) -> dict[str, Totals]:
        if self.grain not in ("org", "channel"):
            return {}
        reader = SnapshotReader(self.org, "channel", self.dim_values if self.grain == "channel" else None)
        return {key[0]: Totals(values) for key, values in reader.sums(rng, ("channel",)).items()}

    def heatmap(self, rng: DateRange) -> dict:
        """{(weekday, hour): (chats, tickets)} with contacts (see hour_of_week)."""
        cells = self.hour_of_week(rng, ("chats_total", "tickets_created"))
        cells = {k: (int(v["chats_total"]), int(v["tickets_created"])) for k, v in cells.items()}
        return {k: v for k, v in cells.items() if any(v)}  # sparse: hours with contacts

    def hour_of_week(self, rng: DateRange, components: tuple[str, ...]) -> dict[tuple[int, int], dict[str, float]]:
        """{(weekday, hour): {component: sum}} over the range, in one statement: whole months from
        the hour-of-week roll-up, the days around them from the hour rows."""
        reader = SnapshotReader(self.org, "hour", None)
        months, day_ranges = split_range(rng.first, rng.last) if reader.use_rollups else (None, [(rng.first, rng.last)])
        pieces = [(HourSnapshot, "day", first, last) for first, last in day_ranges]
        values = "".join(f", s.{c} AS c{i}" for i, c in enumerate(components))
        branches = []
        if pieces:
            branches.append(reader._each_piece(pieces, f"{weekday_sql('s.day', connection.vendor)} AS wd, s.hour AS h{values}"))
        if months:  # (a range of whole months has no day rows to read)
            branches.append(reader._each_piece([(HourOfWeekMonthSnapshot, "month", *months)],
                                               f"s.weekday AS wd, s.hour AS h{values}"))
        union, params = " UNION ALL ".join(sql for sql, _ in branches), [p for _, ps in branches for p in ps]
        sums = "".join(f", SUM(u.c{i})" for i in range(len(components)))
        rows = reader._fetch(f"SELECT u.wd, u.h{sums} FROM ({union}) u GROUP BY u.wd, u.h", params)
        return {(int(wd), int(h)): {c: float(v or 0) for c, v in zip(components, rest, strict=True)}
                for wd, h, *rest in rows}

    def social(self, rng: DateRange) -> dict:
        """The social channel's totals (its channel-grain sums) and its contacts per hour of the
        week: two statements."""
        sums = SnapshotReader(self.org, "channel", [Channel.SOCIAL.value]).sums(rng)[()]
        hours = self.hour_of_week(rng, ("social_contacts",))
        return {"totals": Totals(sums), "hours": {k: int(v["social_contacts"]) for k, v in hours.items()
                                                  if v["social_contacts"]}}

    def staffing(self, rng: DateRange) -> dict:
        """What the staffing forecast reads: per hour of the week its chats, handle and chat time,
        busy and online seconds; how many times each weekday occurs in the range; the wait-time
        target (the organization's chat-wait SLA target for chats, reports.sla) and service level."""
        cells = self.hour_of_week(rng, staffing.COMPONENTS)
        weekdays = [0] * 7
        for day in rng.each_day():
            weekdays[day.weekday()] += 1
        wait = next(t for t in targets_for(organization=self.org)[SlaMetric.CHAT_WAIT]
                    if t.channel in ("", Channel.CHAT) and not t.priority)
        return {"cells": cells, "weekdays": weekdays, "wait_target": wait.seconds,
                "service_level": staffing.SERVICE_LEVEL}

    def totals(self, period: Period) -> Totals:
        key = (period.name, None)
        return Totals(self.sums.get(key, {}), hours=self.hours(period.rng), min_sample=self.org.min_sample_size,
                      extra=self.extras(period.rng), quantiles=self.quantiles.get(key, {}))

    def groups(self) -> list[dict]:
        if self.group_by is None:
            return []
        if self.group_by in GROUPED_DIMENSIONS:
            return self.dimension_groups()
        return self.time_groups()

    def _group_results(self) -> dict[tuple, dict]:
        return {key[1]: values for key, values in self.sums.items() if key[0] == "current" and key[1] is not None}

    def dimension_groups(self) -> list[dict]:
        field = self.reader.dim_field
        sums = self._group_results()
        backlog = self.reader.backlog_before(self.rng.last + dt.timedelta(days=1)) if "backlog" in self.needs else {}
        # Each group's share of chats: of every chat of the range (one statement), not of the
        # groups' sum (a chat with two tags is in two tag groups, one without a tag in none).
        all_chats = self.all_chats() if "chats_total" in self.metric_ids else None
        # A canned response's share of answered chats: of every answered chat of the range.
        all_answered = self.all_chats("chats_answered") if self.grain == "canned_response" else None
        hours = self.hours(self.rng)
        labels = self.dimension_labels(field, [k[0] for k in sums])
        self.group_ids = {label[0]: pk for pk, label in labels.items()}  # group key -> stored value
        out = []
        for key, values in sums.items():
            extra = {"dimension": self.grain, "backlog": backlog.get(key, 0), "all_chats": all_chats,
                     "all_answered": all_answered}
            if "channels" in self.needs and self.grain == "channel":
                extra["channels"] = {key[0]: Totals(values)}
            totals = Totals(values, hours=hours, min_sample=self.org.min_sample_size, extra=extra,
                            quantiles=self.quantiles.get(("current", key), {}))
            out.append({"key": labels[key[0]][0], "label": labels[key[0]][1], "metrics": _evaluate(self.metric_ids, totals)})
        return sorted(out, key=lambda g: str(g["label"]).lower())

    def all_chats(self, component: str = "chats_total", rng: DateRange | None = None) -> int:
        """The chats of the range (default: the request's) in the whole organization
        (``component``: all of them, or e.g. the answered ones), whatever the grouping and filter."""
        return int(SnapshotReader(self.org, "org", None).sums(rng or self.rng)[()].get(component) or 0)

    def dimension_labels(self, field: str, ids: list) -> dict:
        if field == "channel":
            return {v: (v, str(Channel(v).label)) for v in ids}
        if field in SURVEY_BREAKDOWNS:
            return {v: (v, v or str(NO_VALUE_LABEL[field])) for v in ids}
        if field == "criterion":
            return {v: (v, criterion_labels(self.org).get(v, v)) for v in ids}
        if field == "canned_response_id":
            objs = CannedResponse.objects.for_org(self.org).filter(pk__in=ids)
            return {o.pk: (o.external_id, o.title) for o in objs}
        model = {"agent_id": Agent, "team_id": Team, "tag_id": Tag}[field]
        objs = model.objects.for_org(self.org).filter(pk__in=ids)
        return {o.pk: (getattr(o, "external_id", None) or o.name, o.name) for o in objs}

    def _format_key(self, key: tuple) -> str:
        """A time group's key as the API names it, from the read's key columns."""
        if self.group_by == "hour":
            return _time_key(self.org, "hour", key[0], int(key[1]))
        if self.group_by == "month":
            return str(key[0])
        return key[0].isoformat()

    def time_groups(self) -> list[dict]:
        # Every time bucket of the range, with or without rows.
        key_days: dict[str, list[dt.date]] = defaultdict(list)
        for day in self.rng.each_day():
            for hour in range(24) if self.group_by == "hour" else (None,):
                key_days[_time_key(self.org, self.group_by, day, hour)].append(day)
        values = {self._format_key(key): v for key, v in self._group_results().items()}
        quantiles = {self._format_key(key[1]): q for key, q in self.quantiles.items()
                     if key[0] == "current" and key[1] is not None}
        backlog = None
        if "backlog" in self.needs:
            fields = ("day", "hour") if self.group_by == "hour" else ("day",)
            backlog = self._running_backlog(self.reader.sums(self.rng, fields, by_month=self.group_by == "month"))
        before = self.customers_before(self.rng.first) if "customers" in self.needs else None
        weights = self.engagement_weights() if "engagement" in self.needs else None
        out = []
        for key, days in key_days.items():  # in date order: each group's customers follow the last's
            hours = 1.0 if self.group_by == "hour" else sum(day_hours(self.org, d) for d in days)
            extra = {"dimension": None, "backlog": backlog(max(days)) if backlog else None}
            if weights is not None:
                extra["engagement_weights"] = weights
            if before is not None:
                extra.update(self.customers(before, len(days)))
                before = {c: before[c] + (values.get(key, {}).get(c) or 0) for c in self.CUSTOMER_FLOWS}
            totals = Totals(values.get(key, {}), hours=hours, min_sample=self.org.min_sample_size, extra=extra,
                            quantiles=quantiles.get(key, {}))
            out.append({"key": key, "metrics": _evaluate(self.metric_ids, totals)})
        return sorted(out, key=lambda g: g["key"])

    def _running_backlog(self, day_sums: dict):
        """The open-ticket backlog at the end of a day of the range, as a function. ``day_sums``
        are keyed by date first: a day, or a whole month's 1st for its roll-up (that month is
        only ever asked about at its end)."""
        base = sum(self.reader.backlog_before(self.rng.first).values())
        net: dict[dt.date, float] = defaultdict(float)
        for (day, *_rest), values in day_sums.items():
            net[day] += (values.get("tickets_created") or 0) - (values.get("tickets_resolved") or 0)
        dates = sorted(net)
        running, total = [], base
        for day in dates:
            total += net[day]
            running.append(total)

        def at(day: dt.date) -> int:
            i = bisect.bisect_right(dates, day)
            return int(running[i - 1] if i else base)
        return at

    def data_as_of(self):
        return SnapshotReader(self.org, self.grain, None).built_at(self.rng)


def check_range(first: dt.date, last: dt.date) -> DateRange:
    """The range rules of every report read (metrics, breach lists): first <= last, at most
    MAX_RANGE_DAYS days, and both days from EARLIEST_DAY to LATEST_DAY, so that the range, its
    previous period and their local midnights are real instants (year 1 or 9999 overflowed)."""
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise MetricsQueryError(str(DAY_OUT_OF_WINDOW).format(
                earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat()), field=name)
    if first > last:
        raise MetricsQueryError(str(BAD_RANGE), field="from")
    rng = DateRange(first, last)
    if rng.days > MAX_RANGE_DAYS:
        raise MetricsQueryError(str(RANGE_TOO_LONG).format(days=MAX_RANGE_DAYS), field="to")
    return rng


def compute(
    *, organization: Organization, metric_ids: list[str], first: dt.date, last: dt.date,
    group_by: str | None = None, filters: dict[str, list[str]] | None = None, compare: bool = True,
) -> dict:
    """Metrics for the organization's local days first..last (inclusive), from snapshots.

    Returns the API.md metrics shape: per metric ``unit``, ``value`` (None when its denominator
    is empty), ``n``, and the metric's own details; with ``compare``, ``previous`` (the same
    number of days just before) and ``change`` (relative). ``group_by`` adds ``groups``. A
    metric with goals has ``goals`` beside its figures (reports.goals.attach).
    Raises MetricsQueryError for a question that cannot be answered as asked.
    """
    metric_ids = list(dict.fromkeys(metric_ids))
    if not metric_ids:
        raise MetricsQueryError(str(NO_METRICS), field="metrics")
    for mid in metric_ids:
        if mid not in REGISTRY:
            raise MetricsQueryError(str(UNKNOWN_METRIC).format(id=mid), field="metrics")
    rng = check_range(first, last)
    if group_by is not None:
        if group_by not in ALL_BREAKDOWNS:
            raise MetricsQueryError(
                str(UNKNOWN_BREAKDOWN).format(value=group_by, choices=", ".join(ALL_BREAKDOWNS)), field="group_by")
        for mid in metric_ids:
            if group_by not in REGISTRY[mid].breakdowns:
                raise MetricsQueryError(str(UNSUPPORTED_BREAKDOWN).format(metric=mid, group_by=group_by), field="group_by")
    for dimension in SURVEY_BREAKDOWNS:  # only survey scores are counted per segment or touchpoint
        if (filters or {}).get(dimension):
            for mid in metric_ids:
                if dimension not in REGISTRY[mid].breakdowns:
                    raise MetricsQueryError(str(UNSUPPORTED_FILTER).format(metric=mid, dimension=dimension), field=dimension)

    run = _Computation(organization, metric_ids, rng, group_by, filters, compare)
    metrics = _evaluate(metric_ids, run.totals(run.periods[0]))
    if compare:
        previous = _evaluate(metric_ids, run.totals(run.periods[1]))
        for mid, result in metrics.items():
            before = previous[mid]
            result["previous"] = {"value": before["value"], "n": before.get("n"),
                                  "from": rng.previous().first.isoformat(), "to": rng.previous().last.isoformat()}
            result["change"] = _change(result["value"], before["value"])
    pending = DirtyDay.objects.for_org(organization).filter(day__gte=first, day__lte=last).count()
    response = {
        "organization": organization.slug,
        "timezone": organization.timezone,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "data_as_of": run.data_as_of(),
        "pending_days": pending,
        "failed_days": DirtyDay.objects.for_org(organization).filter(day__gte=first, day__lte=last, failed_at__isnull=False).count(),
        "filters": {dim: values for dim, values in (filters or {}).items() if values},
        "metrics": metrics,
    }
    if group_by is not None:
        response["group_by"] = group_by
        response["groups"] = run.groups()
    goals.attach(response, organization=organization, metric_ids=metric_ids, team_ids=run.filters.get("team"),
                 team_groups=run.group_ids if group_by == "team" else None)
    return response
