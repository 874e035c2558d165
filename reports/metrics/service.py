"""The one metrics service: pages, API, exports and e-mails all call :func:`compute`.

It reads snapshots only. Components of a range are added (in SQL), duration histograms
merged, and every ratio divided once, so a week, a month or a year are exact, never an
average of daily averages. Whole calendar months come from the monthly roll-ups
(reports.rollups), the days around them from the day rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Agent, Organization, Team
from chats.models import Channel, Tag
from reports import components as C
from reports.builders import local_midnight
from reports.metrics.base import (
    ALL_BREAKDOWNS,
    GROUPED_DIMENSIONS,
    REGISTRY,
    SURVEY_BREAKDOWNS,
    Totals,
)
from reports.models import DirtyDay, HourSnapshot
from reports.rollups import ROLLUPS, month_start, rollup_has_histograms, split_range
from reports.snapshots import GRAIN_MODELS

MAX_RANGE_DAYS = 3 * 366
# Report ranges lie in these days (a previous period of MAX_RANGE_DAYS before the first still does).
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)

UNKNOWN_METRIC = "Unknown metric “{id}”. See /api/v1/metrics/catalogue."
UNKNOWN_BREAKDOWN = "Unknown group_by “{value}”: use one of {choices}."
UNSUPPORTED_BREAKDOWN = "Metric “{metric}” cannot be grouped by {group_by}."
BAD_RANGE = "“from” must not be after “to”."
RANGE_TOO_LONG = "The range is longer than {days} days."
DAY_OUT_OF_WINDOW = "Must be a day from {earliest} to {latest}."
UNKNOWN_FILTER_VALUE = "Unknown {dimension} “{value}”."
MIXED_DIMENSIONS = "Filtering by {filter} while grouping by {group_by} is not supported; filter and group by the same dimension."
ONE_FILTER_DIMENSION = "Filter by one of agent, team, channel or tag at a time."
NO_METRICS = "Name at least one metric."
UNSUPPORTED_FILTER = "Metric “{metric}” cannot be filtered by {dimension}."
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
        raise MetricsQueryError(ONE_FILTER_DIMENSION, field=filter_dims[1])
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
    the monthly roll-ups (reports.rollups: sums for every grain but the hour one, histograms
    for the org grain), the days around them from the day rows, so a long range costs about
    the same whatever the volume behind it."""

    use_rollups = True  # False: day rows only (the reference the roll-ups are tested against)

    def __init__(self, organization: Organization, grain: str, dim_values: list | None):
        self.org = organization
        self.grain = grain
        self.model, self.dim_field = GRAIN_MODELS[grain]
        self.month_model = ROLLUPS[grain][1] if grain in ROLLUPS and self.use_rollups else None
        self.dim_values = dim_values

    def _filtered(self, qs):
        if self.dim_values is not None and self.dim_field not in (None, "hour"):
            qs = qs.filter(**{f"{self.dim_field}__in": self.dim_values})
        return qs

    def parts(self, first: dt.date | None, last: dt.date, *, histograms: bool = False) -> list[tuple]:
        """(model, date field, first, last) pieces covering first..last (first None: from the
        beginning): the roll-up for the whole months inside, the day rows for the rest.
        ``histograms``: only where the roll-up holds them."""
        month_model = self.month_model
        if month_model is None or (histograms and not rollup_has_histograms(month_model)):
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

    def _queryset(self, model, field: str, first: dt.date | None, last: dt.date):
        qs = model.objects.for_org(self.org).filter(**{f"{field}__lte": last})
        if first is not None:
            qs = qs.filter(**{f"{field}__gte": first})
        return self._filtered(qs)

    def _from(self, model, field: str, first: dt.date | None, last: dt.date) -> tuple[str, list]:
        """FROM ... WHERE for one piece: the organization, the dates, the dimension filter."""
        where, params = ["s.organization_id = %s", f"s.{field} <= %s"], [self.org.pk, last]
        if first is not None:
            where.append(f"s.{field} >= %s")
            params.append(first)
        if self.dim_values is not None and self.dim_field not in (None, "hour"):
            where.append(f"s.{self.dim_field} IN ({', '.join(['%s'] * len(self.dim_values))})")
            params += list(self.dim_values)
        return f"FROM {model._meta.db_table} s WHERE {' AND '.join(where)}", params

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

    def histograms(self, rng: DateRange, durations: tuple[str, ...], group_field: str | None = None,
                   *, by_month: bool = False) -> dict:
        """{group key: {duration: merged histogram}}, merged in SQL. Grouped by "day", from day
        rows, unless ``by_month`` (whole months keyed by their 1st)."""
        if not durations:
            return {}
        if self._filtered_out():
            return {}
        if group_field == "day" and not by_month:
            pieces = [(self.model, "day", rng.first, rng.last)]
        else:
            pieces = self.parts(rng.first, rng.last, histograms=True)
        each = "jsonb_each_text" if connection.vendor == "postgresql" else "json_each"
        parts, all_params = [], []
        for model, field, first, last in pieces:
            group_sql = f"s.{field if group_field == 'day' else group_field}" if group_field else "NULL"
            source, params = self._from(model, field, first, last)
            if connection.vendor == "postgresql":  # one pass over the rows for every duration
                values = ", ".join(f"('{name}', s.{name}_hist)" for name in durations)
                source = source.replace(" s WHERE ", f" s CROSS JOIN LATERAL (VALUES {values}) v(metric, h), {each}(v.h) j WHERE ", 1)
                parts.append(f"SELECT {group_sql} AS g, v.metric, j.key AS b, CAST(j.value AS BIGINT) AS n "
                             f"{source} AND v.h <> '{{}}'")
                all_params += params
                continue
            for name in durations:
                named = source.replace(" s WHERE ", f" s, {each}(s.{name}_hist) j WHERE ", 1)
                parts.append(f"SELECT {group_sql} AS g, '{name}' AS metric, j.key AS b, CAST(j.value AS BIGINT) AS n {named}")
                all_params += params
        union = " UNION ALL ".join(parts)
        if group_field == "day":
            # One row per date (a day, or a month's 1st), so its pairs are already unique.
            sql = union
        else:
            sql = f"SELECT u.g, u.metric, u.b, SUM(u.n) FROM ({union}) u GROUP BY u.g, u.metric, u.b"
        result: dict = defaultdict(lambda: defaultdict(dict))
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                # The planner guesses 100 pairs per histogram, so over a year of agent-day rows
                # the estimate passes the JIT thresholds and compiling costs seconds for a
                # statement that runs in a fraction of one; and the grouping of ~100,000 pairs
                # spills to disk at the default work_mem. Until the end of the transaction.
                cur.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
            cur.execute(sql, all_params)
            for g, metric, bucket, n in cur.fetchall():
                target = result[(_as_key(g),) if group_field else ()][metric]
                target[bucket] = target.get(bucket, 0) + int(n)
        return result

    def backlog_before(self, day: dt.date) -> dict:
        """{dimension key or (): created − resolved} over every day before ``day``."""
        by_dimension = self.dim_field not in (None, "hour")
        out: dict = defaultdict(int)
        for model, field, first, last in self.parts(None, day - dt.timedelta(days=1)):
            qs = self._queryset(model, field, first, last)
            if not by_dimension:
                r = qs.aggregate(c=Sum("tickets_created"), r=Sum("tickets_resolved"))
                out[()] += (r["c"] or 0) - (r["r"] or 0)
                continue
            rows = qs.values(self.dim_field).annotate(c=Sum("tickets_created"), r=Sum("tickets_resolved")).order_by()
            for r in rows:
                out[(r[self.dim_field],)] += (r["c"] or 0) - (r["r"] or 0)
        return dict(out) if by_dimension else {(): out[()]}

    def dimension_values_where(self, rng: DateRange, **conditions) -> set:
        """The dimension values with a row matching ``conditions`` in the range."""
        found = set()
        for model, field, first, last in self.parts(rng.first, rng.last):
            found.update(self._queryset(model, field, first, last).filter(**conditions)
                         .values_list(self.dim_field, flat=True).distinct())
        return found

    def built_at(self, rng: DateRange):
        """When the newest snapshot row of the range was built (a roll-up carries its days')."""
        stamps = [self._queryset(model, field, first, last).aggregate(at=Max("built_at"))["at"]
                  for model, field, first, last in self.parts(rng.first, rng.last)]
        return max((s for s in stamps if s is not None), default=None)


def _as_key(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return dt.date.fromisoformat(value)
    return value


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


def _add(into: dict, values: dict) -> None:
    for name in C.ADDITIVE:
        into[name] = (into.get(name) or 0) + (values.get(name) or 0)


class _Computation:
    def __init__(self, organization, metric_ids, rng, group_by, filters):
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

    def hours(self, rng: DateRange) -> float:
        return sum(day_hours(self.org, day) for day in rng.each_day())

    def extras(self, rng: DateRange) -> dict:
        extra: dict = {"dimension": self.grain if self.grain in GROUPED_DIMENSIONS else None}
        if "chats_total" in self.metric_ids and self.grain == "org":
            agents = SnapshotReader(self.org, "agent", None)
            extra["answering_agents"] = len(agents.dimension_values_where(rng, chats_answered__gt=0))
        if "backlog" in self.needs:
            extra["backlog"] = int(sum(self.reader.backlog_before(rng.last + dt.timedelta(days=1)).values()))
        if "channels" in self.needs:
            extra["channels"] = self.channels(rng)
        if "heatmap" in self.needs:
            extra["heatmap"] = self.heatmap(rng)
        return extra

    def channels(self, rng: DateRange) -> dict[str, Totals]:
        if self.grain not in ("org", "channel"):
            return {}
        reader = SnapshotReader(self.org, "channel", self.dim_values if self.grain == "channel" else None)
        return {key[0]: Totals(values) for key, values in reader.sums(rng, ("channel",)).items()}

    def heatmap(self, rng: DateRange) -> dict:
        rows = (HourSnapshot.objects.for_org(self.org).filter(day__gte=rng.first, day__lte=rng.last)
                .values("day", "hour").annotate(chats=Sum("chats_total"), tickets=Sum("tickets_created")).order_by())
        cells: dict = defaultdict(lambda: [0, 0])
        for r in rows:
            cell = cells[(r["day"].weekday(), r["hour"])]
            cell[0] += r["chats"] or 0
            cell[1] += r["tickets"] or 0
        return {k: tuple(v) for k, v in cells.items() if any(v)}  # sparse: hours with contacts

    def totals(self, rng: DateRange) -> Totals:
        values = self.reader.sums(rng)[()]
        if rng == self.rng and self.group_by in GROUPED_DIMENSIONS:
            # The same rows as the groups': merge their histograms rather than read them twice.
            hists: dict = {}
            for group in self.dimension_histograms.values():
                for d, hist in group.items():
                    target = hists.setdefault(d, {})
                    for b, n in hist.items():
                        target[b] = target.get(b, 0) + n
        else:
            hists = self.reader.histograms(rng, self.durations).get((), {})
        return Totals(values, hists, self.hours(rng), self.org.min_sample_size, self.extras(rng))

    def groups(self) -> list[dict]:
        if self.group_by is None:
            return []
        if self.group_by in GROUPED_DIMENSIONS:
            return self.dimension_groups()
        return self.time_groups()

    def dimension_groups(self) -> list[dict]:
        field = self.reader.dim_field
        sums = self.reader.sums(self.rng, (field,))
        hists = self.dimension_histograms
        backlog = self.reader.backlog_before(self.rng.last + dt.timedelta(days=1)) if "backlog" in self.needs else {}
        hours = self.hours(self.rng)
        labels = self.dimension_labels(field, [k[0] for k in sums])
        out = []
        for key, values in sums.items():
            extra = {"dimension": self.grain, "backlog": backlog.get(key, 0)}
            if "channels" in self.needs and self.grain == "channel":
                extra["channels"] = {key[0]: Totals(values)}
            totals = Totals(values, hists.get(key, {}), hours, self.org.min_sample_size, extra)
            out.append({"key": labels[key[0]][0], "label": labels[key[0]][1], "metrics": _evaluate(self.metric_ids, totals)})
        return sorted(out, key=lambda g: str(g["label"]).lower())

    @functools.cached_property
    def dimension_histograms(self) -> dict:
        """{(dimension value,): {duration: histogram}} over the range, read once."""
        return self.reader.histograms(self.rng, self.durations, self.reader.dim_field)

    def dimension_labels(self, field: str, ids: list) -> dict:
        if field == "channel":
            return {v: (v, str(Channel(v).label)) for v in ids}
        if field in SURVEY_BREAKDOWNS:
            return {v: (v, v or str(NO_VALUE_LABEL[field])) for v in ids}
        model = {"agent_id": Agent, "team_id": Team, "tag_id": Tag}[field]
        objs = model.objects.for_org(self.org).filter(pk__in=ids)
        return {o.pk: (getattr(o, "external_id", None) or o.name, o.name) for o in objs}

    def time_groups(self) -> list[dict]:
        fields = ("day", "hour") if self.group_by == "hour" else ("day",)
        by_month = self.group_by == "month"  # whole months straight from the roll-ups
        day_sums = self.reader.sums(self.rng, fields, by_month=by_month)
        # Histograms by day (or day+hour through the hour grain) merged into the time buckets.
        merged_values: dict[str, dict] = {}
        key_days: dict[str, list[dt.date]] = defaultdict(list)
        for day in self.rng.each_day():
            hours = range(24) if self.group_by == "hour" else (None,)
            for hour in hours:
                key = _time_key(self.org, self.group_by, day, hour)
                merged_values.setdefault(key, {})
                key_days[key].append(day)
        for gk, values in day_sums.items():
            key = _time_key(self.org, self.group_by, *gk)
            _add(merged_values.setdefault(key, {}), values)
        hists = self._time_histograms(by_month)
        backlog = self._running_backlog(day_sums) if "backlog" in self.needs else None
        out = []
        for key, values in merged_values.items():
            hours = 1.0 if self.group_by == "hour" else sum(day_hours(self.org, d) for d in key_days[key])
            last_day = max(key_days[key])
            extra = {"dimension": None, "backlog": backlog(last_day) if backlog else None}
            totals = Totals(values, hists.get(key, {}), hours, self.org.min_sample_size, extra)
            out.append({"key": key, "metrics": _evaluate(self.metric_ids, totals)})
        return sorted(out, key=lambda g: g["key"])

    def _time_histograms(self, by_month: bool) -> dict:
        if not self.durations:
            return {}
        if self.group_by == "hour":
            # Per-hour percentiles: read the hour grain's day+hour histograms.
            by_day = defaultdict(dict)
            qs = HourSnapshot.objects.for_org(self.org).filter(day__gte=self.rng.first, day__lte=self.rng.last)
            for row in qs.values("day", "hour", *[f"{d}_hist" for d in self.durations]):
                key = _time_key(self.org, "hour", row["day"], row["hour"])
                for d in self.durations:
                    target = by_day[key].setdefault(d, {})
                    for b, n in (row[f"{d}_hist"] or {}).items():
                        target[b] = target.get(b, 0) + n
            return by_day
        per_day = self.reader.histograms(self.rng, self.durations, "day", by_month=by_month)
        merged: dict = defaultdict(dict)
        for (day,), hists in per_day.items():
            key = _time_key(self.org, self.group_by, day)
            for d, hist in hists.items():
                target = merged[key].setdefault(d, {})
                for b, n in hist.items():
                    target[b] = target.get(b, 0) + n
        return merged

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
            raise MetricsQueryError(_(DAY_OUT_OF_WINDOW).format(
                earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat()), field=name)
    if first > last:
        raise MetricsQueryError(_(BAD_RANGE), field="from")
    rng = DateRange(first, last)
    if rng.days > MAX_RANGE_DAYS:
        raise MetricsQueryError(_(RANGE_TOO_LONG).format(days=MAX_RANGE_DAYS), field="to")
    return rng


def compute(
    *, organization: Organization, metric_ids: list[str], first: dt.date, last: dt.date,
    group_by: str | None = None, filters: dict[str, list[str]] | None = None, compare: bool = True,
) -> dict:
    """Metrics for the organization's local days first..last (inclusive), from snapshots.

    Returns the API.md metrics shape: per metric ``unit``, ``value`` (None when its denominator
    is empty), ``n``, and the metric's own details; with ``compare``, ``previous`` (the same
    number of days just before) and ``change`` (relative). ``group_by`` adds ``groups``.
    Raises MetricsQueryError for a question that cannot be answered as asked.
    """
    metric_ids = list(dict.fromkeys(metric_ids))
    if not metric_ids:
        raise MetricsQueryError(_(NO_METRICS), field="metrics")
    for mid in metric_ids:
        if mid not in REGISTRY:
            raise MetricsQueryError(_(UNKNOWN_METRIC).format(id=mid), field="metrics")
    rng = check_range(first, last)
    if group_by is not None:
        if group_by not in ALL_BREAKDOWNS:
            raise MetricsQueryError(
                _(UNKNOWN_BREAKDOWN).format(value=group_by, choices=", ".join(ALL_BREAKDOWNS)), field="group_by")
        for mid in metric_ids:
            if group_by not in REGISTRY[mid].breakdowns:
                raise MetricsQueryError(_(UNSUPPORTED_BREAKDOWN).format(metric=mid, group_by=group_by), field="group_by")
    for dimension in SURVEY_BREAKDOWNS:  # only survey scores are counted per segment or touchpoint
        if (filters or {}).get(dimension):
            for mid in metric_ids:
                if dimension not in REGISTRY[mid].breakdowns:
                    raise MetricsQueryError(_(UNSUPPORTED_FILTER).format(metric=mid, dimension=dimension), field=dimension)

    run = _Computation(organization, metric_ids, rng, group_by, filters)
    metrics = _evaluate(metric_ids, run.totals(rng))
    if compare:
        previous = _evaluate(metric_ids, run.totals(rng.previous()))
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
    return response
