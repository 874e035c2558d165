"""What a report page shows, read from its URL: the range (a preset or from–to), the time
grouping, one filter, the comparison. The parameters are those of ``GET /api/v1/metrics/``
(from, to, group_by, agent, team, channel, tag, compare) plus ``preset``, so a link reproduces
the view and the API answers the same question.

Bad input never fails the page: each bad parameter gives a message shown on the page and its
default is used instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from reports.metrics.base import TIME_BREAKDOWNS
from reports.metrics.service import DateRange, MetricsQueryError, check_range

FILTER_DIMENSIONS = ("team", "agent", "channel", "tag")

PRESETS = {
    "today": _lazy("Today"),
    "yesterday": _lazy("Yesterday"),
    "last_7_days": _lazy("Last 7 days"),
    "last_30_days": _lazy("Last 30 days"),
    "last_90_days": _lazy("Last 90 days"),
    "this_week": _lazy("This week"),
    "last_week": _lazy("Last week"),
    "this_month": _lazy("This month"),
    "last_month": _lazy("Last month"),
    "this_quarter": _lazy("This quarter"),
    "last_quarter": _lazy("Last quarter"),
    "this_year": _lazy("This year"),
    "last_year": _lazy("Last year"),
    "custom": _lazy("Custom range"),
}
DEFAULT_PRESET = "last_30_days"
GROUP_BY_LABELS = {"hour": _lazy("Hour"), "day": _lazy("Day"), "week": _lazy("Week"), "month": _lazy("Month")}

BAD_DATE = _lazy("“{value}” is not a date (YYYY-MM-DD); showing {preset} instead.")
BAD_PRESET = _lazy("Unknown range “{value}”; showing {preset} instead.")
BAD_GROUP_BY = _lazy("Unknown grouping “{value}”; grouping by {group_by} instead.")
BAD_RANGE = _lazy("{error} Showing {preset} instead.")
ONE_FILTER_HELP = _lazy(
    "Filter by one of team, agent, channel or tag at a time: the figures are counted per dimension, so "
    "two filters (or a filter and a breakdown by another dimension) cannot be combined.")


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_before(day: dt.date) -> dt.date:
    """The 1st of the month before ``day``'s month."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def preset_range(preset: str, *, today: dt.date, week_start_day: int) -> tuple[dt.date, dt.date]:
    """The local days a preset covers, ``today`` included where the preset runs to today."""
    one = dt.timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - one, today - one
    if preset in ("last_7_days", "last_30_days", "last_90_days"):
        days = int(preset.split("_")[1])
        return today - dt.timedelta(days=days - 1), today
    if preset in ("this_week", "last_week"):
        start = today - dt.timedelta(days=(today.weekday() - week_start_day) % 7)
        if preset == "this_week":
            return start, today
        return start - dt.timedelta(days=7), start - one
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        start = _month_before(today)
        return start, today.replace(day=1) - one
    if preset in ("this_quarter", "last_quarter"):
        start = _quarter_start(today)
        if preset == "this_quarter":
            return start, today
        return _quarter_start(start - one), start - one
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    raise ValueError(f"unknown preset {preset!r}")


def default_group_by(rng: DateRange) -> str:
    """Hours for one day, days up to a quarter, weeks up to a year and a half, then months."""
    if rng.days <= 1:
        return "hour"
    if rng.days <= 92:
        return "day"
    if rng.days <= 550:
        return "week"
    return "month"


@dataclass(frozen=True)
class ReportQuery:
    """One page's question: local days first..last, the time grouping of its trend tables, at
    most one filter value per dimension (the service takes one dimension at a time), comparison."""

    preset: str
    first: dt.date
    last: dt.date
    group_by: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    compare: bool = True
    group_by_given: bool = False

    @property
    def range(self) -> DateRange:
        return DateRange(self.first, self.last)

    @property
    def previous(self) -> DateRange:
        return self.range.previous()

    @property
    def active_filters(self) -> dict[str, list[str]]:
        return {d: v for d, v in self.filters.items() if v}

    def api_params(self) -> dict[str, object]:
        """The ``GET /api/v1/metrics/`` parameters of this question (metrics aside)."""
        params: dict[str, object] = {"from": self.first.isoformat(), "to": self.last.isoformat(),
                                     "group_by": self.group_by, "compare": "previous" if self.compare else "none"}
        params.update({d: list(v) for d, v in self.active_filters.items()})
        return params

    def url_params(self, **overrides) -> list[tuple[str, str]]:
        """This view's URL parameters (a preset instead of dates unless custom), with overrides;
        an override of None drops the parameter."""
        params: dict[str, object] = {"preset": self.preset}
        if self.preset == "custom":
            params.update({"from": self.first.isoformat(), "to": self.last.isoformat()})
        if self.group_by_given:
            params["group_by"] = self.group_by
        params.update({d: v[0] for d, v in self.active_filters.items()})
        if not self.compare:
            params["compare"] = "none"
        params.update(overrides)
        return [(k, str(v)) for k, v in params.items() if v is not None]

    def querystring(self, **overrides) -> str:
        return urlencode(self.url_params(**overrides))

    def with_filters(self, filters: dict[str, list[str]]) -> ReportQuery:
        return replace(self, filters=filters)


def local_today(organization) -> dt.date:
    return timezone.now().astimezone(organization.tzinfo).date()


def parse_query(data, *, organization, today: dt.date | None = None) -> tuple[ReportQuery, list[str]]:
    """The ReportQuery of a request's GET parameters, and the messages about any it could not use."""
    today = today or local_today(organization)
    messages: list[str] = []
    default_label = PRESETS[DEFAULT_PRESET]

    preset = data.get("preset") or ""
    raw_from, raw_to = data.get("from") or "", data.get("to") or ""
    if not preset:
        preset = "custom" if raw_from or raw_to else DEFAULT_PRESET
    if preset not in PRESETS:
        messages.append(str(BAD_PRESET).format(value=preset[:40], preset=default_label))
        preset = DEFAULT_PRESET
    first = last = None
    if preset == "custom":
        try:
            first = dt.date.fromisoformat(raw_from) if raw_from else None
            last = dt.date.fromisoformat(raw_to) if raw_to else None
        except ValueError:
            bad = raw_from if not _is_date(raw_from) else raw_to
            messages.append(str(BAD_DATE).format(value=bad[:40], preset=default_label))
            preset, first, last = DEFAULT_PRESET, None, None
        else:
            # One side given: a one-day range on it; the other side defaults to today.
            first, last = first or last or today, last or today
            try:
                check_range(first, last)
            except MetricsQueryError as exc:
                messages.append(str(BAD_RANGE).format(error=str(exc), preset=default_label))
                preset, first, last = DEFAULT_PRESET, None, None
    if preset != "custom":
        first, last = preset_range(preset, today=today, week_start_day=organization.week_start)

    rng = DateRange(first, last)
    raw_group = data.get("group_by") or ""
    group_by, group_given = default_group_by(rng), False
    if raw_group:
        if raw_group in TIME_BREAKDOWNS:
            group_by, group_given = raw_group, True
        else:
            messages.append(str(BAD_GROUP_BY).format(value=raw_group[:40], group_by=GROUP_BY_LABELS[group_by]))

    filters = {d: [data.get(d)] for d in FILTER_DIMENSIONS if data.get(d)}
    compare = data.get("compare", "previous") != "none"
    return ReportQuery(preset=preset, first=first, last=last, group_by=group_by, filters=filters,
                       compare=compare, group_by_given=group_given), messages


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True

