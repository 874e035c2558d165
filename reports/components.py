"""The additive components a daily snapshot stores. One list serves the models, the builders
and the metric definitions, so a component exists everywhere or nowhere.

Snapshots store components only (counts, sums, histograms), never final ratios: any range is
computed by adding components and dividing once (METRICS.md rule 2).
"""

from surveys.models import SCALE_BOUNDS

# Ticket priorities, most urgent first (chats.models.Priority).
PRIORITIES = ("urgent", "high", "normal", "low")
# CSAT answers per score, on each CSAT scale (all answers of that scale, whatever the
# organization's): the component prefix of each scale; its scores are SCALE_BOUNDS'.
CSAT_DISTRIBUTION = {"1-5": "csat5", "1-10": "csat10", "good-bad": "csatgb"}


def csat_score_components(scale: str) -> dict[int, str]:
    """{score: component} of one CSAT scale's answers per score."""
    low, high = SCALE_BOUNDS[scale]
    return {i: f"{CSAT_DISTRIBUTION[scale]}_score_{i}" for i in range(low, high + 1)}


# Durations in seconds: each has <name>_sum, <name>_n and a <name>_hist log-bucket histogram.
DURATIONS = (
    "first_response_time",         # chat: first_response_at - requested_at (answered chats)
    "wait_time",                   # chat: accepted_at - requested_at
    "chat_duration",               # chat: ended_at - accepted_at
    "wrap_up_time",                # chat: closed_at - ended_at
    "handle_time",                 # chat: duration + wrap-up (wrap-up 0 when not closed)
    "chat_response_time",          # chat: its own mean reply interval (for percentiles)
    "ticket_first_response_time",  # ticket: first_response_at - created_at (by created day)
    "resolution_time",             # ticket: resolved_at - created_at (by resolved day)
    "complaint_resolution_time",   # ticket: resolved_at - (escalated_at or created_at), complaints
    "conversion_time",             # chat: converted_at - requested_at (answered, converted chats)
    # The same three in the organization's business hours (reports.business_hours); no value
    # while the organization has no weekly schedule.
    "first_response_time_business",
    "ticket_first_response_time_business",
    "resolution_time_business",
)

COUNTS = (
    # chats, on the local day of requested_at
    "chats_total", "chats_answered", "chats_missed",
    "missed_visitor_left", "missed_timeout", "missed_no_agent_online",
    "chats_proactive", "chats_transferred",
    "outcome_resolved", "outcome_escalated", "outcome_unresolved",
    "messages_total", "chats_short", "chats_medium", "chats_long",
    "response_count",
    "chats_tagged", "tag_assignments", "chats_high_priority_tag",
    # chats and tickets (created): from a social channel; with a tag of category "technical"
    "social_contacts", "contacts_technical",
    # chats and tickets (created) tied to a customer (engagement: contacts per customer)
    "contacts_with_customer",
    "chats_with_canned",
    "fcr_chats", "fcr_repeat_contacts",
    "chats_converted",
    # answered chats: converted (conversion_rate's numerator), proactive ones, converted after a
    # follow-up; chats with the visitor's time on site before the chat
    "conversions", "conversions_proactive", "chats_answered_proactive", "conversions_after_follow_up",
    "chats_with_time_on_site",
    # website traffic rows: visitors of the local day
    "website_visitors",
    # customers: acquired (and of those, referred) on the local day of acquired_at, lost on that
    # of churned_at; purchases on that of purchased_at. A range's customers at its start are the
    # prefix sum of acquired - lost over every earlier day (reports.metrics.service), exact.
    "customers_acquired", "customers_referred", "customers_lost", "purchases",
    "frt_within_target", "wait_within_target",
    # tickets: volume on the local day of created_at, resolution on that of resolved_at
    "tickets_created", "tickets_low", "tickets_normal", "tickets_high", "tickets_urgent",
    "tickets_sentiment_positive", "tickets_sentiment_negative", "tickets_with_sentiment",
    "ticket_frt_within_target",
    "tickets_resolved", "tickets_reopened", "tickets_one_touch", "resolution_within_target",
    "calls_resolved",  # tickets of channel phone resolved (the agent report's "calls resolved")
    # per priority: tickets with a first response (created day) and resolved (resolved day)
    *(f"ticket_first_response_time_{p}_n" for p in PRIORITIES), *(f"resolution_time_{p}_n" for p in PRIORITIES),
    # survey answers, on the local day of answered_at
    "csat_n", "csat_positive", "csat_top", "csat_negative", "csat_score_n",
    "csat_canned_n", "csat_canned_positive",
    "nps_n", "nps_promoters", "nps_detractors",
    "ces_n", "ces5_n",
    # CES distribution: answers per score, on the 1-7 and the 1-5 scale
    *(f"ces_score_{i}" for i in range(1, 8)), *(f"ces5_score_{i}" for i in range(1, 6)),
    # CES (1-7) answers whose conversation has CSAT answers on the organization's scale: pairs
    # (the CES score, the mean of those CSAT scores), for the CES-CSAT correlation
    "ces_csat_pairs",
    # CSAT distribution: answers per score on each CSAT scale
    *(name for scale in CSAT_DISTRIBUTION for name in csat_score_components(scale).values()),
    "feedback_total", "feedback_replied",
    # canned-response uses, on the local day of used_at
    "canned_uses",
    # quality reviews, on the local day of reviewed_at: reviews, and criterion scores given
    "iqs_reviews", "iqs_scores",
)

SUMS = (
    "response_time_total",   # chat: sum of every reply interval (response_time_total_s)
    "conversion_value",
    "conversions_value",           # value of the answered chats' conversions
    "time_on_site_before_chat",    # seconds, over chats_with_time_on_site
    "purchase_amount",             # Σ purchase amounts (the organization's currency)
    "customer_lifespan_seconds",   # Σ churned_at - acquired_at of the customers lost
    "csat_score_sum",        # scores on the organization's CSAT scale only
    "ces_sum",               # 1-7 scale
    "ces_sq_sum",            # 1-7 scale, squares (for the interval of the mean)
    "ces5_sum",              # 1-5 scale
    "ces5_sq_sum",
    "ces_csat_ces_sum",      # pairs: sums of x (CES), y (CSAT mean), x², y² and x·y
    "ces_csat_csat_sum",
    "ces_csat_ces_sq_sum",
    "ces_csat_csat_sq_sum",
    "ces_csat_product_sum",
    "canned_seconds_saved",
    "iqs_weighted_score",    # Σ weight × score over the criteria a review scored
    "iqs_weighted_max",      # Σ weight × max score over the same criteria
    # ticket first response and resolution seconds per priority (their n are counts above)
    *(f"ticket_first_response_time_{p}_sum" for p in PRIORITIES), *(f"resolution_time_{p}_sum" for p in PRIORITIES),
    "online_seconds",        # agent sessions with status online, split at local midnight
    "busy_seconds",          # online time with at least one active chat (union of chats)
)

DURATION_SUMS = tuple(f"{d}_sum" for d in DURATIONS)
DURATION_COUNTS = tuple(f"{d}_n" for d in DURATIONS)
HISTOGRAMS = tuple(f"{d}_hist" for d in DURATIONS)

ADDITIVE = COUNTS + DURATION_COUNTS + SUMS + DURATION_SUMS
INTEGER_COMPONENTS = frozenset(COUNTS + DURATION_COUNTS)
# What a chat requested later can change on an earlier day (through the follow-up window): the
# freshness rules rebuild only these on such days.
FCR_COMPONENTS = ("fcr_chats", "fcr_repeat_contacts")
