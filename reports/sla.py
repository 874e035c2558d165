"""SLA targets: the organization's own, else sensible defaults (calendar hours).

A target measures calendar time or, with ``business_hours``, the organization's business hours
(reports.business_hours): the builder's sources give each row its target (``target_case_sql``)
and whether that target counts business hours (``target_business_sql``, the same CASE), and
compare the matching measure (``measured_sql``). Targets are edited through
``reports.sla_targets``, which marks the days whose snapshots a change can move.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Organization
from reports.models import SlaMetric, SlaTarget

HOUR = 3600
# Used for a measure the organization has not set any target for, and for the conversations none
# of its own targets match.
DEFAULT_TARGETS: dict[str, list[tuple[str, str, int]]] = {
    SlaMetric.CHAT_FIRST_RESPONSE: [("", "", 60)],
    SlaMetric.CHAT_WAIT: [("", "", 60)],
    SlaMetric.TICKET_FIRST_RESPONSE: [
        ("", "urgent", 1 * HOUR), ("", "high", 4 * HOUR), ("", "normal", 8 * HOUR), ("", "low", 24 * HOUR),
    ],
    SlaMetric.TICKET_RESOLUTION: [
        ("", "urgent", 4 * HOUR), ("", "high", 24 * HOUR), ("", "normal", 72 * HOUR), ("", "low", 168 * HOUR),
    ],
}


@dataclass(frozen=True)
class Target:
    channel: str
    priority: str
    seconds: int
    business_hours: bool = False

    @property
    def specificity(self) -> int:
        return (2 if self.channel else 0) + (1 if self.priority else 0)


def targets_for(*, organization: Organization) -> dict[str, list[Target]]:
    stored: dict[str, list[Target]] = {}
    for t in SlaTarget.objects.for_org(organization):
        stored.setdefault(t.metric, []).append(Target(t.channel, t.priority, t.target_seconds, t.business_hours))
    result = {}
    for metric in SlaMetric.values:
        # The organization's targets, most specific first; a row none of them matches falls back
        # to the defaults, so every measured conversation has a target.
        defaults = [Target(*row) for row in DEFAULT_TARGETS[metric]]
        result[metric] = [*sorted(stored.get(metric, []), key=lambda t: -t.specificity),
                          *sorted(defaults, key=lambda t: -t.specificity)]
    return result


def target_case_sql(targets: list[Target], *, channel: str | None, priority: str | None,
                    value=lambda t: t.seconds) -> tuple[str, list]:
    """A SQL CASE giving each row its target in seconds (NULL: no target applies), or another
    ``value`` of the target that wins.

    `channel` and `priority` are the SQL expressions of the row's channel and priority (None
    when the source has none); the most specific matching target wins.
    """
    whens, params = [], []
    for t in targets:
        conds = []
        if t.channel:
            if channel is None:
                continue
            conds.append(f"{channel} = %s")
            params.append(t.channel)
        if t.priority:
            if priority is None:
                continue
            conds.append(f"{priority} = %s")
            params.append(t.priority)
        whens.append(f"WHEN {' AND '.join(conds) or '1 = 1'} THEN %s")
        params.append(value(t))
    if not whens:
        return "NULL", []
    return f"(CASE {' '.join(whens)} ELSE NULL END)", params


def target_business_sql(targets: list[Target], *, channel: str | None, priority: str | None) -> tuple[str, list]:
    """1 where the row's winning target counts business hours, else 0 (the same CASE as
    ``target_case_sql``); a constant 0 when no target does."""
    if not any(t.business_hours for t in targets):
        return "0", []
    case, params = target_case_sql(targets, channel=channel, priority=priority,
                                   value=lambda t: 1 if t.business_hours else 0)
    return f"COALESCE({case}, 0)", params


def measured_sql(calendar: str, business: str, flag: str) -> str:
    """The value a row's SLA compares: its business-hours value where its target counts
    business hours and it has one (an organization without a schedule has none: calendar time)."""
    return f"(CASE WHEN {flag} = 1 AND {business} IS NOT NULL THEN {business} ELSE {calendar} END)"
