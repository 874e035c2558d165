"""Live chat: the metrics a team can act on (METRICS.md), over summed snapshot components."""

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import (
    CANNED_BREAKDOWNS,
    DEFAULT_BREAKDOWNS,
    UNIT_COUNT,
    UNIT_PER_HOUR,
    UNIT_PERCENT,
    UNIT_RATIO,
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

FAMILY = "live_chat"


@metric("chats_total", label=_("Total chats"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=None,
        help=_("Chat requests received (answered + missed). Also per hour of the range and per agent "
               "(answered chats ÷ agents who answered any); grouped by agent, team, channel or tag, each "
               "group's share of all chats of the range (its chats ÷ every chat × 100; a chat with two tags "
               "counts under each)."))
def chats_total(t: Totals) -> dict:
    agents = t.extra.get("answering_agents")
    result = count(t, "chats_total", per_hour=divide(t["chats_total"], t.hours),
                   per_agent=divide(t["chats_answered"], agents) if agents is not None else None)
    if "all_chats" in t.extra:  # a dimension group (reports.metrics.service)
        result["share"] = percent(t["chats_total"], t.extra["all_chats"])
    return result


@metric("chats_per_hour", label=_("Chats per hour"), unit=UNIT_PER_HOUR, family=FAMILY, higher_is_better=None,
        help=_("Chats ÷ hours in the range. For an agent: answered chats ÷ the agent's online hours "
               "(typically 3–5)."))
def chats_per_hour(t: Totals) -> dict:
    if t.extra.get("dimension") == "agent":
        online_hours = t["online_seconds"] / 3600
        return {"value": divide(t["chats_answered"], online_hours), "n": int(t["chats_answered"]),
                "online_hours": online_hours}
    return {"value": divide(t["chats_total"], t.hours), "n": int(t["chats_total"]), "hours": t.hours}


@metric("chats_answered", label=_("Answered chats"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=True,
        help=_("Chats accepted by an agent. Share = answered ÷ total chats."))
def chats_answered(t: Totals) -> dict:
    return count(t, "chats_answered", share=percent(t["chats_answered"], t["chats_total"]))


@metric("chats_missed", label=_("Missed chats"), unit=UNIT_COUNT, family=FAMILY, higher_is_better=False,
        help=_("Requests never accepted by an agent. Missed rate = missed ÷ total chats; by reason. "
               "For an agent: chats routed to the agent and not accepted. Industry reference: 21%."))
def chats_missed(t: Totals) -> dict:
    return count(
        t, "chats_missed",
        missed_rate=percent(t["chats_missed"], t["chats_total"]),
        by_reason={
            "visitor_left": int(t["missed_visitor_left"]),
            "timeout": int(t["missed_timeout"]),
            "no_agent_online": int(t["missed_no_agent_online"]),
            "other": int(t["chats_missed"] - t["missed_visitor_left"] - t["missed_timeout"] - t["missed_no_agent_online"]),
        },
    )


@metric("first_response_time", label=_("First response time"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("first_response_time", "first_response_time_business"),
        help=_("first_response_at − requested_at of answered chats: average, median (p50) and p90. "
               "Within target = share of answered chats whose first response met the SLA target. "
               "Reference: live chat averages 30–45 s."))
def first_response_time(t: Totals) -> dict:
    return duration(t, "first_response_time",
                    within_target=percent(t["frt_within_target"], t["first_response_time_n"]),
                    business_hours=business_duration(t, "first_response_time_business"))


@metric("wait_time", label=_("Wait time (chat pickup)"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("wait_time",),
        help=_("accepted_at − requested_at: time in the queue. Average = total wait ÷ chats answered."))
def wait_time(t: Totals) -> dict:
    return duration(t, "wait_time", within_target=percent(t["wait_within_target"], t["wait_time_n"]),
                    total=t["wait_time_sum"])


@metric("response_time", label=_("Average response time"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("chat_response_time",),
        help=_("Every customer message → next agent reply interval, not only the first: sum of "
               "response times ÷ number of responses. p50/p90 are over each chat's own average reply time."))
def response_time(t: Totals) -> dict:
    per_chat = duration(t, "chat_response_time")
    n = int(t["response_count"])
    avg = divide(t["response_time_total"], n)
    return {"value": avg, "avg": avg, "p50": per_chat["p50"], "p90": per_chat["p90"], "n": n,
            "chats": per_chat["n"], "low_sample": n < t.min_sample}


@metric("messages_per_chat", label=_("Messages per chat"), unit=UNIT_RATIO, family=FAMILY, higher_is_better=None,
        help=_("Messages exchanged (visitor + agent) ÷ answered chats; distribution short (≤ 5), "
               "medium (6–15), long (> 15)."))
def messages_per_chat(t: Totals) -> dict:
    n = int(t["chats_answered"])
    return {"value": divide(t["messages_total"], n), "n": n,
            "distribution": {"short": int(t["chats_short"]), "medium": int(t["chats_medium"]), "long": int(t["chats_long"])}}


@metric("chat_outcomes", label=_("Chat outcomes"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        help=_("Share of answered chats resolved / escalated / unresolved; the value is the resolved share."))
def chat_outcomes(t: Totals) -> dict:
    n = t["chats_answered"]
    return {**ratio(t, "outcome_resolved", "chats_answered"),
            "resolved": percent(t["outcome_resolved"], n), "escalated": percent(t["outcome_escalated"], n),
            "unresolved": percent(t["outcome_unresolved"], n)}


@metric("chat_duration", label=_("Chat duration"), unit=UNIT_SECONDS, family=FAMILY, higher_is_better=None,
        durations=("chat_duration",),
        help=_("ended_at − accepted_at of answered chats. Reference: 11–12 minutes across industries."))
def chat_duration(t: Totals) -> dict:
    return duration(t, "chat_duration")


@metric("wrap_up_time", label=_("Post-chat wrap-up time"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("wrap_up_time",),
        help=_("closed_at − ended_at: after-chat work (notes, CRM updates)."))
def wrap_up_time(t: Totals) -> dict:
    return duration(t, "wrap_up_time")


@metric("handle_time", label=_("Average handling time (AHT)"), unit=UNIT_SECONDS, family=FAMILY,
        higher_is_better=False, durations=("handle_time",),
        help=_("Chat duration + wrap-up time per answered chat (wrap-up 0 when the chat was not closed). "
               "AHT is the agent's time on one chat, not the time to resolve (see resolution time)."))
def handle_time(t: Totals) -> dict:
    return duration(t, "handle_time")


@metric("transfer_rate", label=_("Transfer rate"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=False,
        help=_("Answered chats transferred to another agent or department ÷ answered chats."))
def transfer_rate(t: Totals) -> dict:
    return ratio(t, "chats_transferred", "chats_answered")


@metric("tag_usage", label=_("Tag usage"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        help=_("Share of chats with at least one tag; tags per chat; share of chats with a high-priority "
               "tag. Break down by tag for the count and share per tag."))
def tag_usage(t: Totals) -> dict:
    return ratio(t, "chats_tagged", "chats_total",
                 tags_per_chat=divide(t["tag_assignments"], t["chats_total"]),
                 high_priority=percent(t["chats_high_priority_tag"], t["chats_total"]))


@metric("canned_usage", label=_("Canned responses usage"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=None,
        breakdowns=DEFAULT_BREAKDOWNS + CANNED_BREAKDOWNS,
        help=_("Share of answered chats with at least one canned response; canned responses per chat; "
               "CSAT of chats with and without them; time saved = Σ uses × the response's seconds saved "
               "(default: its length typed at 40 words per minute). Per canned response: its uses, the "
               "answered chats using it (their share of all answered chats), the CSAT of those chats and "
               "the time it saved."))
def canned_usage(t: Totals) -> dict:
    if t.extra.get("dimension") == "canned_response":
        # One response's group: its chats among all the range's answered chats (a chat using
        # two responses is in both groups); CSAT "without" is the organization's, not a group's.
        chats = t["chats_with_canned"]
        all_answered = t.extra.get("all_answered") or 0
        return {
            "value": percent(chats, all_answered), "n": int(all_answered), "count": int(chats),
            "low_sample": all_answered < t.min_sample, "chats": int(chats), "uses": int(t["canned_uses"]),
            "per_chat": divide(t["canned_uses"], chats), "time_saved_seconds": t["canned_seconds_saved"],
            "csat_with": percent(t["csat_canned_positive"], t["csat_canned_n"]), "csat_with_n": int(t["csat_canned_n"]),
        }
    return ratio(
        t, "chats_with_canned", "chats_answered",
        uses=int(t["canned_uses"]),
        per_chat=divide(t["canned_uses"], t["chats_answered"]),
        time_saved_seconds=t["canned_seconds_saved"],
        csat_with=percent(t["csat_canned_positive"], t["csat_canned_n"]),
        csat_without=percent(t["csat_positive"] - t["csat_canned_positive"], t["csat_n"] - t["csat_canned_n"]),
    )


@metric("agent_utilization", label=_("Agent utilization"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=None,
        breakdowns=("hour", "day", "week", "month", "agent", "team"),
        help=_("Online time with at least one active chat ÷ online time (the union of chat intervals, so "
               "concurrent chats never push it over 100%). Also online hours, chats per online hour and "
               "concurrency (chat time ÷ busy time)."))
def agent_utilization(t: Totals) -> dict:
    online = t["online_seconds"]
    return {
        "value": percent(t["busy_seconds"], online), "n": int(t["chats_answered"]),
        "online_hours": online / 3600, "busy_hours": t["busy_seconds"] / 3600,
        "chats_per_online_hour": divide(t["chats_answered"], online / 3600),
        "concurrency": divide(t["chat_duration_sum"], t["busy_seconds"]),
    }


@metric("fcr_rate", label=_("First contact resolution"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        help=_("Answered chats resolved without escalation (transfer to a ticket), without being left "
               "unresolved, and without a repeat contact by the same customer within the follow-up window "
               "÷ answered chats. Tickets: resolved with at most one agent reply and never reopened "
               "(one-touch) ÷ resolved tickets."))
def fcr_rate(t: Totals) -> dict:
    return ratio(t, "fcr_chats", "chats_answered",
                 repeat_contact=percent(t["fcr_repeat_contacts"], t["chats_answered"]),
                 escalated=percent(t["outcome_escalated"], t["chats_answered"]),
                 tickets_one_touch=percent(t["tickets_one_touch"], t["tickets_resolved"]),
                 tickets_n=int(t["tickets_resolved"]))
