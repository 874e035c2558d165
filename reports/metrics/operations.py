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


@metric("social_insights", label=_("Social media insights"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=None,
        needs=("social",), breakdowns=(),
        help=_("Contacts (chats and tickets) from social channels: volume by hour of the week (organization's "
               "time zone, weekday 0 = Monday); share positive and negative by survey (CSAT positive or negative "
               "answers ÷ CSAT answers) and by ticket sentiment (positive or negative ÷ tickets with a "
               "sentiment); share technical (contacts with a tag of category “technical” ÷ contacts)."))
def social_insights(t: Totals) -> dict:
    social = t.extra.get("social") or {}
    s: Totals = social.get("totals") or Totals({})
    contacts = s["chats_total"] + s["tickets_created"]
    return {
        "value": int(contacts), "n": int(contacts),
        "by_hour": [{"weekday": wd, "hour": h, "contacts": n} for (wd, h), n in sorted(social.get("hours", {}).items())],
        "survey": {"positive": percent(s["csat_positive"], s["csat_n"]), "negative": percent(s["csat_negative"], s["csat_n"]),
                   "n": int(s["csat_n"])},
        "sentiment": {"positive": percent(s["tickets_sentiment_positive"], s["tickets_with_sentiment"]),
                      "negative": percent(s["tickets_sentiment_negative"], s["tickets_with_sentiment"]),
                      "n": int(s["tickets_with_sentiment"])},
        "technical": percent(s["contacts_technical"], contacts), "technical_count": int(s["contacts_technical"]),
    }
