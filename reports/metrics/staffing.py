"""Staffing forecast: agents needed per hour of the week to meet the wait-time target (Erlang C),
beside the agents actually online in that hour."""

from __future__ import annotations

import math

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import UNIT_COUNT, Totals, divide, metric

FAMILY = "operations"

# The share of chats to be answered within the wait-time target. The organization has no setting
# for it yet (issue 11 item 11); the target itself is its chat-wait SLA target.
SERVICE_LEVEL = 0.8
# The hour-of-week sums the forecast reads (reports.metrics.service.staffing).
COMPONENTS = ("chats_total", "handle_time_sum", "handle_time_n", "chat_duration_sum", "busy_seconds",
              "online_seconds")
MAX_AGENTS = 10_000  # a bound on the search, far above any real queue


def erlang_c(agents: int, load: float) -> float:
    """The probability that a contact waits (Erlang C) with ``agents`` servers and an offered
    ``load`` in Erlangs, from the Erlang B recursion (numerically stable for large ``agents``):
    B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)), C = N·B / (N − A·(1 − B)). 1 when agents <= load."""
    if agents <= load:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, handle_seconds: float, target_seconds: float) -> float:
    """The share of contacts answered within ``target_seconds``: 1 − C · e^(−(N − A)·T / AHT)."""
    if agents <= load:
        return 0.0
    return 1 - erlang_c(agents, load) * math.exp(-(agents - load) * target_seconds / handle_seconds)


def agents_needed(arrivals_per_hour: float, handle_seconds: float, target_seconds: float, level: float,
                  concurrency: float = 1.0) -> int:
    """The fewest agents meeting ``level`` within ``target_seconds``. An agent taking
    ``concurrency`` chats at once serves like that many single-chat agents, each chat keeping it
    ``handle_seconds`` ÷ concurrency on average: the load and handle time are scaled by it. Never
    below the offered load (N > A), 0 without arrivals."""
    if arrivals_per_hour <= 0 or handle_seconds <= 0:
        return 0
    concurrency = max(1.0, concurrency)
    effective = handle_seconds / concurrency
    load = arrivals_per_hour * effective / 3600
    agents = math.floor(load) + 1
    while agents < MAX_AGENTS and service_level(agents, load, effective, target_seconds) < level:
        agents += 1
    return agents


@metric("staffing_forecast", label=_("Staffing forecast"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=None,
        needs=("staffing",), breakdowns=(),
        help=_("For each hour of the week (organization's time zone, weekday 0 = Monday): the agents needed to "
               "answer the share of chats of the service level (80%) within the wait-time target (the chat-wait "
               "SLA target), by Erlang C from that hour's arrival rate over the range (its chats ÷ the times the "
               "hour occurs) and the range's average handle time, divided by the measured concurrency (chat "
               "time ÷ busy time) when agents take several chats; beside the agents online then (online hours ÷ "
               "the times the hour occurs). The value is the week's peak of agents needed."))
def staffing_forecast(t: Totals) -> dict:
    data = t.extra.get("staffing") or {}
    cells, weekdays = data.get("cells", {}), data.get("weekdays", [0] * 7)
    totals = {c: sum(cell.get(c, 0) for cell in cells.values()) for c in COMPONENTS}
    handle = divide(totals["handle_time_sum"], totals["handle_time_n"])
    concurrency = divide(totals["chat_duration_sum"], totals["busy_seconds"]) or 1.0
    target, level = data.get("wait_target"), data.get("service_level", SERVICE_LEVEL)
    hours = []
    for weekday in range(7):
        for hour in range(24):
            cell, times = cells.get((weekday, hour), {}), weekdays[weekday]
            rate = divide(cell.get("chats_total", 0), times)
            needed = agents_needed(rate, handle, target, level, concurrency) if rate and handle else 0
            load = rate * handle / 3600 / max(1.0, concurrency) if rate and handle else 0.0
            hours.append({"weekday": weekday, "hour": hour, "arrivals_per_hour": rate, "offered_load": load,
                          "agents_needed": needed, "agents_online": divide(cell.get("online_seconds", 0) / 3600, times)})
    chats = int(totals["chats_total"])
    return {
        "value": max(h["agents_needed"] for h in hours) if handle else None, "n": chats,
        "handle_time": handle, "concurrency": concurrency, "wait_target_seconds": target, "service_level": level,
        "hours": hours,
    }
