"""One page declaration + one question (ReportQuery) → what every surface shows, as plain data.

:func:`render_page` calls ``compute()`` a fixed number of times whatever the range: one call
for the range totals (cards, details, heatmap) and its previous period, one per time grouping
(and its previous period) for the trend tables, one per dimension the page's tables are grouped
by, and for the agent page one grouped by agent for the team medians. Every number it returns
comes from those results; the renderer only picks, formats and orders them. Its one statistic
of its own is the team median of METRICS.md's agent performance report (:func:`team_median`,
the one function the agent page, the leaderboard's median row, their exports and the e-mails
use).

The result (RenderedPage) holds cards (value, previous, change, good/bad, low sample, n,
formula, drill-down URL) and tables (columns with their stable id and translated header; rows of
raw values with their display strings), so the template, the CSV/XLSX export and the weekly
e-mail show the same numbers rounded the same way.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from babel import dates as babel_dates
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import Agent, Team
from chats.models import Channel, Tag
from reports import formatting
from reports.drilldown.links import drilldown_url
from reports.exports import Column
from reports.goals import target_text
from reports.metrics import REGISTRY, MetricsQueryError, compute
from reports.metrics.service import DateRange
from reports.pages.declarations import (
    TIME,
    UNIT_DIGITS,
    Breaches,
    Comments,
    Detail,
    Figure,
    Heatmap,
    MetricRows,
    Page,
    Table,
)
from reports.pages.params import ReportQuery
from reports.results import lookup

# Marked for extraction, translated when shown.
MIXED_FILTER = gettext_noop("“{title}” counts one row per {by}; it cannot be shown while the page is filtered by {filter}, "
                "because figures are counted for one dimension at a time. Remove the filter to see it.")
HOUR_WITH_FILTER = gettext_noop("Grouping by hour cannot be combined with a filter (hourly figures are kept for the whole "
                    "organization only). Group by day, or remove the filter.")
HEATMAP_WITH_FILTER = gettext_noop("The heatmap cannot be filtered by {filter}: its hour-by-weekday figures are kept for "
                                    "the whole organization only (hourly figures are not kept per {filter}), so a "
                                    "filtered heatmap would show other {filter_plural}' chats. Remove the filter to see "
                                    "the whole organization's heatmap.")
COMMENTS_FILTERS = ("agent", "team")
NO_CATEGORY = _("No category")


def dimension_plural(dimension: str) -> str:
    return {"team": _("teams"), "agent": _("agents"), "channel": _("channels"), "tag": _("tags")}.get(dimension, dimension)


def dimension_name(dimension: str) -> str:
    return {"team": _("team"), "agent": _("agent"), "channel": _("channel"), "tag": _("tag"),
            "segment": _("segment"), "touchpoint": _("touchpoint"), "hour": _("hour"),
            "canned_response": _("canned response"), "criterion": _("criterion")}.get(dimension, dimension)


# --- plain data ------------------------------------------------------------------------------

@dataclass
class Cell:
    value: object
    display: str
    url: str | None = None
    low_sample: bool = False
    previous: object = None
    previous_display: str | None = None


@dataclass
class ColumnView:
    id: str
    header: str
    unit: str | None = None
    digits: int | None = None
    numeric: bool = True
    sort_url: str | None = None
    sort_state: str | None = None  # "ascending" / "descending": aria-sort of the current sort column


@dataclass
class RowView:
    keys: list[Cell]
    cells: list[Cell]
    url: str | None = None
    badge: str | None = None
    group: str | None = None     # a heading the row is listed under (a tag's category)
    previous_key: object = None  # the previous period's group (time tables with comparison)
    chart_label: str | None = None


@dataclass
class ChartView:
    id: str
    title: str
    kind: str
    labels: list[str]
    datasets: list[dict]

    @property
    def axis_title(self) -> str:
        """The value axis' unit (the figures' own, formatted, are in the tooltips and the table)."""
        unit = self.datasets[0]["unit"] if self.datasets else None
        return {"seconds": _("Seconds"), "percent": _("Percent"), "count": _("Number"), "score": _("Score"),
                "per_hour": _("Per hour")}.get(unit, "")

    def as_json(self) -> dict:
        """The chart's spec for static/js/reports.js. Labels and tooltip texts (``display``) are
        formatted here in the active language; ``locale`` (a BCP 47 tag) makes Chart.js write
        the value axis' ticks with the same separators (Intl.NumberFormat), ``axis_unit`` says
        how (a percentage axis writes ``80 %`` in Finnish)."""
        unit = self.datasets[0]["unit"] if self.datasets else None
        return {"id": self.id, "title": self.title, "kind": self.kind, "labels": self.labels, "datasets": self.datasets,
                "axis_title": self.axis_title, "axis_unit": unit, "locale": chart_locale(),
                "axis_max": 100 if unit == "percent" else None}


def chart_locale() -> str:
    """The active language as a BCP 47 tag for the browser's Intl (``fi``, ``zh-Hans``)."""
    locale = formatting.current_locale()
    return f"{locale.language}-{locale.script}" if locale.script else locale.language


@dataclass
class TableView:
    id: str
    title: str
    kind: str = "table"               # "table", "heatmap", "breaches", "comments"
    key_columns: list[ColumnView] = field(default_factory=list)
    columns: list[ColumnView] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)
    footer: list[RowView] = field(default_factory=list)
    charts: list[ChartView] = field(default_factory=list)
    compare: bool = False
    error: str | None = None
    note: str | None = None
    empty_text: str | None = None
    pagination: dict | None = None
    exportable: bool = True
    export_urls: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def shows_empty(self) -> bool:
        """The page says ``empty_text`` instead of the table (no rows, or every part 0)."""
        return bool(self.empty_text) and (not self.rows or bool(self.extra.get("all_zero")))

    @property
    def has_low_sample(self) -> bool:
        """Whether a cell carries the low-sample mark (the table then explains it)."""
        return any(c.low_sample for r in self.rows for c in r.cells)

    def export(self) -> tuple[list[Column], list[list]]:
        """Columns (stable id, header) and rows of raw values, as the page shows them: the key
        columns, each figure, and with comparison each figure's previous-period value."""
        columns = [Column(c.id, c.header, c.digits if c.numeric else None) for c in self.key_columns]
        columns += [Column(c.id, c.header, c.digits) for c in self.columns]
        if self.compare:
            columns.append(Column("previous_period", _("Previous period")))
            columns += [Column(f"{c.id}.previous", _("{header} (previous period)").format(header=c.header), c.digits)
                        for c in self.columns]
        rows = []
        for row in [*self.rows, *self.footer]:
            values = [k.value for k in row.keys] + [c.value for c in row.cells]
            if self.compare:
                values.append(row.previous_key)
                values += [c.previous for c in row.cells]
            rows.append(values)
        return columns, rows


@dataclass
class CardView:
    id: str
    metric: str
    field: str
    label: str
    unit: str
    value: object
    display: str
    n: int | None
    n_display: str
    low_sample: bool
    formula: str
    previous: object = None
    previous_display: str | None = None
    change: float | None = None
    change_display: str | None = None
    direction: str = "neutral"  # "good", "bad" or "neutral" (the change's colour)
    interval: str | None = None
    url: str | None = None
    median: object = None
    median_display: str | None = None
    goal_display: str | None = None   # "≥ 85 %": the goal of this figure in the read's scope
    goal_met: bool | None = None      # None: no goal, or no value to compare


@dataclass
class RenderedPage:
    page: Page
    query: ReportQuery
    cards: list[CardView] = field(default_factory=list)
    sections: list[TableView] = field(default_factory=list)
    error: str | None = None
    data_as_of: dt.datetime | None = None
    pending_days: int = 0
    failed_days: int = 0
    range_has_data: bool = True
    compute_calls: int = 0
    median_label: str | None = None

    @property
    def range_display(self) -> str:
        return formatting.date_range(self.query.first, self.query.last)

    @property
    def previous_display(self) -> str:
        return formatting.date_range(self.query.previous.first, self.query.previous.last)

    @property
    def data_as_of_display(self) -> str | None:
        return formatting.datetime(self.data_as_of, self.query_tz, "short") if self.data_as_of else None

    query_tz: object = None

    def section(self, section_id: str) -> TableView | None:
        return next((s for s in self.sections if s.id == section_id), None)


# --- helpers ---------------------------------------------------------------------------------

def relative_change(current, previous) -> float | None:
    """(current − previous) ÷ |previous|: the rule compute() reports as ``change`` for a metric's
    value, applied to any figure of it (None without both values, or from 0)."""
    if not isinstance(current, int | float) or not isinstance(previous, int | float) or previous == 0:
        return None
    return (current - previous) / abs(previous)


def display(value, unit: str | None) -> str:
    if unit is None:
        return formatting.EMPTY if value is None else str(value)
    return formatting.metric_value(value, unit)


def period_label(key: str, group_by: str) -> str:
    """A time group's key (reports.metrics.service._time_key) as the language writes it."""
    locale = formatting.current_locale()
    if group_by == "hour":
        return _hour_label(key, locale)
    if group_by == "month":
        return babel_dates.format_skeleton("yMMM", dt.date.fromisoformat(key + "-01"), locale=locale)
    day = dt.date.fromisoformat(key)
    if group_by == "week":
        return _("Week of {day}").format(day=babel_dates.format_skeleton("yMMMd", day, locale=locale))
    return babel_dates.format_skeleton("yMMMEd", day, locale=locale)


def _hour_label(key: str, locale) -> str:
    """An hour group as the language writes a day and a time ("Mar 2, 14:00", "2.3. 14.00"):
    CLDR has no combined date-and-time skeleton, so the date and the time are each formatted from
    their own skeleton and joined by the language's short date-time pattern."""
    moment = dt.datetime.fromisoformat(key)
    return locale.datetime_formats["short"].format(babel_dates.format_skeleton("Hm", moment, locale=locale),
                                                   babel_dates.format_skeleton("MMMd", moment, locale=locale))


def period_short_label(key: str, group_by: str) -> str:
    """The same, short, for chart axes."""
    locale = formatting.current_locale()
    if group_by == "hour":
        return _hour_label(key, locale)
    if group_by == "month":
        return babel_dates.format_skeleton("yMMM", dt.date.fromisoformat(key + "-01"), locale=locale)
    return babel_dates.format_skeleton("MMMd", dt.date.fromisoformat(key), locale=locale)


def period_bounds(key: str, group_by: str, rng: DateRange) -> tuple[dt.date, dt.date]:
    """The local days of a time group, within the range."""
    if group_by == "hour":
        day = dt.date.fromisoformat(key[:10])
        return day, day
    if group_by == "month":
        first = dt.date.fromisoformat(key + "-01")
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return max(first, rng.first), min(nxt - dt.timedelta(days=1), rng.last)
    first = dt.date.fromisoformat(key)
    last = first + dt.timedelta(days=6) if group_by == "week" else first
    return max(first, rng.first), min(last, rng.last)


# --- the computation plan ----------------------------------------------------------------------

class _Results:
    """compute() results of one page, keyed by (range name, group_by); failures kept as messages."""

    def __init__(self, organization, query: ReportQuery, filters: dict[str, list[str]]):
        self.organization = organization
        self.query = query
        self.filters = filters
        self.results: dict[tuple, dict] = {}
        self.errors: dict[tuple, str] = {}
        self.calls = 0

    def run(self, key: tuple, metric_ids, rng: DateRange, group_by: str | None, filters=None) -> None:
        ids = list(dict.fromkeys(metric_ids))
        if not ids or key in self.results or key in self.errors:
            return
        self.calls += 1
        try:
            self.results[key] = compute(
                organization=self.organization, metric_ids=ids, first=rng.first, last=rng.last,
                group_by=group_by, filters=self.filters if filters is None else filters, compare=False)
        except MetricsQueryError as exc:
            self.errors[key] = str(exc)

    def get(self, key: tuple) -> dict | None:
        return self.results.get(key)


def _filter_dimension(filters: dict) -> str | None:
    dims = [d for d, v in filters.items() if v]
    return dims[0] if len(dims) == 1 else None


def _table_blocked(table: Table, query: ReportQuery, filters: dict) -> str | None:
    """Why the service cannot answer this table with this filter (one dimension at a time)."""
    dim = _filter_dimension(filters)
    if dim is None:
        return None
    if table.by == TIME:
        return _(HOUR_WITH_FILTER) if query.group_by == "hour" else None
    if table.by != dim:
        return _(MIXED_FILTER).format(title=str(table.title), by=dimension_name(table.by), filter=dimension_name(dim))
    return None


def render_page(
    *, page: Page, organization, query: ReportQuery, fixed_filters: dict[str, list[str]] | None = None,
    agent: Agent | None = None, params=None, only: str | None = None, urls=None,
) -> RenderedPage:
    """Everything ``page`` shows for ``query``. ``fixed_filters`` replace the query's filters (the
    agent page's own agent); ``params``: the request's GET parameters (sorting and pagination of
    tables); ``only``: a section id, to compute just that section (an export); ``urls``: a
    callable(querystring) → URL of this page (for sort links)."""
    params = params or {}
    filters = dict(fixed_filters) if fixed_filters is not None else query.active_filters
    out = RenderedPage(page=page, query=query, query_tz=organization.tzinfo)
    results = _Results(organization, query, filters)
    sections = [s for s in page.sections if only is None or s.id == only]
    cards = page.cards if only is None else ()
    compare = query.compare

    # 1. Range totals: cards, metric rows, details, the heatmap (one call, and one for the previous period).
    total_ids = [c.metric for c in cards]
    for s in sections:
        if isinstance(s, MetricRows):
            total_ids += list(s.metrics)
        elif isinstance(s, Detail) or isinstance(s, Heatmap) and not _filter_dimension(filters):
            total_ids.append(s.metric)
            if isinstance(s, Heatmap) and s.staffing:
                total_ids.append("staffing_forecast")
    results.run(("current", None), total_ids, query.range, None)
    if compare and cards:
        results.run(("previous", None), [c.metric for c in cards], query.previous, None)

    # 2. Trend tables: one call per range for every TIME table.
    time_tables = [s for s in sections if isinstance(s, Table) and s.by == TIME and not _table_blocked(s, query, filters)]
    time_ids = [c.metric for t in time_tables for c in t.columns]
    results.run(("current", TIME), time_ids, query.range, query.group_by)
    if compare and any(t.compare for t in time_tables):
        results.run(("previous", TIME), [c.metric for t in time_tables if t.compare for c in t.columns],
                    query.previous, query.group_by)

    # 3. One call per dimension the tables are grouped by.
    dim_tables = [s for s in sections if isinstance(s, Table) and s.by != TIME and not _table_blocked(s, query, filters)]
    for by in dict.fromkeys(t.by for t in dim_tables):
        results.run(("current", by), [c.metric for t in dim_tables if t.by == by for c in t.columns], query.range, by)

    # 4. The agent page: every card beside the median of the agent's team.
    if page.medians and agent is not None and cards:
        results.run(("medians", "agent"), [c.metric for c in cards], query.range, "agent", filters={})

    totals = results.get(("current", None))
    if totals is None and ("current", None) in results.errors:
        out.error = results.errors[("current", None)]
        out.compute_calls = results.calls
        return out
    first_result = totals or next(iter(results.results.values()), None)
    if first_result is not None:
        out.data_as_of = first_result["data_as_of"]
        out.pending_days = first_result["pending_days"]
        out.failed_days = first_result["failed_days"]

    drill_query = {**query.api_params(), **{d: list(v) for d, v in filters.items()}}
    for d in ("team", "agent", "channel", "tag"):
        if d not in filters:
            drill_query.pop(d, None)

    if cards and totals is not None:
        previous = results.get(("previous", None))
        medians = _team_medians(organization, agent, results.get(("medians", "agent")), cards)
        if medians is not None:
            out.median_label = medians[0]
        for fig in cards:
            out.cards.append(_card(organization, fig, totals["metrics"], previous["metrics"] if previous else None,
                                   drill_query, medians[1].get(fig.id) if medians else None))
        out.range_has_data = any(isinstance(c.n, int) and c.n for c in out.cards)

    for s in sections:
        if isinstance(s, Table):
            out.sections.append(_table(organization, s, query, filters, results, drill_query, params, urls))
        elif isinstance(s, MetricRows):
            out.sections.append(_metric_rows(organization, s, totals, drill_query))
        elif isinstance(s, Detail):
            out.sections.append(_detail(organization, s, totals, drill_query))
        elif isinstance(s, Heatmap):
            out.sections.append(_heatmap(organization, s, totals, filters, query, urls))
        elif isinstance(s, Breaches):
            out.sections.append(_breaches(organization, s, query, filters, params, urls))
        elif isinstance(s, Comments):
            out.sections.append(_comments(organization, s, query, filters, params, urls))
    if not cards:
        out.range_has_data = any(s.rows for s in out.sections if s.kind == "table") or not out.sections
    out.compute_calls = results.calls
    return out


# --- cards -------------------------------------------------------------------------------------

def _card(organization, fig: Figure, metrics: dict, previous: dict | None, drill_query: dict, median) -> CardView:
    result = metrics.get(fig.metric) or {}
    value = lookup(result, fig.field)
    unit = fig.value_unit
    n = result.get("n")
    card = CardView(
        id=fig.id, metric=fig.metric, field=fig.field, label=fig.header, unit=unit, value=value,
        display=display(value, unit), n=n, n_display=formatting.number(n) if n is not None else formatting.EMPTY,
        low_sample=value is not None and bool(result.get("low_sample")), formula=fig.formula,
    )
    if fig.field == "value" and result.get("ci95"):
        low, high = result["ci95"]
        # xgettext:no-python-format
        card.interval = _("95% interval {low} to {high}").format(low=display(low, unit), high=display(high, unit))
    if previous is not None:
        before = lookup(previous.get(fig.metric) or {}, fig.field)
        card.previous, card.previous_display = before, display(before, unit)
        card.change = relative_change(value, before)
        card.change_display = formatting.signed_percent(card.change) if card.change is not None else None
        better = fig.better_when_higher
        if card.change and better is not None:
            card.direction = "good" if (card.change > 0) == better else "bad"
    if fig.drills_down:
        card.url = drilldown_url(organization=organization, metric_id=fig.metric, query=drill_query, figure=fig.field)
    if median is not None:
        card.median, card.median_display = median, display(median, unit)
    goal = (result.get("goals") or {}).get(fig.field)
    if goal is not None:
        card.goal_display = target_text(goal['at_least'], goal['target'], unit)
        card.goal_met = goal["met"]
    return card


def team_median(values) -> float | None:
    """The team median of one figure (METRICS.md, agent performance report: "the team median
    beside each figure"): the median of the figure's per-agent values, as compute() gives them
    grouped by agent, over the agents compared, i.e. the agent's team on the agent page and the
    agents listed on the leaderboard.

    - An agent whose figure is null (an empty denominator, METRICS.md rule 5: e.g. no answered
      chat for a first response time) is left out; it is not a 0. Agents compute() does not list
      (nothing in the range) are not counted either.
    - With an even number of values it is the mean of the two middle ones.
    - It is taken over the raw values and rounded only when shown, by the figure's unit, like
      every other number (so the page, the CSV/XLSX export and the e-mail agree).
    - No value at all: None (shown as "—")."""
    present = sorted(v for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    if not present:
        return None
    return statistics.median(present)


def team_median_label(n: int, team: str | None = None) -> str:
    """Who a median is taken over: "Median of team Tier 1 (3 agents)", "Median of 4 agents"."""
    if team is not None:
        return ngettext("Median of team {team} ({n} agent)", "Median of team {team} ({n} agents)", n).format(
            team=team, n=formatting.number(n))
    return ngettext("Median of {n} agent", "Median of {n} agents", n).format(n=formatting.number(n))


def _team_medians(organization, agent: Agent | None, grouped: dict | None, cards) -> tuple[str, dict] | None:
    """(label, {figure id: team median}) over the agents of ``agent``'s team that compute() lists
    for the range (every agent of the organization when ``agent`` has no team)."""
    if agent is None or grouped is None:
        return None
    groups = grouped.get("groups", [])
    if agent.team_id is not None:
        team = Team.objects.for_org(organization).filter(pk=agent.team_id).first()
        keys = {a.external_id or a.name for a in Agent.objects.for_org(organization).filter(team_id=agent.team_id)}
        groups = [g for g in groups if g["key"] in keys]
        label = team_median_label(len(groups), team.name if team else "")
    else:
        label = team_median_label(len(groups))
    return label, {fig.id: team_median(lookup(g["metrics"].get(fig.metric), fig.field) for g in groups) for fig in cards}


# --- tables ------------------------------------------------------------------------------------

def _sort_param(table: Table) -> str:
    return f"{table.id}_sort"


def _figure_cell(organization, fig: Figure, result: dict | None, drill_query: dict) -> Cell:
    value = lookup(result or {}, fig.field)
    # A missing value ("—") is not a low-sample one: nothing to read with care.
    cell = Cell(value=value, display=display(value, fig.value_unit),
                low_sample=value is not None and bool((result or {}).get("low_sample")))
    if fig.drills_down and value:
        cell.url = drilldown_url(organization=organization, metric_id=fig.metric, query=drill_query, figure=fig.field)
    return cell


def _table(organization, table: Table, query: ReportQuery, filters, results: _Results, drill_query, params, urls) -> TableView:
    view = TableView(id=table.id, title=str(table.title), note=str(table.note) if table.note else None,
                     compare=table.compare and query.compare)
    by = table.by
    group_by = query.group_by if by == TIME else by
    if by == TIME:
        view.key_columns = [ColumnView(group_by, _("Period"), numeric=False)]
    else:
        view.key_columns = [ColumnView(by, _("Id"), numeric=False), ColumnView(f"{by}_name", _("Name"), numeric=False)]
        if table.by_category:
            view.key_columns.insert(1, ColumnView("tag_category", _("Category"), numeric=False))
    view.columns = [ColumnView(c.id, c.header, c.value_unit, c.digits) for c in table.columns]
    blocked = _table_blocked(table, query, filters)
    if blocked:
        view.error = blocked
        return view
    key = ("current", TIME if by == TIME else by)
    result = results.get(key)
    if result is None:
        view.error = results.errors.get(key) or _("This table could not be computed.")
        return view
    previous = results.get(("previous", TIME)) if view.compare else None
    previous_groups = previous["groups"] if previous else []

    agent_urls = {}
    if by == "agent" and table.link_rows == "agent":
        from django.urls import reverse

        keys = [g["key"] for g in result["groups"]]
        agent_urls = {a.external_id: reverse("report_agent", kwargs={"org_slug": organization.slug, "agent_id": a.pk})
                      for a in Agent.objects.for_org(organization).filter(external_id__in=keys)}
    tags = {}
    if by == "tag":
        tags = {t.name: t for t in Tag.objects.for_org(organization).filter(name__in=[g["key"] for g in result["groups"]])}
    for i, group in enumerate(result["groups"]):
        if by == TIME:
            first, last = period_bounds(group["key"], group_by, query.range)
            row_query = {**drill_query, "from": first.isoformat(), "to": last.isoformat()}
            if group_by == "hour":
                row_query["hour"] = int(group["key"][11:13])
            keys = [Cell(group["key"], period_label(group["key"], group_by))]
            row_chart_label = period_short_label(group["key"], group_by)
        else:
            row_query = {**drill_query, by: [group["key"]]}
            keys = [Cell(group["key"], str(group["key"])), Cell(str(group["label"]), str(group["label"]))]
            row_chart_label = str(group["label"])
            if table.by_category:
                tag = tags.get(group["key"])
                category = tag.category if tag is not None and tag.category else ""
                keys.insert(1, Cell(category, category or str(NO_CATEGORY)))
        cells = [_figure_cell(organization, fig, group["metrics"].get(fig.metric), row_query) for fig in table.columns]
        row = RowView(keys=keys, cells=cells, chart_label=row_chart_label)
        if view.compare and i < len(previous_groups):
            before = previous_groups[i]
            row.previous_key = before["key"]
            for fig, cell in zip(table.columns, cells, strict=True):
                cell.previous = lookup(before["metrics"].get(fig.metric) or {}, fig.field)
                cell.previous_display = display(cell.previous, fig.value_unit)
        if by == "tag" and group["key"] in tags and tags[group["key"]].high_priority:
            row.badge = _("high priority")
        if group["key"] in agent_urls:
            row.url = f"{agent_urls[group['key']]}?{query.querystring(agent=None)}"
        if urls is not None and table.link_rows == "filter" and by in ("team", "agent", "channel", "tag"):
            row.url = urls(query.querystring(**{by: group["key"]}))
        view.rows.append(row)

    if by == TIME and view.compare:
        view.extra["previous_range"] = formatting.date_range(query.previous.first, query.previous.last)
    _sort(view, table, params, query, urls)
    if table.by_category:  # under their categories, A→Z, uncategorized last; the sort holds within each
        for row in view.rows:
            row.group = row.keys[1].display
        view.rows.sort(key=lambda r: (not r.keys[1].value, str(r.keys[1].value).lower()))
    if table.median and view.rows:
        medians = [team_median(r.cells[i].value for r in view.rows) for i in range(len(view.columns))]
        label = team_median_label(len(view.rows))
        view.footer.append(RowView(keys=[Cell("median", _("Median")), Cell(label, label)],
                                   cells=[Cell(m, display(m, c.unit)) for m, c in zip(medians, view.columns, strict=True)]))
    if by == TIME:  # the goal lines of the trend charts: the read's own goals (one scope for every period)
        view.extra["goals"] = {fig.id: goal for fig in table.columns
                               if (goal := (result["metrics"].get(fig.metric, {}).get("goals") or {}).get(fig.field))}
    view.charts = [_chart(chart, table, view) for chart in table.charts] if table.chart_open else []
    if not view.rows:
        view.empty_text = _("No data in this range.")
    return view


def _sort(view: TableView, table: Table, params, query: ReportQuery, urls) -> None:
    if not table.sortable:
        return
    name = _sort_param(table)
    raw = params.get(name) or ""
    descending = raw.startswith("-")
    column = raw.lstrip("-")
    ids = [c.id for c in view.columns]
    if column in ids:
        i = ids.index(column)

        def sort_key(row):
            value = row.cells[i].value
            return (value is None, value if not descending or value is None else -value)
        view.rows.sort(key=sort_key)
        view.columns[i].sort_state = "descending" if descending else "ascending"
    elif column == "name":
        view.rows.sort(key=lambda r: str(r.keys[-1].value).lower(), reverse=descending)
        view.key_columns[-1].sort_state = "descending" if descending else "ascending"
    if urls is None:
        return
    for col in [view.key_columns[-1], *view.columns]:
        col_id = "name" if col is view.key_columns[-1] else col.id
        # First choice: best first for numbers (largest first), A→Z for names; again: reversed.
        if col.sort_state is None:
            value = col_id if col_id == "name" else f"-{col_id}"
        else:
            value = col_id if col.sort_state == "descending" else f"-{col_id}"
        col.sort_url = page_link(urls, query, params, **{name: value})


def _chart(chart, table: Table, view: TableView) -> ChartView:
    ids = [c.id for c in view.columns]
    datasets = []
    for figure_id in chart.columns:
        i = ids.index(figure_id)
        column = view.columns[i]
        datasets.append({"label": column.header, "unit": column.unit,
                         "data": [r.cells[i].value for r in view.rows],
                         "display": [r.cells[i].display for r in view.rows], "previous": False})
        if view.compare:
            datasets.append({"label": _("{header} (previous period)").format(header=column.header),
                             "unit": column.unit, "data": [r.cells[i].previous for r in view.rows],
                             "display": [r.cells[i].previous_display for r in view.rows], "previous": True})
        goal = view.extra.get("goals", {}).get(figure_id)
        if goal is not None:
            shown = target_text(goal['at_least'], goal['target'], column.unit)
            datasets.append({"label": _("Goal {target}").format(target=shown), "unit": column.unit,
                             "data": [goal["target"]] * len(view.rows), "display": [shown] * len(view.rows),
                             "previous": False, "goal": True})
    return ChartView(id=f"chart-{table.id}-{chart.id}", title=str(chart.title), kind=chart.kind,
                     labels=[r.chart_label or r.keys[-1].display for r in view.rows], datasets=datasets)


def _metric_rows(organization, section: MetricRows, totals: dict | None, drill_query: dict) -> TableView:
    view = TableView(id=section.id, title=str(section.title), note=str(section.note) if section.note else None)
    view.key_columns = [ColumnView("metric", _("Metric id"), numeric=False),
                        ColumnView("metric_name", _("Metric"), numeric=False)]
    view.columns = [ColumnView(f, str(h), u, UNIT_DIGITS.get(u) if u else UNIT_DIGITS["seconds"])
                    for f, h, u in section.fields]
    if totals is None:
        view.error = _("This table could not be computed.")
        return view
    for mid in section.metrics:
        result = totals["metrics"].get(mid) or {}
        unit = REGISTRY[mid].unit
        cells = []
        for field_name, _header, field_unit in section.fields:
            value = lookup(result, field_name)
            cell = Cell(value, display(value, field_unit or unit), low_sample=value is not None and bool(result.get("low_sample")))
            if value and (field_unit or unit) in ("count", "seconds"):
                cell.url = drilldown_url(organization=organization, metric_id=mid, query=drill_query, figure=field_name)
            cells.append(cell)
        view.rows.append(RowView(keys=[Cell(mid, mid), Cell(str(REGISTRY[mid].label), str(REGISTRY[mid].label))],
                                 cells=cells))
    return view


def _detail(organization, section: Detail, totals: dict | None, drill_query: dict) -> TableView:
    view = TableView(id=section.id, title=str(section.title), note=str(section.note) if section.note else None)
    view.key_columns = [ColumnView("part", _("Id"), numeric=False), ColumnView("part_name", str(section.key_header), numeric=False)]
    path = section.path.format(csat_scale=organization.csat_scale)  # e.g. "distribution.{csat_scale}"
    view.columns = [ColumnView(f"{section.metric}.{path}{'.' + f if f else ''}".replace("..", "."),
                               str(h), u, UNIT_DIGITS.get(u)) for f, h, u in section.columns]
    if totals is None:
        view.error = _("This table could not be computed.")
        return view
    source = lookup(totals["metrics"].get(section.metric) or {}, path)
    if isinstance(source, list):
        items = {item[section.key_field]: item for item in source}
    else:
        items = source or {}
    keys = section.rows or tuple((k, k) for k in items)
    for key, label in keys:
        item = items.get(key)
        cells = []
        for f, _h, unit in section.columns:
            value = lookup(item, f) if f and isinstance(item, dict) else item
            cell = Cell(value, display(value, unit))
            if value and unit in ("count", "seconds") and not section.key_field:
                figure = ".".join(p for p in (path, key, f) if p)
                cell.url = drilldown_url(organization=organization, metric_id=section.metric, query=drill_query,
                                         figure=figure)
            cells.append(cell)
        view.rows.append(RowView(keys=[Cell(key, key), Cell(str(label), str(label))], cells=cells))
    if view.rows and all(not c.value for r in view.rows for c in r.cells):
        # Every part 0 (e.g. no answers on this scale): say so instead of an empty chart; the
        # export still lists the zeros.
        view.extra["all_zero"] = True
        view.empty_text = _("Nothing counted in this range.")
        return view
    if section.chart and view.columns:
        view.extra["layout"] = "beside"  # the chart with its table beside it, both shown
        column = view.columns[0]
        view.charts = [ChartView(id=f"chart-{section.id}", title=str(section.title), kind="bar",
                                 labels=[r.keys[1].display for r in view.rows],
                                 datasets=[{"label": column.header, "unit": column.unit,
                                            "data": [r.cells[0].value for r in view.rows],
                                            "display": [r.cells[0].display for r in view.rows], "previous": False}])]
    return view


def _heatmap(organization, section: Heatmap, totals: dict | None, filters, query: ReportQuery, urls=None) -> TableView:
    view = TableView(id=section.id, title=str(section.title), kind="heatmap")
    view.key_columns = [ColumnView("weekday", _("Weekday (0 = Monday)"), numeric=False),
                        ColumnView("weekday_name", _("Weekday"), numeric=False),
                        ColumnView("hour", _("Hour"), numeric=False)]
    view.columns = [ColumnView("traffic_heatmap.chats", _("Chats"), "count", 0),
                    ColumnView("traffic_heatmap.tickets", _("Tickets"), "count", 0)]
    dim = _filter_dimension(filters)
    if dim:
        # compute() reads traffic_heatmap from the hour grain, which has no dimension (breakdowns=()).
        view.error = _(HEATMAP_WITH_FILTER).format(filter=dimension_name(dim), filter_plural=dimension_plural(dim))
        view.exportable = False
        if urls is not None:
            view.extra["unfiltered_url"] = urls(query.querystring(**{dim: None}))
        return view
    if totals is None:
        view.error = _("This table could not be computed.")
        return view
    cells = {(c["weekday"], c["hour"]): c for c in totals["metrics"]["traffic_heatmap"]["cells"]}
    names = formatting.weekday_names(0, "wide")
    order = [(organization.week_start + i) % 7 for i in range(7)]
    peak = max((c["chats"] for c in cells.values()), default=0)
    grid = []
    for weekday in order:
        line = []
        for hour in range(24):
            c = cells.get((weekday, hour), {"chats": 0, "tickets": 0})
            level = 0 if not c["chats"] or not peak else 1 + min(4, int(4 * c["chats"] / peak))
            line.append({"hour": hour, "chats": c["chats"], "tickets": c["tickets"],
                         "chats_display": formatting.number(c["chats"]),
                         "tickets_display": formatting.number(c["tickets"]), "level": level})
            view.rows.append(RowView(keys=[Cell(weekday, str(weekday)), Cell(names[weekday], names[weekday]),
                                           Cell(hour, f"{hour:02d}")],
                                     cells=[Cell(c["chats"], formatting.number(c["chats"])),
                                            Cell(c["tickets"], formatting.number(c["tickets"]))]))
        grid.append({"weekday": weekday, "name": names[weekday], "short": formatting.weekday_names(weekday, "abbreviated")[0],
                     "cells": line, "total": formatting.number(sum(x["chats"] for x in line))})
    view.extra = {"grid": grid, "hours": [f"{h:02d}" for h in range(24)], "timezone": organization.timezone,
                  "total": formatting.number(sum(c["chats"] for c in cells.values()))}
    staffing = totals["metrics"].get("staffing_forecast") if section.staffing else None
    if staffing:
        _staffing(view, staffing, order, names)
    if not cells:
        view.empty_text = _("No chats or tickets in this range.")
    return view


def _staffing(view: TableView, forecast: dict, order: list[int], names: list[str]) -> None:
    """staffing_forecast beside the heatmap: per hour of the week the agents needed (Erlang C)
    and the agents online, as a second grid (an hour short of agents marked) and two more columns
    of the heatmap's rows, so the export carries them."""
    hours = {(h["weekday"], h["hour"]): h for h in forecast["hours"]}
    view.columns += [ColumnView("staffing_forecast.agents_needed", _("Agents needed"), "count", 0),
                     ColumnView("staffing_forecast.agents_online", _("Agents online"), "ratio", 1)]
    for row in view.rows:
        h = hours.get((row.keys[0].value, row.keys[2].value), {})
        online = h.get("agents_online")
        row.cells += [Cell(h.get("agents_needed", 0), formatting.number(h.get("agents_needed", 0))),
                      Cell(online, formatting.number(online, 1) if online is not None else formatting.EMPTY)]
    grid = []
    for weekday in order:
        line = []
        for hour in range(24):
            h = hours.get((weekday, hour), {})
            needed, online = h.get("agents_needed", 0), h.get("agents_online") or 0
            line.append({"hour": hour, "needed": needed, "needed_display": formatting.number(needed),
                         "online_display": formatting.number(online, 1), "short": needed > 0 and online < needed})
        grid.append({"weekday": weekday, "name": names[weekday],
                     "short": formatting.weekday_names(weekday, "abbreviated")[0], "cells": line})
    view.extra["staffing"] = {
        "grid": grid, "peak": formatting.number(forecast.get("value") or 0),
        "target": formatting.duration(forecast["wait_target_seconds"]) if forecast.get("wait_target_seconds") else None,
        "level": formatting.percent(100 * forecast["service_level"]) if forecast.get("service_level") else None,
        "handle": formatting.duration(forecast["handle_time"]) if forecast.get("handle_time") else None,
    }


def _local_bounds(organization, rng: DateRange) -> tuple[dt.datetime, dt.datetime]:
    tz = organization.tzinfo
    start = dt.datetime.combine(rng.first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(rng.last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def _page_number(params, name: str) -> int:
    try:
        return max(1, int(params.get(name) or 1))
    except (TypeError, ValueError):
        return 1


def breach_rows(organization, query: ReportQuery, filters, measure: str):
    from reports.breaches import sla_breaches

    breach_filters = {d: v for d, v in filters.items() if d in ("agent", "team", "channel")}
    return sla_breaches(organization=organization, measure=measure, first=query.first, last=query.last,
                        filters=breach_filters).order_by("at", "id")


def page_link(urls, query: ReportQuery, params, **overrides) -> str | None:
    """This page's URL for the same question, keeping the sections' own state (sort orders,
    list pages, the breach measure), with overrides."""
    if urls is None:
        return None
    kept = {k: params.get(k) for k in params if k == "measure" or k.endswith(("_sort", "_page"))}
    return urls(query.querystring(**{**kept, **overrides}))


def _pagination(urls, query, params, name: str, page, count: int) -> dict:
    return {
        "param": name, "count": count, "count_display": formatting.number(count), "number": page.number,
        "num_pages": page.paginator.num_pages,
        "previous_url": page_link(urls, query, params, **{name: page.previous_page_number()})
        if page.has_previous() else None,
        "next_url": page_link(urls, query, params, **{name: page.next_page_number()}) if page.has_next() else None,
    }


def _breaches(organization, section: Breaches, query: ReportQuery, filters, params, urls=None) -> TableView:
    from reports.breaches import MEASURE_IDS

    measures = {"chat_first_response": _("Chat first response"), "chat_wait": _("Chat wait"),
                "ticket_first_response": _("Ticket first response"), "ticket_resolution": _("Ticket resolution")}
    measure = params.get("measure") if params.get("measure") in MEASURE_IDS else MEASURE_IDS[0]
    view = TableView(id=section.id, title=str(section.title), kind="breaches")
    view.key_columns = [ColumnView("conversation", _("Conversation"), numeric=False),
                        ColumnView("conversation_type", _("Type"), numeric=False),
                        ColumnView("at", _("Time"), numeric=False),
                        ColumnView("agent_name", _("Agent"), numeric=False),
                        ColumnView("team_name", _("Team"), numeric=False),
                        ColumnView("channel", _("Channel"), numeric=False),
                        ColumnView("priority", _("Priority"), numeric=False)]
    view.columns = [ColumnView("actual_seconds", _("Actual"), "seconds", 1),
                    ColumnView("target_seconds", _("Target"), "seconds", 1),
                    ColumnView("over_seconds", _("Over target"), "seconds", 1)]
    view.extra = {"measure": measure, "measure_label": measures[measure],
                  "measures": [{"id": m, "label": label, "current": m == measure,
                                "url": page_link(urls, query, params, measure=m, breaches_page=None)}
                               for m, label in measures.items()]}
    if filters.get("tag"):
        view.error = _("The breach list can be filtered by team, agent or channel, not by tag.")
        return view
    try:
        rows = breach_rows(organization, query, filters, measure)
    except MetricsQueryError as exc:
        view.error = str(exc)
        return view
    paginator = Paginator(rows, section.page_size)
    page = paginator.get_page(_page_number(params, "breaches_page"))
    view.rows = [_breach_row(organization, b, measure) for b in page.object_list]
    view.pagination = _pagination(urls, query, params, "breaches_page", page, paginator.count)
    if not paginator.count:
        view.empty_text = _("No breaches of this target in this range.")
    return view


def _breach_row(organization, b, measure: str) -> RowView:
    from reports.breaches import MEASURES

    at = b.at.astimezone(organization.tzinfo)
    kind = MEASURES[measure].kind
    keys = [Cell(b.external_id, b.external_id), Cell(kind, _("Chat") if kind == "chat" else _("Ticket")),
            Cell(at, formatting.datetime(at, organization.tzinfo, "short")),
            Cell(b.agent_name, b.agent_name or formatting.EMPTY), Cell(b.team_name, b.team_name or formatting.EMPTY),
            Cell(b.channel, str(Channel(b.channel).label) if b.channel in Channel.values else b.channel),
            Cell(b.row_priority, b.row_priority or formatting.EMPTY)]
    cells = [Cell(v, display(v, "seconds")) for v in (b.actual_seconds, b.target_seconds, b.over_seconds)]
    return RowView(keys=keys, cells=cells)


def comment_rows(organization, query: ReportQuery, filters):
    from surveys.models import SurveyAnswer

    start, end = _local_bounds(organization, query.range)
    qs = (SurveyAnswer.objects.for_org(organization).exclude(comment="")
          .filter(answered_at__gte=start, answered_at__lt=end).select_related("agent"))
    # Agents and teams named as the metrics filters name them: by external id or name.
    if filters.get("agent"):
        qs = qs.filter(Q(agent__external_id__in=filters["agent"]) | Q(agent__name__in=filters["agent"]))
    if filters.get("team"):
        qs = qs.filter(Q(agent__team__external_id__in=filters["team"]) | Q(agent__team__name__in=filters["team"]))
    return qs.order_by("-answered_at", "-id")


def _comments(organization, section: Comments, query: ReportQuery, filters, params, urls=None) -> TableView:
    view = TableView(id=section.id, title=str(section.title), kind="comments")
    view.key_columns = [ColumnView("answered_at", _("Answered"), numeric=False),
                        ColumnView("kind", _("Survey"), numeric=False),
                        ColumnView("scale", _("Scale"), numeric=False),
                        ColumnView("agent_name", _("Agent"), numeric=False),
                        ColumnView("comment", _("Comment"), numeric=False)]
    view.columns = [ColumnView("score", _("Score"), "count", 0)]
    other = [d for d in filters if d not in COMMENTS_FILTERS and filters[d]]
    if other:
        view.error = _("Comments can be filtered by team or agent, not by {filter}.").format(
            filter=dimension_name(other[0]))
        return view
    paginator = Paginator(comment_rows(organization, query, filters), section.page_size)
    page = paginator.get_page(_page_number(params, "comments_page"))
    view.rows = [_comment_row(organization, a) for a in page.object_list]
    view.pagination = _pagination(urls, query, params, "comments_page", page, paginator.count)
    if not paginator.count:
        view.empty_text = _("No comments in this range.")
    return view


def _comment_row(organization, a) -> RowView:
    at = a.answered_at.astimezone(organization.tzinfo)
    agent = a.agent.name if a.agent else None
    return RowView(keys=[Cell(at, formatting.datetime(at, organization.tzinfo, "short")),
                         Cell(a.kind, a.get_kind_display()), Cell(a.scale, a.scale),
                         Cell(agent, agent or formatting.EMPTY), Cell(a.comment, a.comment)],
                   cells=[Cell(a.score, formatting.number(a.score))])

