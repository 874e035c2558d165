"""Business and customer metrics: conversions, website visitors, customer feedback replies,
retention, churn, lifetime value and referrals."""

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import (
    DATE_BREAKDOWNS,
    SURVEY_SCORE_BREAKDOWNS,
    UNIT_MONEY,
    UNIT_PERCENT,
    UNIT_SCORE,
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


SECONDS_PER_YEAR = 365 * 86400  # CLV's years are 365 days (a 365-day range is one year)


def customer_counts(t: Totals) -> dict:
    """S (customers at the range's start), N (acquired in it), L (lost in it) and E = S + N - L
    (at its end): S is a prefix sum of daily flows (reports.metrics.service.customers)."""
    start = int(t.extra.get("customers_at_start") or 0)
    acquired, lost = int(t["customers_acquired"]), int(t["customers_lost"])
    return {"start": start, "end": start + acquired - lost, "acquired": acquired, "lost": lost}


@metric("retention_rate", label=_("Customer retention rate (CRR)"), unit=UNIT_PERCENT, family=FAMILY,
        higher_is_better=True, needs=("customers",), breakdowns=DATE_BREAKDOWNS,
        help=_("CRR = (E − N) ÷ S × 100: S customers at the start of the range, E at its end, N acquired in "
               "between (customers counted at local midnight in the organization's time zone). No customers at "
               "the start: no value."))
def retention_rate(t: Totals) -> dict:
    c = customer_counts(t)
    return {"value": percent(c["end"] - c["acquired"], c["start"]), "n": c["start"], **c}


@metric("churn_rate", label=_("Customer churn rate"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=False,
        needs=("customers",), breakdowns=DATE_BREAKDOWNS,
        help=_("Customers lost in the range ÷ customers at its start × 100."))
def churn_rate(t: Totals) -> dict:
    c = customer_counts(t)
    return {"value": percent(c["lost"], c["start"]), "n": c["start"], "count": c["lost"], **c}


@metric("clv", label=_("Customer lifetime value (CLV)"), unit=UNIT_MONEY, family=FAMILY, higher_is_better=True,
        needs=("customers",), breakdowns=DATE_BREAKDOWNS,
        help=_("Average purchase value × purchase frequency per year × average lifespan in years. Average "
               "purchase value = purchase amounts ÷ purchases; frequency = purchases ÷ the average of the "
               "customers at the start and at the end ÷ the range's years (365 days each); lifespan = the "
               "average time from acquisition to churn of the customers lost in the range. Historical CLV = "
               "all purchases up to the range's end ÷ all customers acquired up to then × the organization's "
               "average gross margin."))
def clv(t: Totals) -> dict:
    c = customer_counts(t)
    purchases = t["purchases"]
    average_purchase = divide(t["purchase_amount"], purchases)
    average_customers = (c["start"] + c["end"]) / 2
    years = t.extra.get("years") or 0
    frequency = divide(purchases, average_customers * years)
    lifespan = divide(t["customer_lifespan_seconds"], c["lost"] * SECONDS_PER_YEAR)
    parts = (average_purchase, frequency, lifespan)
    value = None if None in parts else average_purchase * frequency * lifespan
    ever_amount = (t.extra.get("purchase_amount_before") or 0) + t["purchase_amount"]
    ever_customers = (t.extra.get("acquired_before") or 0) + c["acquired"]
    margin = t.extra.get("gross_margin", 1.0)
    historical = divide(ever_amount * margin, ever_customers)
    return {"value": value, "n": int(purchases), "average_purchase_value": average_purchase,
            "purchase_frequency_per_year": frequency, "average_lifespan_years": lifespan,
            "historical_clv": historical, "gross_margin": margin, **c}


@metric("referral_rate", label=_("Referral rate"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        breakdowns=DATE_BREAKDOWNS,
        help=_("New customers referred by an existing customer ÷ all new customers × 100 (acquired in the range)."))
def referral_rate(t: Totals) -> dict:
    return ratio(t, "customers_referred", "customers_acquired")


ENGAGEMENT_INPUTS = {  # input -> its label in the score's formula
    "contacts_per_customer": _("contacts per customer"),
    "conversion_rate": _("chat conversion rate (%)"),
    "survey_participation": _("survey participation (%)"),
}


@metric("engagement_score", label=_("Customer engagement score"), unit=UNIT_SCORE, family=FAMILY,
        higher_is_better=True, needs=("customers", "engagement"), breakdowns=DATE_BREAKDOWNS,
        help=_("A weighted composite of the inputs the organization has (each weighing 1 until weights can be "
               "set): Σ weight × input ÷ Σ weight over the inputs with a value. Contacts per "
               "customer = chats and tickets tied to a customer ÷ the average of the customers at the start "
               "and at the end; chat conversion rate (%); survey participation = survey answers ÷ (answered "
               "chats + tickets) × 100. The result carries its formula."))
def engagement_score(t: Totals) -> dict:
    weights = t.extra.get("engagement_weights") or dict.fromkeys(ENGAGEMENT_INPUTS, 1.0)
    c = customer_counts(t)
    answers = t["csat_n"] + t["nps_n"] + t["ces_n"] + t["ces5_n"]
    inputs = {
        "contacts_per_customer": divide(t["contacts_with_customer"], (c["start"] + c["end"]) / 2),
        "conversion_rate": percent(t["conversions"], t["chats_answered"]),
        "survey_participation": percent(answers, t["chats_answered"] + t["tickets_created"]),
    }
    used = {k: v for k, v in inputs.items() if v is not None and weights.get(k)}
    total_weight = sum(weights[k] for k in used)
    value = divide(sum(weights[k] * v for k, v in used.items()), total_weight)
    formula = " + ".join(f"{weights[k]:g} × {ENGAGEMENT_INPUTS[k]}" for k in used)
    return {"value": value, "n": int(t["chats_answered"] + t["tickets_created"]), "inputs": inputs,
            "weights": weights, "formula": f"({formula}) ÷ {total_weight:g}" if used else None}
