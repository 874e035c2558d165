"""Tickets: volume and backlog, response and resolution times, reopens."""

from django.utils.translation import gettext_lazy as _

from reports.components import PRIORITIES
from reports.metrics.base import (
    UNIT_COUNT,
    UNIT_PERCENT,
    UNIT_SECONDS,
    Totals,
    business_duration,
    count,
    divide,
    duration,
    metric,
    percent,
    ratio,
)

FAMILY = "tickets"


@metric("tickets_total", label=_("Total tickets"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=None,
        needs=("backlog",),
        help=_("Tickets created in the range, by priority. Backlog = tickets created and not resolved at the "
               "end of the range's last day (all tickets created up to then minus all resolved up to then). "
               "Also tickets resolved in the range, and calls resolved (those of the phone channel)."))
def tickets_total(t: Totals) -> dict:
    return count(t, "tickets_created", resolved=int(t["tickets_resolved"]), backlog=t.extra.get("backlog"),
                 by_priority={p: int(t[f"tickets_{p}"]) for p in PRIORITIES},
                 calls_resolved=int(t["calls_resolved"]))


def by_priority(t: Totals, name: str) -> dict:
    """{priority: {avg, n}} of a ticket duration (its per-priority sum and n components)."""
    return {p: {"avg": divide(t[f"{name}_{p}_sum"], t[f"{name}_{p}_n"]), "n": int(t[f"{name}_{p}_n"])}
            for p in PRIORITIES}


@metric("ticket_first_response_time", label=_("Ticket first response time"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("ticket_first_response_time", "ticket_first_response_time_business"),
        help=_("first_response_at − created_at, averaged over tickets created in the range that received a "
               "response (not divided by resolved tickets, as one source does). Within SLA = share that met "
               "the first-response target of their priority. Also the average per priority."))
def ticket_first_response_time(t: Totals) -> dict:
    return duration(t, "ticket_first_response_time",
                    within_target=percent(t["ticket_frt_within_target"], t["ticket_first_response_time_n"]),
                    business_hours=business_duration(t, "ticket_first_response_time_business"),
                    by_priority=by_priority(t, "ticket_first_response_time"))


@metric("resolution_time", label=_("Resolution time (MTTR)"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("resolution_time", "resolution_time_business"),
        help=_("resolved_at − created_at of tickets resolved in the range, including every follow-up. "
               "Also the average per priority."))
def resolution_time(t: Totals) -> dict:
    return duration(t, "resolution_time", within_target=percent(t["resolution_within_target"], t["resolution_time_n"]),
                    business_hours=business_duration(t, "resolution_time_business"),
                    by_priority=by_priority(t, "resolution_time"))


@metric("complaint_resolution_time", label=_("Complaint resolution time"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("complaint_resolution_time",),
        help=_("For complaints (tickets flagged as complaint) from filing, and for escalated tickets from the "
               "escalation, to resolution. Example: filed Monday, resolved Wednesday = 2 days."))
def complaint_resolution_time(t: Totals) -> dict:
    result = duration(t, "complaint_resolution_time")
    result["avg_days"] = None if result["avg"] is None else result["avg"] / 86400
    return result


@metric("reopen_rate", label=_("Reopened tickets"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=False,
        help=_("Resolved tickets reopened at least once ÷ resolved tickets."))
def reopen_rate(t: Totals) -> dict:
    return ratio(t, "tickets_reopened", "tickets_resolved")
