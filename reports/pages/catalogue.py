"""The report pages, each declared once: its cards, tables (with their charts) and sections.
The view, the CSV/XLSX export of each table and the weekly e-mail all render these.

To add a card, add one line to a page's ``cards``: ``Figure("transfer_rate")``.
"""

from django.utils.translation import gettext_lazy as _

from reports.pages.declarations import (
    TIME,
    Breaches,
    Chart,
    Comments,
    Detail,
    Figure,
    Heatmap,
    MetricRows,
    Page,
    Table,
)

PCT, SEC, COUNT, RATIO, SCORE = "percent", "seconds", "count", "ratio", "score"

DURATION_FIELDS = (("avg", _("Average"), None), ("p50", _("Median"), None), ("p90", _("p90"), None),
                   ("n", _("Sample (n)"), COUNT))

PRIORITY_ROWS = (("urgent", _("Urgent")), ("high", _("High")), ("normal", _("Normal")), ("low", _("Low")))

OVERVIEW = Page(
    id="overview", url_name="report_overview", title=_("Overview"),
    cards=(
        Figure("chats_total"),
        Figure("chats_missed", "missed_rate", label=_("Missed rate"), unit=PCT),
        Figure("first_response_time", "avg", label=_("First response time (average)")),
        Figure("first_response_time", "p50", label=_("First response time (median)")),
        Figure("wait_time", "avg", label=_("Wait time (average)")),
        Figure("handle_time", "avg", label=_("Handling time (average)")),
        Figure("csat"),
        Figure("nps"),
        Figure("ces"),
        Figure("fcr_rate"),
        Figure("tickets_total"),
        Figure("tickets_total", "backlog", label=_("Ticket backlog"), unit=COUNT, higher_is_better=False),
        Figure("resolution_time", "avg", label=_("Resolution time (average)")),
        Figure("sla_compliance"),
    ),
    sections=(
        Table(
            "trend", _("Trend"), TIME, compare=True,
            columns=(
                Figure("chats_total"), Figure("chats_missed"),
                Figure("first_response_time", "avg"), Figure("first_response_time", "p50"),
                Figure("csat"), Figure("tickets_total"),
                Figure("tickets_total", "backlog", label=_("Ticket backlog"), unit=COUNT, higher_is_better=False),
                Figure("sla_compliance"),
            ),
            charts=(
                Chart("chats", _("Chats"), ("chats_total",)),
                Chart("frt", _("First response time (average)"), ("first_response_time.avg",)),
                Chart("csat", _("Customer satisfaction (CSAT)"), ("csat",)),
                Chart("tickets", _("Tickets created"), ("tickets_total",)),
            ),
        ),
    ),
)

LIVE_CHAT = Page(
    id="live_chat", url_name="report_live_chat", title=_("Live chat"),
    cards=(
        Figure("chats_total"),
        Figure("chats_answered"),
        Figure("chats_missed"),
        Figure("chats_missed", "missed_rate", label=_("Missed rate"), unit=PCT),
        Figure("first_response_time", "avg", label=_("First response time (average)")),
        Figure("first_response_time", "within_target", label=_("First response within target"), unit=PCT,
               higher_is_better=True),
        Figure("response_time"),
        Figure("messages_per_chat"),
        Figure("chat_outcomes", label=_("Resolved chats")),
        Figure("transfer_rate"),
        Figure("agent_utilization"),
        Figure("agent_utilization", "concurrency", label=_("Concurrency"), unit=RATIO, higher_is_better=None),
        Figure("chats_per_hour"),
    ),
    sections=(
        Table("trend", _("Volume and response"), TIME, compare=True,
              columns=(Figure("chats_total"), Figure("chats_answered"), Figure("chats_missed"),
                       Figure("first_response_time", "avg"), Figure("wait_time", "avg"),
                       Figure("handle_time", "avg", label=_("Handling time (average)")), Figure("agent_utilization")),
              charts=(Chart("volume", _("Chats"), ("chats_total", "chats_missed"), kind="bar"),
                      Chart("frt", _("First response time (average)"), ("first_response_time.avg",)))),
        MetricRows("durations", _("Times"),
                   metrics=("first_response_time", "wait_time", "chat_duration", "wrap_up_time", "handle_time",
                            "response_time"),
                   fields=DURATION_FIELDS),
        Detail("missed_by_reason", _("Missed chats by reason"), "chats_missed", "by_reason",
               rows=(("visitor_left", _("Visitor left the queue")), ("timeout", _("Timed out")),
                     ("no_agent_online", _("No agent online")), ("other", _("Other"))),
               columns=((None, _("Missed chats"), COUNT),), key_header=_("Reason"), chart="bar"),
        Detail("messages_distribution", _("Messages per chat"), "messages_per_chat", "distribution",
               rows=(("short", _("Short (≤ 5 messages)")), ("medium", _("Medium (6–15)")),
                     ("long", _("Long (> 15)"))),
               columns=((None, _("Chats"), COUNT),), key_header=_("Length"), chart="bar"),
        Detail("outcomes", _("Chat outcomes"), "chat_outcomes", "",
               rows=(("resolved", _("Resolved")), ("escalated", _("Escalated")), ("unresolved", _("Unresolved"))),
               columns=((None, _("Share of answered chats"), PCT),), key_header=_("Outcome")),
        Detail("utilization", _("Utilization and concurrency"), "agent_utilization", "",
               rows=(("online_hours", _("Online hours")), ("busy_hours", _("Busy hours")),
                     ("chats_per_online_hour", _("Chats per online hour")),
                     ("concurrency", _("Concurrency (simultaneous chats while busy)"))),
               columns=((None, _("Value"), RATIO),), key_header=_("Figure")),
        Heatmap(),
        Table("by_channel", _("By channel"), "channel",
              columns=(Figure("chats_total"), Figure("chats_missed"), Figure("first_response_time", "avg"),
                       Figure("handle_time", "avg", label=_("Handling time (average)")), Figure("transfer_rate")), link_rows="filter"),
    ),
)

TICKETS = Page(
    id="tickets", url_name="report_tickets", title=_("Tickets"),
    cards=(
        Figure("tickets_total"),
        Figure("tickets_total", "resolved", label=_("Tickets resolved"), unit=COUNT, higher_is_better=True),
        Figure("tickets_total", "backlog", label=_("Backlog at the end of the range"), unit=COUNT,
               higher_is_better=False),
        Figure("ticket_first_response_time", "avg", label=_("First response (average)")),
        Figure("ticket_first_response_time", "within_target", label=_("First response within SLA"), unit=PCT,
               higher_is_better=True),
        Figure("resolution_time", "avg", label=_("Resolution time (average)")),
        Figure("resolution_time", "p50", label=_("Resolution time (median)")),
        Figure("complaint_resolution_time", "avg", label=_("Complaint resolution (average)")),
        Figure("reopen_rate"),
        Figure("fcr_rate", "tickets_one_touch", label=_("One-touch resolution"), unit=PCT, higher_is_better=True),
    ),
    sections=(
        Table("trend", _("Created, backlog and times"), TIME, compare=True,
              columns=(Figure("tickets_total"),
                       Figure("tickets_total", "backlog", label=_("Backlog at the end"), unit=COUNT,
                              higher_is_better=False),
                       Figure("tickets_total", "resolved", label=_("Resolved"), unit=COUNT, higher_is_better=True),
                       Figure("ticket_first_response_time", "avg"), Figure("resolution_time", "avg"),
                       Figure("reopen_rate")),
              charts=(Chart("created", _("Tickets created"), ("tickets_total",), kind="bar"),
                      Chart("backlog", _("Backlog at each period's end"), ("tickets_total.backlog",)))),
        MetricRows("durations", _("Times"),
                   metrics=("ticket_first_response_time", "resolution_time", "complaint_resolution_time"),
                   fields=DURATION_FIELDS),
        Detail("by_priority", _("Tickets created by priority"), "tickets_total", "by_priority",
               rows=PRIORITY_ROWS,
               columns=((None, _("Tickets"), COUNT),), key_header=_("Priority"), chart="bar"),
        Detail("frt_by_priority", _("First response by priority"), "ticket_first_response_time", "by_priority",
               rows=PRIORITY_ROWS,
               columns=(("avg", _("First response (average)"), SEC), ("n", _("Tickets with a response"), COUNT)),
               key_header=_("Priority"), chart="bar"),
        Detail("resolution_by_priority", _("Resolution time by priority"), "resolution_time", "by_priority",
               rows=PRIORITY_ROWS,
               columns=(("avg", _("Resolution time (average)"), SEC), ("n", _("Tickets resolved"), COUNT)),
               key_header=_("Priority"), chart="bar"),
        Table("by_channel", _("By channel"), "channel",
              columns=(Figure("tickets_total"),
                       Figure("ticket_first_response_time", "avg", label=_("First response (average)")),
                       Figure("resolution_time", "avg", label=_("Resolution time (average)")), Figure("reopen_rate"),
                       Figure("fcr_rate", "tickets_one_touch", label=_("One-touch resolution"), unit=PCT,
                              higher_is_better=True)), link_rows="filter"),
    ),
)

SATISFACTION = Page(
    id="satisfaction", url_name="report_satisfaction", title=_("Satisfaction"),
    cards=(
        Figure("csat"),
        Figure("csat", "average_score", label=_("Average CSAT score"), unit=SCORE, higher_is_better=True),
        Figure("csat", "negative", label=_("Negative answers"), unit=COUNT, higher_is_better=False),
        Figure("csat", "negative_share", label=_("Share of negative answers"), unit=PCT, higher_is_better=False),
        Figure("nps"),
        Figure("ces"),
        Figure("ces", "csat_correlation.r", label=_("CES–CSAT correlation (r)"), unit=RATIO, higher_is_better=None),
    ),
    sections=(
        Table("trend", _("Scores over time"), TIME, compare=True,
              columns=(Figure("csat"), Figure("nps"), Figure("ces")),
              charts=(Chart("csat", _("Customer satisfaction (CSAT)"), ("csat",)),
                      Chart("nps", _("Net Promoter Score (NPS)"), ("nps",)))),
        Detail("nps_parts", _("Promoters, passives and detractors"), "nps", "",
               rows=(("promoters", _("Promoters (9–10)")), ("passives", _("Passives (7–8)")),
                     ("detractors", _("Detractors (0–6)"))),
               columns=((None, _("Share of NPS answers"), PCT),), key_header=_("Group"), chart="bar"),
        Detail("csat_distribution", _("Customer satisfaction: answers per score (the organization's scale)"), "csat",
               "distribution.{csat_scale}", columns=((None, _("Answers"), COUNT),), key_header=_("Score"), chart="bar",
               note=_("Answers on the organization's CSAT scale; good/bad answers are scored 1 (good) and 0 (bad).")),
        Detail("ces_distribution", _("Customer effort: answers per score (1–7)"), "ces", "distribution.1-7",
               columns=((None, _("Answers"), COUNT),), key_header=_("Score"), chart="bar"),
        Detail("ces5_distribution", _("Customer effort: answers per score (1–5 scale)"), "ces", "distribution.1-5",
               columns=((None, _("Answers"), COUNT),), key_header=_("Score"), chart="bar"),
        Detail("csat_parts", _("CSAT details"), "csat", "",
               rows=(("very_satisfied", _("Very satisfied (top score)")), ("negative_share", _("Negative answers"))),
               columns=((None, _("Share of CSAT answers"), PCT),), key_header=_("Figure")),
        Table("by_agent", _("By agent"), "agent", columns=(Figure("csat"), Figure("nps"), Figure("ces")),
              sortable=True, link_rows="agent", chart_open=False),
        Table("by_segment", _("By customer segment"), "segment", columns=(Figure("csat"), Figure("nps"), Figure("ces")),
              chart_open=False),
        Table("by_touchpoint", _("By touchpoint"), "touchpoint",
              columns=(Figure("csat"), Figure("nps"), Figure("ces")), chart_open=False),
        Comments(),
    ),
)

TAGS = Page(
    id="tags", url_name="report_tags", title=_("Tags"),
    cards=(
        Figure("tag_usage", label=_("Chats with a tag")),
        Figure("tag_usage", "tags_per_chat", label=_("Tags per chat"), unit=RATIO, higher_is_better=None),
        Figure("tag_usage", "high_priority", label=_("Chats with a high-priority tag"), unit=PCT,
               higher_is_better=None),
    ),
    sections=(
        Table("by_tag", _("Most used tags"), "tag",
              columns=(Figure("chats_total", label=_("Chats with the tag")),
                       Figure("chats_total", "share", label=_("Share of all chats"), unit=PCT, higher_is_better=None),
                       Figure("handle_time", "avg", label=_("Handling time (average)")), Figure("csat")),
              sortable=True, link_rows="filter",
              note=_("Choose a tag (or a row) to see its trend below. A chat with two tags counts under each, so "
                     "the shares can add up to more than 100%.")),
        Table("by_category", _("Tags by category"), "tag",
              columns=(Figure("chats_total", label=_("Chats with the tag")),
                       Figure("chats_total", "share", label=_("Share of all chats"), unit=PCT, higher_is_better=None),
                       Figure("csat")),
              sortable=True, link_rows="filter", chart_open=False, by_category=True,
              note=_("Each tag under the category it has in Settings → Tags. Categories are not totalled: a chat "
                     "with two tags of one category would be counted twice.")),
        Table("trend", _("Tag usage over time"), TIME, compare=True,
              columns=(Figure("tag_usage"), Figure("chats_total")),
              charts=(Chart("usage", _("Chats with a tag"), ("tag_usage",)),)),
        Table("by_agent", _("Tag usage per agent"), "agent",
              columns=(Figure("tag_usage"), Figure("tag_usage", "tags_per_chat", label=_("Tags per chat"), unit=RATIO),
                       Figure("tag_usage", "high_priority", label=_("High-priority tag"), unit=PCT)),
              sortable=True, link_rows="agent", chart_open=False),
        Table("by_team", _("Tag usage per team"), "team",
              columns=(Figure("tag_usage"), Figure("tag_usage", "tags_per_chat", label=_("Tags per chat"), unit=RATIO),
                       Figure("tag_usage", "high_priority", label=_("High-priority tag"), unit=PCT)),
              link_rows="filter", chart_open=False),
    ),
)

CANNED = Page(
    id="canned", url_name="report_canned", title=_("Canned responses"),
    cards=(
        Figure("canned_usage", label=_("Answered chats with a canned response")),
        Figure("canned_usage", "uses", label=_("Canned responses used"), unit=COUNT, higher_is_better=None),
        Figure("canned_usage", "per_chat", label=_("Canned responses per chat"), unit=RATIO, higher_is_better=None),
        Figure("canned_usage", "time_saved_seconds", label=_("Typing time saved"), unit=SEC, higher_is_better=True),
        Figure("canned_usage", "csat_with", label=_("CSAT with canned responses"), unit=PCT, higher_is_better=True),
        Figure("canned_usage", "csat_without", label=_("CSAT without canned responses"), unit=PCT,
               higher_is_better=True),
    ),
    sections=(
        Table("trend", _("Usage over time"), TIME, compare=True,
              columns=(Figure("canned_usage"),
                       Figure("canned_usage", "uses", label=_("Uses"), unit=COUNT),
                       Figure("canned_usage", "time_saved_seconds", label=_("Time saved"), unit=SEC)),
              charts=(Chart("usage", _("Answered chats with a canned response"), ("canned_usage",)),)),
        Table("by_agent", _("Per agent"), "agent",
              columns=(Figure("canned_usage"), Figure("canned_usage", "uses", label=_("Uses"), unit=COUNT),
                       Figure("canned_usage", "time_saved_seconds", label=_("Time saved"), unit=SEC),
                       Figure("canned_usage", "csat_with", label=_("CSAT with"), unit=PCT),
                       Figure("canned_usage", "csat_without", label=_("CSAT without"), unit=PCT)),
              sortable=True, link_rows="agent", chart_open=False,
              note=_("Usage per canned response is not in the metric catalogue yet.")),
    ),
)

SLA = Page(
    id="sla", url_name="report_sla", title=_("SLA"),
    filters=("team", "agent", "channel"),
    cards=(
        Figure("sla_compliance"),
        Figure("sla_compliance", "breached", label=_("Breaches"), unit=COUNT, higher_is_better=False),
        Figure("first_response_time", "within_target", label=_("Chat first response met"), unit=PCT,
               higher_is_better=True),
        Figure("wait_time", "within_target", label=_("Chat wait met"), unit=PCT, higher_is_better=True),
        Figure("ticket_first_response_time", "within_target", label=_("Ticket first response met"), unit=PCT,
               higher_is_better=True),
        Figure("resolution_time", "within_target", label=_("Ticket resolution met"), unit=PCT, higher_is_better=True),
    ),
    sections=(
        Detail("measures", _("Per target"), "sla_compliance", "measures", key_field="measure",
               rows=(("chat_first_response", _("Chat first response")), ("chat_wait", _("Chat wait")),
                     ("ticket_first_response", _("Ticket first response")),
                     ("ticket_resolution", _("Ticket resolution"))),
               columns=(("share_met", _("Met"), PCT), ("met", _("Met (count)"), COUNT),
                        ("breached", _("Breached"), COUNT), ("n", _("Measured"), COUNT)),
               key_header=_("Target")),
        Table("trend", _("Compliance over time"), TIME, compare=True,
              columns=(Figure("sla_compliance"),
                       Figure("sla_compliance", "breached", label=_("Breaches"), unit=COUNT, higher_is_better=False)),
              charts=(Chart("compliance", _("SLA compliance"), ("sla_compliance",)),)),
        Table("by_channel", _("By channel"), "channel",
              columns=(Figure("sla_compliance"),
                       Figure("sla_compliance", "breached", label=_("Breaches"), unit=COUNT, higher_is_better=False)),
              link_rows="filter", chart_open=False),
        Breaches(),
    ),
)

# Every figure of METRICS.md's agent performance report the catalogue has, and a few more. The
# first six are the weekly e-mail's table (schedules.content.EMAIL_BOARD_COLUMNS): keep them first.
AGENT_COLUMNS = (
    Figure("chats_total", label=_("Chats")),
    Figure("chats_missed", label=_("Missed")),
    Figure("first_response_time", "avg", label=_("First response")),
    Figure("wait_time", "avg", label=_("Pickup time")),
    Figure("handle_time", "avg", label=_("Handling time")),
    Figure("agent_utilization", label=_("Utilization")),
    Figure("tickets_total", "resolved", label=_("Tickets resolved"), unit=COUNT, higher_is_better=True),
    Figure("tickets_total", "calls_resolved", label=_("Calls resolved"), unit=COUNT, higher_is_better=True),
    Figure("chat_duration", "avg", label=_("Chat time")),
    Figure("chats_per_hour", label=_("Chats per online hour")),
    Figure("canned_usage", label=_("Canned usage")),
    Figure("csat", label=_("CSAT")),
    Figure("csat", "negative", label=_("Negative ratings"), unit=COUNT, higher_is_better=False),
    Figure("csat", "negative_share", label=_("Negative share"), unit=PCT, higher_is_better=False),
    Figure("fcr_rate", label=_("FCR")),
    Figure("transfer_rate", label=_("Transfers")),
)

AGENTS = Page(
    id="agents", url_name="report_agents", title=_("Agents"),
    filters=("agent",),
    cards=(),
    intro=_("Every agent who handled chats or tickets in the range; choose a column heading to sort, "
            "and an agent for their own report. The last row is the median of the agents listed."),
    sections=(
        Table("leaderboard", _("Leaderboard"), "agent", columns=AGENT_COLUMNS, sortable=True, median=True,
              link_rows="agent", chart_open=False),
    ),
)

# METRICS.md's agent performance report; every card also shows the median of the agent's team.
AGENT = Page(
    id="agent", url_name="report_agent", title=_("Agent"), nav_label=None, filters=(), medians=True,
    cards=(
        Figure("chats_total", label=_("Chats opened")),
        Figure("tickets_total", "resolved", label=_("Tickets resolved"), unit=COUNT, higher_is_better=True),
        Figure("tickets_total", "calls_resolved", label=_("Calls resolved"), unit=COUNT, higher_is_better=True),
        Figure("chats_missed", label=_("Missed chats")),
        Figure("wait_time", "avg", label=_("Chat pickup time (average)")),
        Figure("chat_duration", "avg", label=_("Chat time (average)")),
        Figure("first_response_time", "avg", label=_("First response time (average)")),
        Figure("handle_time", "avg", label=_("Handling time (average)")),
        Figure("agent_utilization"),
        Figure("canned_usage"),
        Figure("csat", label=_("CSAT (share of positive ratings)")),
        Figure("csat", "negative", label=_("Negative ratings"), unit=COUNT, higher_is_better=False),
        Figure("csat", "negative_share", label=_("Share of negative ratings"), unit=PCT, higher_is_better=False),
        Figure("fcr_rate"),
    ),
    sections=(
        Table("trend", _("Over the range"), TIME, compare=True,
              columns=(Figure("chats_total"), Figure("chats_missed"), Figure("first_response_time", "avg"),
                       Figure("handle_time", "avg", label=_("Handling time (average)")), Figure("agent_utilization"), Figure("csat")),
              charts=(Chart("chats", _("Chats"), ("chats_total", "chats_missed"), kind="bar"),
                      Chart("frt", _("First response time (average)"), ("first_response_time.avg",)),
                      Chart("csat", _("CSAT"), ("csat",)))),
    ),
    extra={"not_in_catalogue": _("The internal quality score (IQS) is not in the metric catalogue yet.")},
)

PAGES = {p.id: p for p in (OVERVIEW, LIVE_CHAT, TICKETS, SATISFACTION, TAGS, CANNED, SLA, AGENTS, AGENT)}
# The navigation, in order (the agent page is reached from the leaderboard or an agent's home).
NAV_PAGES = (OVERVIEW, LIVE_CHAT, TICKETS, SATISFACTION, TAGS, CANNED, SLA, AGENTS)
