"""The building blocks a report page is declared with (reports.pages.catalogue declares the
pages). Everything is a metric id of the registry plus, where a figure is not the metric's
``value``, the field of its result (``"p50"``, ``"missed_rate"``, ``"csat_correlation.r"``).

A newcomer adds a card with one line: ``Figure("transfer_rate")`` in a page's ``cards``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports.metrics.base import (
    REGISTRY,
    UNIT_COUNT,
    UNIT_PERCENT,
    UNIT_RATIO,
    UNIT_SCORE,
    UNIT_SECONDS,
)

TIME = "time"  # a table grouped by the page's time grouping (hour, day, week or month)

# The fields every duration metric has (reports.metrics.base.duration): their unit is the metric's.
DURATION_FIELDS = {"avg": _("average"), "p50": _("median"), "p90": _("p90")}
# Decimals a unit is rounded to, on the page and in exports alike (half up, reports.formatting).
UNIT_DIGITS = {UNIT_COUNT: 0, UNIT_PERCENT: 1, UNIT_SECONDS: 1, UNIT_SCORE: 2, UNIT_RATIO: 2, "per_hour": 2, "money": 2}


@dataclass(frozen=True)
class Figure:
    """One number of one metric: ``metric``'s ``field`` (a dotted path into its result).

    ``label``, ``unit`` and ``higher_is_better`` default to the registry's for ``value`` and the
    duration fields; any other field must say its unit."""

    metric: str
    field: str = "value"
    label: str | Promise | None = None
    unit: str | None = None
    higher_is_better: bool | None | str = "registry"

    def __post_init__(self):
        if self.metric not in REGISTRY:
            raise ValueError(f"unknown metric {self.metric!r}")
        if self.unit is None and self.field not in ("value", *DURATION_FIELDS):
            raise ValueError(f"{self.id}: say the unit of field {self.field!r}")

    @property
    def definition(self):
        return REGISTRY[self.metric]

    @property
    def id(self) -> str:
        """The stable id shown in export headers: the metric id, or ``metric.field``."""
        return self.metric if self.field == "value" else f"{self.metric}.{self.field}"

    @property
    def header(self) -> str:
        if self.label is not None:
            return str(self.label)
        label = str(self.definition.label)
        if self.field in DURATION_FIELDS:
            return f"{label} ({DURATION_FIELDS[self.field]})"
        return label

    @property
    def value_unit(self) -> str:
        return self.unit or self.definition.unit

    @property
    def digits(self) -> int | None:
        return UNIT_DIGITS.get(self.value_unit)

    @property
    def better_when_higher(self) -> bool | None:
        if self.higher_is_better == "registry":
            return self.definition.higher_is_better
        return self.higher_is_better

    @property
    def formula(self) -> str:
        return str(self.definition.help)

    @property
    def drills_down(self) -> bool:
        """Counts and times link to the conversations behind them."""
        return self.value_unit in (UNIT_COUNT, UNIT_SECONDS)


@dataclass(frozen=True)
class Chart:
    """A chart drawn from some columns of its table (the table is its text alternative)."""

    id: str
    title: str | Promise
    columns: tuple[str, ...]  # Figure ids of the table's columns
    kind: str = "line"        # "line" or "bar"


@dataclass(frozen=True)
class Table:
    """Rows from ``compute(..., group_by=by)``: the page's time grouping (TIME) or a dimension."""

    id: str
    title: str | Promise
    by: str
    columns: tuple[Figure, ...]
    charts: tuple[Chart, ...] = ()
    compare: bool = False     # time tables: the previous period's value beside each figure
    sortable: bool = False    # ?sort=<figure id>&order=asc|desc
    median: bool = False      # a median row over the rows (the agents' "team median")
    link_rows: str | None = None  # "agent": each row links to its agent page; "filter": filters the page by it
    note: str | Promise | None = None
    chart_open: bool = True   # False: the table is shown, no chart
    # Tag tables: rows under their tag's category (a heading row per category; the category is a
    # key column of the export). No category total: a chat with two tags of one category would
    # count twice, and snapshots have no category grain.
    by_category: bool = False

    def column(self, figure_id: str) -> Figure:
        return next(c for c in self.columns if c.id == figure_id)


@dataclass(frozen=True)
class MetricRows:
    """One row per figure of the range totals, one column per field: e.g. the durations with
    their average, median and p90."""

    id: str
    title: str | Promise
    metrics: tuple[str, ...]
    fields: tuple[tuple[str, str | Promise, str | None], ...]  # (field, header, unit: None = the metric's)
    note: str | Promise | None = None


@dataclass(frozen=True)
class Detail:
    """The parts of one metric's range total: ``path`` leads to a mapping ``{key: number}`` (one
    column, ``columns`` empty) or a list of dicts keyed by ``key_field``; ``rows`` names and
    orders the keys (None: as given). ``{csat_scale}`` in ``path`` is the organization's CSAT
    scale (e.g. ``"distribution.{csat_scale}"``)."""

    id: str
    title: str | Promise
    metric: str
    path: str
    rows: tuple[tuple[str, str | Promise], ...] | None = None
    columns: tuple[tuple[str | None, str | Promise, str], ...] = ()  # (field, header, unit)
    key_field: str | None = None
    key_header: str | Promise = _("Part")
    chart: str | None = None  # "bar": a bar chart of the first column
    note: str | Promise | None = None


@dataclass(frozen=True)
class Heatmap:
    """``traffic_heatmap``: chats and tickets by hour × weekday in the organization's time zone."""

    id: str = "heatmap"
    title: str | Promise = _("Traffic by hour and weekday")
    metric: str = "traffic_heatmap"
    # With ``staffing_forecast``: agents needed for the wait-time target in each hour, beside the
    # agents online then (a second grid, and two more export columns).
    staffing: bool = False


@dataclass(frozen=True)
class Breaches:
    """The SLA breach list of one measure (reports.breaches), paginated."""

    id: str = "breaches"
    title: str | Promise = _("Breaches")
    page_size: int = 25


@dataclass(frozen=True)
class Comments:
    """The latest survey comments in the range, paginated."""

    id: str = "comments"
    title: str | Promise = _("Latest comments")
    page_size: int = 10


Section = Table | MetricRows | Detail | Heatmap | Breaches | Comments


@dataclass(frozen=True)
class Page:
    id: str
    url_name: str
    title: str | Promise
    cards: tuple[Figure, ...]
    sections: tuple[Section, ...] = ()
    intro: str | Promise | None = None
    nav_label: str | Promise | None = None
    filters: tuple[str, ...] = ("team", "agent", "channel", "tag")
    medians: bool = False  # cards show the median of the agent's team (the agent page)
    extra: dict = field(default_factory=dict)

    def section(self, section_id: str):
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(s for s in self.sections if isinstance(s, Table))
