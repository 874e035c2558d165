"""Every metric of the Metric engine issue against the hand-built week of tests/reports/dataset.py.

Expected values are worked out by hand in the comments; percentiles use the nearest-rank rule
and must be within 2% of the exact value (the histograms promise 1.5%).
"""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.reports.dataset import MONDAY, build_week

pytestmark = pytest.mark.django_db

WEDNESDAY = MONDAY + dt.timedelta(days=2)
PCT = 0.02  # allowed relative error of a percentile


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=7), last=MONDAY + dt.timedelta(days=7))
    return objects


def metrics(org, ids, first=MONDAY, last=MONDAY, **kwargs):
    return compute(organization=org, metric_ids=ids, first=first, last=last, **kwargs)


def test_chat_volumes(org, week):
    m = metrics(org, ["chats_total", "chats_answered", "chats_missed", "chats_per_hour"])["metrics"]
    assert m["chats_total"]["value"] == 5
    assert m["chats_total"]["per_hour"] == approx(5 / 24)
    # Two agents answered 3 chats between them.
    assert m["chats_total"]["per_agent"] == approx(1.5)
    assert m["chats_answered"]["value"] == 3
    assert m["chats_answered"]["share"] == approx(60.0)
    assert m["chats_missed"]["value"] == 2
    assert m["chats_missed"]["missed_rate"] == approx(40.0)
    assert m["chats_missed"]["by_reason"] == {"visitor_left": 1, "timeout": 0, "no_agent_online": 1, "other": 0}
    assert m["chats_per_hour"]["value"] == approx(5 / 24)


def test_durations(org, week):
    m = metrics(org, ["first_response_time", "wait_time", "chat_duration", "wrap_up_time", "handle_time"])["metrics"]
    frt = m["first_response_time"]
    # 30, 50, 70 s: mean 50; nearest rank p50 = 2nd = 50, p90 = ceil(2.7) = 3rd = 70.
    assert (frt["value"], frt["avg"], frt["n"]) == (approx(50), approx(50), 3)
    assert frt["p50"] == approx(50, rel=PCT)
    assert frt["p90"] == approx(70, rel=PCT)
    # Default chat FRT target 60 s: 30 and 50 met, 70 not.
    assert frt["within_target"] == approx(200 / 3)
    assert frt["unit"] == "seconds"
    # Waits 20, 40, 60: total 120 over 3 answered chats.
    assert (m["wait_time"]["avg"], m["wait_time"]["total"]) == (approx(40), approx(120))
    assert m["wait_time"]["within_target"] == approx(100.0)
    assert m["chat_duration"]["avg"] == approx(600)   # (600 + 900 + 300) / 3
    assert m["chat_duration"]["p90"] == approx(900, rel=PCT)
    assert (m["wrap_up_time"]["avg"], m["wrap_up_time"]["n"]) == (approx(90), 2)  # c3 was never closed
    # Handle = duration + wrap-up: 660, 1020, 300 (no wrap-up) → mean 660.
    assert m["handle_time"]["avg"] == approx(660)
    assert m["handle_time"]["p50"] == approx(660, rel=PCT)


def test_conversation_metrics(org, week):
    m = metrics(org, ["response_time", "messages_per_chat", "chat_outcomes", "transfer_rate", "fcr_rate"])["metrics"]
    # (90 + 200 + 40) s over (3 + 5 + 2) replies.
    assert (m["response_time"]["value"], m["response_time"]["n"]) == (approx(33.0), 10)
    # Per-chat means 30, 40, 20: median 30.
    assert m["response_time"]["p50"] == approx(30, rel=PCT)
    assert m["messages_per_chat"]["value"] == approx(10.0)  # (6 + 20 + 4) / 3
    assert m["messages_per_chat"]["distribution"] == {"short": 1, "medium": 1, "long": 1}
    assert m["chat_outcomes"]["resolved"] == approx(200 / 3)
    assert m["chat_outcomes"]["escalated"] == approx(100 / 3)
    assert m["chat_outcomes"]["unresolved"] == approx(0.0)
    assert m["transfer_rate"]["value"] == approx(100 / 3)
    # c1 is followed by c3 from the same customer within 72 h, c2 was escalated: only c3 counts.
    assert (m["fcr_rate"]["value"], m["fcr_rate"]["n"]) == (approx(100 / 3), 3)
    assert m["fcr_rate"]["repeat_contact"] == approx(100 / 3)
    assert m["fcr_rate"]["low_sample"] is True  # 3 < the default minimum sample of 10


def test_tags_and_canned_responses(org, week):
    m = metrics(org, ["tag_usage", "canned_usage"])["metrics"]
    assert m["tag_usage"]["value"] == approx(40.0)             # c1, c2 of 5 chats
    assert m["tag_usage"]["tags_per_chat"] == approx(0.6)      # 3 tags on 5 chats
    assert m["tag_usage"]["high_priority"] == approx(20.0)     # c2 (vip)
    canned = m["canned_usage"]
    assert canned["value"] == approx(100 / 3)                  # c1 of 3 answered
    assert canned["uses"] == 2
    assert canned["per_chat"] == approx(2 / 3)
    assert canned["time_saved_seconds"] == approx(60.0)        # 2 uses × 20 words at 40 wpm
    assert canned["csat_with"] == approx(100.0)                # c1 rated 5
    assert canned["csat_without"] == approx(50.0)              # c2 rated 2, c3 rated 4


def test_per_tag_breakdown(org, week):
    groups = metrics(org, ["chats_total"], group_by="tag")["groups"]
    assert {g["key"]: g["metrics"]["chats_total"]["value"] for g in groups} == {"billing": 2, "vip": 1}


def test_utilization(org, week):
    m = metrics(org, ["agent_utilization"])["metrics"]["agent_utilization"]
    # Busy: A1 600 + 900 s, A2 300 s = 1,800 s of 11 online hours (39,600 s).
    assert m["value"] == approx(100 * 1800 / 39600)
    assert m["online_hours"] == approx(11.0)
    assert m["chats_per_online_hour"] == approx(3 / 11)
    assert m["concurrency"] == approx(1.0)


def test_satisfaction(org, week):
    m = metrics(org, ["csat"])["metrics"]["csat"]
    assert (m["value"], m["n"], m["positive"]) == (approx(200 / 3), 3, 2)
    assert m["average_score"] == approx(11 / 3)
    assert m["very_satisfied"] == approx(100 / 3)
    assert m["negative"] == 1
    assert m["low_sample"] is True
    low, high = m["ci95"]
    assert low < 200 / 3 < high


def test_tickets_over_three_days(org, week):
    m = metrics(org, ["tickets_total", "ticket_first_response_time", "resolution_time",
                      "complaint_resolution_time", "reopen_rate"], last=WEDNESDAY)["metrics"]
    assert m["tickets_total"]["value"] == 3
    assert m["tickets_total"]["by_priority"] == {"urgent": 1, "high": 1, "normal": 1, "low": 0}
    assert m["tickets_total"]["backlog"] == 1  # 3 created − 2 resolved by Wednesday night
    # 2 h and 30 min first replies; t3 has none yet.
    assert (m["ticket_first_response_time"]["avg"], m["ticket_first_response_time"]["n"]) == (approx(4500), 2)
    assert m["ticket_first_response_time"]["within_target"] == approx(100.0)
    # Resolved: t2 in 3 h, t1 in 48 h.
    assert m["resolution_time"]["avg"] == approx((3 + 48) * 3600 / 2)
    assert m["resolution_time"]["within_target"] == approx(50.0)  # high: 24 h target missed
    assert m["reopen_rate"]["value"] == approx(50.0)
    # METRICS.md: "filed Monday, resolved Wednesday = 2 days".
    assert m["complaint_resolution_time"]["avg_days"] == approx(2.0)


def test_backlog_by_day(org, week):
    groups = metrics(org, ["tickets_total"], last=WEDNESDAY, group_by="day")["groups"]
    assert [(g["key"], g["metrics"]["tickets_total"]["backlog"]) for g in groups] == [
        ("2026-03-02", 1), ("2026-03-03", 2), ("2026-03-04", 1),
    ]


def test_sla_compliance(org, week):
    m = metrics(org, ["sla_compliance"], last=WEDNESDAY)["metrics"]["sla_compliance"]
    by_measure = {x["measure"]: (x["met"], x["n"]) for x in m["measures"]}
    assert by_measure == {"chat_first_response": (2, 3), "chat_wait": (3, 3),
                          "ticket_first_response": (2, 2), "ticket_resolution": (1, 2)}
    assert m["value"] == approx(80.0)  # 8 of 10 met
    assert m["breached"] == 2


def test_channel_mix(org, week):
    m = metrics(org, ["channel_mix"], last=WEDNESDAY)["metrics"]["channel_mix"]
    shares = {row["channel"]: (row["contacts"], row["share"]) for row in m["channels"]}
    assert shares == {"chat": (5, approx(62.5)), "email": (2, approx(25.0)), "phone": (1, approx(12.5))}
    assert m["value"] == 8


def test_traffic_heatmap_uses_local_hours(org, week):
    cells = metrics(org, ["traffic_heatmap"], last=WEDNESDAY)["metrics"]["traffic_heatmap"]["cells"]
    monday = {c["hour"]: (c["chats"], c["tickets"]) for c in cells if c["weekday"] == 0}
    assert monday == {9: (0, 1), 10: (1, 0), 11: (1, 0), 12: (0, 1), 14: (1, 0), 15: (1, 0), 23: (1, 0)}
    assert {(c["weekday"], c["hour"]) for c in cells if c["weekday"] == 1} == {(1, 10)}


def test_group_by_agent(org, week):
    groups = {g["key"]: g["metrics"] for g in metrics(
        org, ["chats_total", "first_response_time", "chats_per_hour", "agent_utilization"], group_by="agent")["groups"]}
    assert set(groups) == {"a1", "a2"}  # c5 had no agent
    assert groups["a1"]["chats_total"]["value"] == 2
    assert groups["a2"]["chats_total"]["value"] == 2  # c3 and the missed c4 routed to A2
    assert groups["a1"]["first_response_time"]["avg"] == approx(40)
    assert groups["a2"]["first_response_time"]["avg"] == approx(70)
    assert groups["a1"]["chats_per_hour"]["value"] == approx(2 / 8)  # answered ÷ online hours
    assert groups["a2"]["agent_utilization"]["value"] == approx(100 * 300 / (3 * 3600))


def test_filter_by_team_equals_that_teams_agent(org, week):
    by_team = metrics(org, ["chats_total", "first_response_time"], filters={"team": ["Tier 1"]})["metrics"]
    assert by_team["chats_total"]["value"] == 2
    assert by_team["first_response_time"]["avg"] == approx(40)


def test_week_and_month_are_added_not_averaged(org, week):
    # One day with 3 answered chats, next day none: the week's FRT is still the 3 chats' mean.
    week_groups = metrics(org, ["first_response_time", "chats_total"], last=MONDAY + dt.timedelta(days=6),
                          group_by="week")["groups"]
    assert len(week_groups) == 1 and week_groups[0]["key"] == "2026-03-02"
    assert week_groups[0]["metrics"]["first_response_time"]["avg"] == approx(50)
    month = metrics(org, ["chats_total"], first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 31), group_by="month")
    assert [(g["key"], g["metrics"]["chats_total"]["value"]) for g in month["groups"]] == [("2026-03", 5)]


def test_previous_period_and_change(org, week):
    tuesday = MONDAY + dt.timedelta(days=1)
    result = metrics(org, ["chats_total", "first_response_time"], first=tuesday, last=tuesday)["metrics"]
    assert result["chats_total"]["value"] == 0
    assert result["chats_total"]["previous"]["value"] == 5
    assert result["chats_total"]["change"] == approx(-1.0)
    assert result["first_response_time"]["value"] is None
    assert result["first_response_time"]["previous"]["value"] == approx(50)
    assert result["first_response_time"]["change"] is None


def test_another_organization_is_not_counted(org, other_org, week):
    build_week(other_org)
    snapshots_rebuild(organization=other_org, first=MONDAY, last=MONDAY)
    assert metrics(org, ["chats_total"])["metrics"]["chats_total"]["value"] == 5
