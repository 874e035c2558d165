"""The list behind ``sla_compliance``'s ``breached`` counts (METRICS.md: "list of breaches").

:func:`sla_breaches` selects, for one SLA measure and a range of the organization's local days,
the chats or tickets that breached, by the snapshot builder's own rules (reports.builders):

- the same value: the builder's seconds expression (``Dialect.seconds``) of the same two
  timestamps, and the same "has a value" condition;
- the same target: the builder's CASE (``reports.sla.target_case_sql`` over ``targets_for``),
  so the most specific (channel, priority) target wins and the defaults apply when the
  organization set none;
- the same clock: where the winning target counts business hours, the value is the business
  seconds between the two timestamps (``reports.business_hours.business_seconds_sql``, the
  builder's expression; calendar seconds while the organization has no schedule);
- the same day placement: chats by ``requested_at``, ticket first response by ``created_at``,
  ticket resolution by ``resolved_at``, within the UTC bounds of the local days
  (``reports.builders.local_midnight``, DST-correct);
- the same dimensions: the agent, the team (the conversation's, else its agent's) and the
  channel the builder groups by.

A row breaches when it has a value that is not within its target: ``value > target``, or no
target applies (the builder's ``value <= NULL`` is not met either). So for any range and a
single filter, the rows listed equal ``breached`` of ``compute(..., ["sla_compliance"])`` for
that measure. One set-based query, always scoped by the organization.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Func, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Organization
from chats.models import Chat, Priority, Ticket
from reports.builders import Dialect, local_midnight
from reports.business_hours import business_seconds_sql, ensure_materialised
from reports.metrics.operations import SLA_MEASURES
from reports.metrics.service import (
    UNKNOWN_FILTER_VALUE,
    DateRange,
    MetricsQueryError,
    check_range,
    resolve_filter,
)
from reports.models import SlaMetric
from reports.sla import measured_sql, target_business_sql, target_case_sql, targets_for

UNKNOWN_MEASURE = "Unknown measure “{value}”: use one of {choices}."
NO_PRIORITY = "Only ticket measures have a priority; “{measure}” is a chat measure."
FILTERS = ("agent", "team", "channel", "priority")


@dataclass(frozen=True)
class Measure:
    """One SLA measure as the builder computes it: ``end - start`` seconds of the rows that
    ``has_value``, placed on the local day of ``timestamp``."""

    model: type[models.Model]
    kind: str                 # "chat" or "ticket"
    timestamp: str
    start: str
    end: str
    has_value: Q
    has_priority: bool        # whether targets may select by priority (tickets only)


# The builder's sources: chat_source ("frt", "wait"), ticket_created_source ("frt") and
# ticket_resolved_source ("res"; every ticket resolved in the range has a value).
MEASURES: dict[str, Measure] = {
    SlaMetric.CHAT_FIRST_RESPONSE: Measure(
        Chat, "chat", "requested_at", "requested_at", "first_response_at",
        Q(accepted_at__isnull=False, first_response_at__isnull=False), False),
    SlaMetric.CHAT_WAIT: Measure(
        Chat, "chat", "requested_at", "requested_at", "accepted_at", Q(accepted_at__isnull=False), False),
    SlaMetric.TICKET_FIRST_RESPONSE: Measure(
        Ticket, "ticket", "created_at", "created_at", "first_response_at", Q(first_response_at__isnull=False), True),
    SlaMetric.TICKET_RESOLUTION: Measure(
        Ticket, "ticket", "resolved_at", "created_at", "resolved_at", Q(resolved_at__isnull=False), True),
}
# The same ids, in the same order, as sla_compliance's measures.
MEASURE_IDS = tuple(name for name, _met, _n in SLA_MEASURES)
assert set(MEASURE_IDS) == set(MEASURES), "reports.breaches.MEASURES must follow SLA_MEASURES"


class Seconds(Func):
    """``later - earlier`` in seconds, spelled exactly as the builder spells it."""

    output_field = models.FloatField()

    def __init__(self, later: str, earlier: str):
        super().__init__(F(later), F(earlier))

    def as_sql(self, compiler, connection, **extra_context):
        (later, later_params), (earlier, earlier_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return Dialect(connection).seconds(later, earlier), [*later_params, *earlier_params]


class MeasuredSeconds(Func):
    """The value the row's SLA compares, as the builder's sources spell it: calendar seconds
    from ``earlier`` to ``later``, or their business seconds where the row's winning target
    counts business hours (``reports.sla.measured_sql``)."""

    output_field = models.FloatField()

    def __init__(self, later: str, earlier: str, targets, *, priority: bool, organization_id: int | None):
        self.targets = targets
        self.has_priority = priority
        self.organization_id = organization_id  # None: no schedule, calendar time only
        super().__init__(F(later), F(earlier), F("channel"), *([F("priority")] if priority else []))

    def as_sql(self, compiler, connection, **extra_context):
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError("measured columns must not carry parameters")
            columns.append(sql)
        d = Dialect(connection)
        later, earlier = columns[0], columns[1]
        calendar = d.seconds(later, earlier)
        if self.organization_id is None:
            return calendar, []
        flag, params = target_business_sql(self.targets, channel=columns[2],
                                           priority=columns[3] if self.has_priority else None)
        if not params:  # no business-hours target
            return calendar, []
        return measured_sql(calendar, business_seconds_sql(d, self.organization_id, later, earlier), flag), params


class TargetSeconds(Func):
    """The builder's target CASE (``target_case_sql``) over the row's channel and priority
    columns; NULL when no target applies."""

    output_field = models.IntegerField()

    def __init__(self, targets, *, priority: bool):
        self.targets = targets
        self.has_priority = priority
        super().__init__(F("channel"), *([F("priority")] if priority else []))

    def as_sql(self, compiler, connection, **extra_context):
        columns = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:  # plain columns; target_case_sql places its own parameters
                raise ValueError("target columns must not carry parameters")
            columns.append(sql)
        return target_case_sql(self.targets, channel=columns[0],
                               priority=columns[1] if self.has_priority else None)


def _utc_bounds(rng: DateRange, tz) -> tuple[dt.datetime | None, dt.datetime | None]:
    """UTC start of the first local day and of the day after the last (None: unbounded, where
    the calendar ends before the local day does)."""
    try:
        start = local_midnight(rng.first, tz)
    except OverflowError:
        start = None
    try:
        end = local_midnight(rng.last + dt.timedelta(days=1), tz)
    except OverflowError:
        end = None
    return start, end


def _resolve_priorities(values: list[str]) -> list[str]:
    values = [v for v in dict.fromkeys(values) if v != ""]
    for value in values:
        if value not in Priority.values:
            raise MetricsQueryError(UNKNOWN_FILTER_VALUE.format(dimension="priority", value=value), field="priority")
    return values


def sla_breaches(
    *, organization: Organization, measure: str, first: dt.date, last: dt.date,
    filters: dict[str, list[str]] | None = None,
) -> models.QuerySet:
    """The conversations that breached ``measure`` on the local days first..last (inclusive).

    ``filters``: ``agent`` / ``team`` (external ids or names, as the metrics filters),
    ``channel``, ``priority`` (ticket measures only); several values of one filter are OR-ed,
    several filters AND-ed. Raises MetricsQueryError for a question that cannot be answered.

    Returns an unordered queryset of Chat or Ticket rows of the organization, annotated with
    ``measure``, ``at`` (the instant that places the row on its local day), ``actual_seconds``,
    ``target_seconds`` (None when no target applies), ``over_seconds`` (None likewise),
    ``agent_external_id``, ``agent_name``, ``team_external_id``, ``team_name`` and
    ``row_priority`` (None for chats).
    """
    spec = MEASURES.get(measure)
    if spec is None:
        raise MetricsQueryError(
            _(UNKNOWN_MEASURE).format(value=measure, choices=", ".join(MEASURE_IDS)), field="measure")
    rng = check_range(first, last)
    filters = {name: values for name, values in (filters or {}).items() if values}
    for name in filters:
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
    if filters.get("priority") and not spec.has_priority:
        raise MetricsQueryError(_(NO_PRIORITY).format(measure=measure), field="priority")

    qs = spec.model.objects.for_org(organization).filter(spec.has_value)
    start, end = _utc_bounds(rng, organization.tzinfo)
    if start is not None:
        qs = qs.filter(**{f"{spec.timestamp}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{spec.timestamp}__lt": end})

    # The builder's dimensions: agent_id; COALESCE(team_id, the agent's team_id); channel.
    qs = qs.annotate(breach_team_id=Coalesce(F("team_id"), F("agent__team_id")))
    for name, values in filters.items():
        if name == "priority":
            qs = qs.filter(priority__in=_resolve_priorities(values))
            continue
        resolved = resolve_filter(organization, name, values)
        field = {"agent": "agent_id", "team": "breach_team_id", "channel": "channel"}[name]
        qs = qs.filter(**{f"{field}__in": resolved})

    targets = targets_for(organization=organization)[measure]
    schedule = organization.pk if ensure_materialised(organization) else None
    qs = qs.annotate(
        measure=Value(measure, output_field=models.CharField()),
        at=F(spec.timestamp),
        actual_seconds=MeasuredSeconds(spec.end, spec.start, targets, priority=spec.has_priority,
                                       organization_id=schedule),
        target_seconds=TargetSeconds(targets, priority=spec.has_priority),
    ).filter(Q(target_seconds__isnull=True) | Q(actual_seconds__gt=F("target_seconds")))
    return qs.annotate(
        over_seconds=ExpressionWrapper(F("actual_seconds") - F("target_seconds"), output_field=models.FloatField()),
        agent_external_id=F("agent__external_id"),
        agent_name=F("agent__name"),
        team_external_id=Case(When(team__isnull=False, then=F("team__external_id")),
                              default=F("agent__team__external_id")),
        team_name=Case(When(team__isnull=False, then=F("team__name")), default=F("agent__team__name")),
        row_priority=F("priority") if spec.has_priority else Value(None, output_field=models.CharField()),
    )
