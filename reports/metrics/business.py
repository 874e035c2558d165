"""Business and customer metrics: conversions, website visitors, customer feedback replies."""

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import (
    DATE_BREAKDOWNS,
    SURVEY_SCORE_BREAKDOWNS,
    UNIT_PERCENT,
    Totals,
    divide,
    duration,
    metric,
    percent,
    ratio,
)

FAMILY = "business"


@metric("conversion_rate", label=_("Chat conversion rate"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        durations=("conversion_time",),
        help=_("Answered chats with a conversion (purchase, sign-up, lead) ÷ answered chats × 100, on the chat's "
               "day. Also the time to conversion (converted_at − requested_at: average, p50, p90), the conversion "
               "value (sum and per conversion), the rate of proactive (agent-initiated) and reactive chats, and the "
               "share of conversions that came after a follow-up."))
def conversion_rate(t: Totals) -> dict:
    conversions, answered = t["conversions"], t["chats_answered"]
    proactive, answered_proactive = t["conversions_proactive"], t["chats_answered_proactive"]
    time = duration(t, "conversion_time")
    return ratio(
        t, "conversions", "chats_answered",
        time_to_conversion={k: time[k] for k in ("avg", "p50", "p90", "n")},
        value_sum=t["conversions_value"], value_per_conversion=divide(t["conversions_value"], conversions),
        proactive={"value": percent(proactive, answered_proactive), "n": int(answered_proactive),
                   "count": int(proactive)},
        reactive={"value": percent(conversions - proactive, answered - answered_proactive),
                  "n": int(answered - answered_proactive), "count": int(conversions - proactive)},
        after_follow_up=percent(t["conversions_after_follow_up"], conversions),
        after_follow_up_count=int(t["conversions_after_follow_up"]),
    )


@metric("visitor_chat_rate", label=_("Website visitors to chats"), unit=UNIT_PERCENT, family=FAMILY,
        higher_is_better=None, breakdowns=DATE_BREAKDOWNS,
        help=_("Chats started ÷ website visitors × 100 (the daily visitor counts ingested; no traffic rows: "
               "no value). Also the average time on site before the chat (over chats that report it), the "
               "conversion after the chat (chats with a conversion ÷ chats) and the abandonment after a chat "
               "request (missed because the visitor left ÷ chat requests)."))
def visitor_chat_rate(t: Totals) -> dict:
    visitors, chats = int(t["website_visitors"]), int(t["chats_total"])
    return {
        "value": percent(chats, visitors), "n": visitors, "visitors": visitors, "chats": chats,
        "time_on_site_before_chat": divide(t["time_on_site_before_chat"], t["chats_with_time_on_site"]),
        "time_on_site_n": int(t["chats_with_time_on_site"]),
        "conversion_after_chat": percent(t["chats_converted"], chats),
        "abandonment": percent(t["missed_visitor_left"], chats),
    }


@metric("feedback_response_rate", label=_("Customer feedback response rate"), unit=UNIT_PERCENT,
        family="satisfaction", higher_is_better=True, breakdowns=SURVEY_SCORE_BREAKDOWNS,
        help=_("Survey answers with a comment that got a reply from the company ÷ all survey answers with a "
               "comment × 100, on the answer's day."))
def feedback_response_rate(t: Totals) -> dict:
    return ratio(t, "feedback_replied", "feedback_total")
