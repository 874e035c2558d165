"""What the drill-down count tests share: every figure that links to a list (reports.drilldown.links
FIGURES), the number of compute()'s result that list must count, and the list's count for a
drilldown_url."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

from reports.drilldown import selectors
from reports.drilldown.links import FIGURES, drilldown_url
from reports.metrics import REGISTRY, compute

SLA_OF = {"first_response_time": "chat_first_response", "wait_time": "chat_wait",
          "ticket_first_response_time": "ticket_first_response", "resolution_time": "ticket_resolution"}
SURVEY_METRICS = ("csat", "nps", "ces")
ALL_METRICS = sorted({metric for metric, _figure in FIGURES} | {"sla_compliance"})


def figure_count(metrics: dict, metric: str, figure: str) -> int:
    """The count a figure's list must have: a count's value, a duration's or survey score's n, a
    ratio's counted numerator, an SLA measure's breaches."""
    result = metrics[metric]
    if figure == "above_target":
        figure, metric, result = f"measures.{SLA_OF[metric]}.breached", "sla_compliance", metrics["sla_compliance"]
    if figure.startswith("measures."):
        _, name, field = figure.split(".")
        return next(m for m in result["measures"] if m["measure"] == name)[field]
    unit = REGISTRY[metric].unit
    if figure in ("value", "avg"):
        if unit == "seconds" or metric in SURVEY_METRICS:
            return result["n"]
        if unit == "percent":
            return result["count"]
        return result["value"]
    value = result
    for key in figure.split("."):
        value = value[key]
    return value


def list_count(organization, url: str) -> int:
    """The count of the list a drilldown_url names (the view's own parsing and selector)."""
    params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    query = selectors.list_query(
        measure=params["measure"], first=dt.date.fromisoformat(params["from"]), last=dt.date.fromisoformat(params["to"]),
        filters={d: params.get(d, "") for d in (*selectors.FILTER_DIMENSIONS, *selectors.SURVEY_DIMENSIONS)},
        options={k: params.get(k, "") for k in ("reason", "priority", "scale")}, above=params.get("above"))
    if query.measure.id == "ces_answers" and not query.options.get("scale"):
        scale = selectors.ces_headline_scale(organization=organization, query=query)
        query = selectors.ListQuery(query.measure, query.first, query.last, query.filters, {"scale": scale})
    return selectors.rows(organization=organization, query=query, ordered=False).count()


def check_all_figures(organization, first: dt.date, last: dt.date, filters: dict[str, str], *, count=list_count):
    """Every linked figure's list count equals compute()'s figure for this range and filter;
    returns the number of figures checked. ``count(organization, url)`` counts a list."""
    survey_only = any(d in filters for d in selectors.SURVEY_DIMENSIONS)
    metric_ids = list(SURVEY_METRICS) if survey_only else ALL_METRICS
    result = compute(organization=organization, metric_ids=metric_ids, first=first, last=last,
                     filters={d: [v] for d, v in filters.items()}, compare=False)["metrics"]
    query = {"from": first.isoformat(), "to": last.isoformat(), **filters}
    checked, mismatches = 0, []
    for metric, figure in FIGURES:
        if metric not in metric_ids:
            continue
        url = drilldown_url(organization=organization, metric_id=metric, query=query, figure=figure)
        assert url is not None, (metric, figure, filters)
        want, got = figure_count(result, metric, figure), count(organization, url)
        if want != got:
            mismatches.append((metric, figure, want, got))
        checked += 1
    assert not mismatches, f"{organization.timezone} {first}..{last} {filters}: (metric, figure, compute, list) {mismatches}"
    return checked
