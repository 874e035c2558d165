"""Where a figure drills down to: the list of conversations behind it.

``drilldown_url(organization=..., metric_id=..., query=..., figure=...)`` returns the URL of the
chats, tickets, survey answers or canned-response uses list whose count equals the figure
``metric_id``'s ``figure`` (a field of its result: "value", "avg", "n", "count", "resolved",
"backlog", "by_reason.timeout", "above_target", ...) for the report query ``query`` (the
parameters of ``GET /api/v1/metrics/``: from, to, agent, team, channel, tag, segment,
touchpoint; group_by and compare are ignored), or None when no list reproduces it: a
percentile, a sum of seconds, a ratio without a counted numerator, two filter values.

For a duration the list is the rows counted in its ``n`` (``value``, ``avg`` and ``n`` alike);
``above_target`` lists those over their SLA target (the breaches of that SLA measure); a
ratio's ``value`` and ``count`` list its numerator.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.urls import reverse

from chats.models import MissedReason, Priority
from reports.drilldown.selectors import (
    ANSWER,
    CANNED_USE,
    CHAT,
    FILTER_DIMENSIONS,
    MEASURES,
    SURVEY_DIMENSIONS,
    TICKET,
)
from reports.models import SlaMetric

URL_NAMES = {CHAT: "drilldown_chats", TICKET: "drilldown_tickets", ANSWER: "drilldown_answers",
             CANNED_USE: "drilldown_canned_uses"}
DURATION_FIELDS = ("value", "avg", "n")
RATIO_FIELDS = ("value", "count")

# (metric id, figure) -> (measure, extra parameters).
FIGURES: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("chats_total", "value"): ("chats_total", {}),
    ("chats_total", "n"): ("chats_total", {}),
    ("chats_answered", "value"): ("chats_answered", {}),
    ("chats_answered", "n"): ("chats_answered", {}),
    ("chats_missed", "value"): ("chats_missed", {}),
    ("chats_missed", "n"): ("chats_missed", {}),
    **{("chats_missed", f"by_reason.{r}"): ("chats_missed", {"reason": r}) for r in (*MissedReason.values, "other")},
    **{(metric, f): (metric, {}) for metric in ("first_response_time", "wait_time", "chat_duration", "wrap_up_time",
                                                 "handle_time", "ticket_first_response_time", "resolution_time",
                                                 "complaint_resolution_time")
       for f in DURATION_FIELDS},
    ("response_time", "chats"): ("response_time", {}),
    **{(metric, "above_target"): (metric, {"above": "target"})
       for metric in ("first_response_time", "wait_time", "ticket_first_response_time", "resolution_time")},
    **{(metric, f): (measure, {}) for metric, measure in (
        ("transfer_rate", "chats_transferred"), ("chat_outcomes", "chats_resolved"), ("tag_usage", "chats_tagged"),
        ("canned_usage", "chats_with_canned"), ("fcr_rate", "fcr_chats"), ("reopen_rate", "tickets_reopened"),
    ) for f in RATIO_FIELDS},
    ("canned_usage", "uses"): ("canned_uses", {}),
    ("tickets_total", "value"): ("tickets_created", {}),
    ("tickets_total", "n"): ("tickets_created", {}),
    **{("tickets_total", f"by_priority.{p}"): ("tickets_created", {"priority": p}) for p in Priority.values},
    ("tickets_total", "resolved"): ("tickets_resolved", {}),
    ("tickets_total", "backlog"): ("tickets_backlog", {}),
    ("csat", "n"): ("csat_answers", {}),
    ("csat", "value"): ("csat_answers", {}),
    ("csat", "positive"): ("csat_positive", {}),
    ("csat", "negative"): ("csat_negative", {}),
    ("nps", "value"): ("nps_answers", {}),
    ("nps", "n"): ("nps_answers", {}),
    ("ces", "value"): ("ces_answers", {}),
    ("ces", "n"): ("ces_answers", {}),
    ("ces", "by_scale.1-7.n"): ("ces_answers", {"scale": "1-7"}),
    ("ces", "by_scale.1-5.n"): ("ces_answers", {"scale": "1-5"}),
    # sla_compliance's measures: the breaches of one measure are the rows above its target.
    **{("sla_compliance", f"measures.{sla}.breached"): (measure, {"above": "target"}) for sla, measure in (
        (SlaMetric.CHAT_FIRST_RESPONSE, "first_response_time"), (SlaMetric.CHAT_WAIT, "wait_time"),
        (SlaMetric.TICKET_FIRST_RESPONSE, "ticket_first_response_time"),
        (SlaMetric.TICKET_RESOLUTION, "resolution_time"))},
    **{("sla_compliance", f"measures.{sla}.n"): (measure, {}) for sla, measure in (
        (SlaMetric.CHAT_FIRST_RESPONSE, "first_response_time"), (SlaMetric.CHAT_WAIT, "wait_time"),
        (SlaMetric.TICKET_FIRST_RESPONSE, "ticket_first_response_time"),
        (SlaMetric.TICKET_RESOLUTION, "resolution_time"))},
}
# Report query parameters a list takes over as they are.
PASSED = ("from", "to", *FILTER_DIMENSIONS, *SURVEY_DIMENSIONS)


def _one(value) -> str | None:
    """A parameter's single value ('' for none); None when it has several (no list counts a
    figure over two tags as the service does, once per tag)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if not isinstance(value, list | tuple | set | frozenset):
        return str(value)
    values = [str(v) for v in value if v not in (None, "")]
    if len(values) > 1:
        return None
    return values[0] if values else ""


def figure_list(metric_id: str, figure: str = "value") -> tuple[str, dict[str, str]] | None:
    """(measure, extra parameters) of the list behind a figure, or None."""
    return FIGURES.get((metric_id, figure))


def drilldown_url(*, organization, metric_id: str, query: Mapping[str, object], figure: str = "value") -> str | None:
    found = figure_list(metric_id, figure)
    if found is None:
        return None
    measure, extra = found
    spec = MEASURES[measure]
    params: dict[str, str] = {"measure": measure}
    for name in PASSED:
        value = _one(query.get(name))
        if value is None:
            return None
        if value:
            if name in SURVEY_DIMENSIONS and spec.kind != ANSWER:
                return None
            params[name] = value
    if len([d for d in FILTER_DIMENSIONS if d in params]) > 1:
        return None
    params.update(extra)
    url = reverse(URL_NAMES[spec.kind], kwargs={"org_slug": organization.slug})
    return f"{url}?{urlencode(params)}"
