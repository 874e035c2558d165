"""Across channels and hours: channel mix, traffic heatmap, SLA compliance."""

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import UNIT_COUNT, UNIT_PERCENT, Totals, divide, metric, percent

FAMILY = "operations"


@metric("channel_mix", label=_("Service channel preferences"), unit=UNIT_COUNT, family=FAMILY,
        higher_is_better=None, needs=("channels",), breakdowns=("day", "week", "month", "channel"),
        help=_("Share of contacts (chats + tickets) by channel, with response times per channel."))
def channel_mix(t: Totals) -> dict:
    channels: dict[str, Totals] = t.extra.get("channels", {})
    total = sum(c["chats_total"] + c["tickets_created"] for c in channels.values())
    rows = []
    for channel, c in sorted(channels.items()):
        contacts = c["chats_total"] + c["tickets_created"]
        rows.append({
            "channel": channel, "contacts": int(contacts), "share": percent(contacts, total),
            "chats": int(c["chats_total"]), "tickets": int(c["tickets_created"]),
            "first_response_time_avg": divide(c["first_response_time_sum"], c["first_response_time_n"]),
            "ticket_first_response_time_avg": divide(c["ticket_first_response_time_sum"], c["ticket_first_response_time_n"]),
        })
    return {"value": int(total), "n": int(total), "channels": rows}


@metric("traffic_heatmap", label=_("Traffic heatmap"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=None,
        needs=("heatmap",), breakdowns=(),
        help=_("Chats and tickets by hour of day × weekday, in the organization's time zone "
               "(weekday 0 = Monday)."))
def traffic_heatmap(t: Totals) -> dict:
    cells = t.extra.get("heatmap", {})
    total = sum(chats + tickets for chats, tickets in cells.values())
    return {
        "value": int(total), "n": int(total),
        "cells": [{"weekday": wd, "hour": h, "chats": int(chats), "tickets": int(tickets)}
                  for (wd, h), (chats, tickets) in sorted(cells.items())],
    }


SLA_MEASURES = (
    ("chat_first_response", "frt_within_target", "first_response_time_n"),
    ("chat_wait", "wait_within_target", "wait_time_n"),
    ("ticket_first_response", "ticket_frt_within_target", "ticket_first_response_time_n"),
    ("ticket_resolution", "resolution_within_target", "resolution_time_n"),
)


@metric("sla_compliance", label=_("SLA compliance"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        help=_("For each SLA target (chat first response, chat wait, ticket first response, ticket resolution; "
               "per channel and priority, calendar hours): share met and count breached. The value is the share "
               "met over all measured conversations."))
def sla_compliance(t: Totals) -> dict:
    measures, met_total, n_total = [], 0, 0
    for name, met, n in SLA_MEASURES:
        met_total += t[met]
        n_total += t[n]
        measures.append({"measure": name, "met": int(t[met]), "n": int(t[n]), "breached": int(t[n] - t[met]),
                         "share_met": percent(t[met], t[n])})
    return {"value": percent(met_total, n_total), "n": int(n_total), "low_sample": n_total < t.min_sample,
            "breached": int(n_total - met_total), "measures": measures}
