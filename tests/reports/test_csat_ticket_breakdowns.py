"""CSAT answers per score and the share of negative ratings, ticket first response and resolution
per priority, and calls resolved: against numbers worked out by hand.

Organization acme (Europe/Helsinki: UTC+2, UTC+3 from Sunday 2026-03-29 03:00 local). The range
2026-03-01..2026-04-02 is the whole month of March (read from its roll-up) and two edge days.

CSAT answers (local time):
a1  1-5       5   Mon 03-02 10:00        positive
a2  1-5       2   Sat 03-28 23:59:59     negative (UTC 21:59:59: still the 28th)
a3  1-5       1   Sun 03-29 00:00:00     negative (UTC 22:00:00 on the 28th: the 29th)
a4  1-5       4   Thu 04-02 12:00        positive
a5  1-10      10  Tue 03-10 12:00        positive
a6  1-10      6   Tue 03-10 13:00        negative
a7  good-bad  0   Wed 03-11 12:00        negative (bad)
a8  good-bad  1   Wed 04-01 12:00        positive (good)
n = 8, positive 4 (CSAT 50%), negative 4 (share 4 / 8 × 100 = 50%).

Tickets (channel; created; first response after; resolved after):
T1  urgent  email  Mon 03-02 09:00         +600 s    +7,200 s (03-02 11:00)
T2  urgent  email  Tue 03-03 09:00         +1,200 s  +86,400 s (03-04 09:00)
T3  high    phone  Sat 03-28 23:30         +900 s    +1,800 s (Sun 03-29 00:00: resolved on the 29th)
T4  normal  phone  Wed 04-01 10:00         —         +86,400 s (04-02 10:00)
T5  low     email  Thu 03-05 09:00         +60 s     (open)
First response by priority: urgent (600 + 1200) / 2 = 900 s, n 2; high 900 s, n 1; normal none;
low 60 s, n 1. Resolution: urgent (7200 + 86400) / 2 = 46,800 s, n 2; high 1,800 s; normal
86,400 s; low none. Calls resolved: T3 and T4 = 2 (of 4 resolved).
"""

import datetime as dt

import pytest

from reports.metrics import compute
from reports.models import DaySnapshot, MonthSnapshot
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, SurveyAnswerFactory, TicketFactory
from tests.reports.dataset import local, secs

pytestmark = pytest.mark.django_db
UTC = dt.UTC
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 4, 2)
SAT, SUN = dt.date(2026, 3, 28), dt.date(2026, 3, 29)


@pytest.fixture
def data(org):
    agent = AgentFactory(organization=org, external_id="a1")
    for scale, score, at in (
        ("1-5", 5, local(dt.date(2026, 3, 2), 10)),
        ("1-5", 2, dt.datetime(2026, 3, 28, 21, 59, 59, tzinfo=UTC)),
        ("1-5", 1, dt.datetime(2026, 3, 28, 22, 0, 0, tzinfo=UTC)),
        ("1-5", 4, local(dt.date(2026, 4, 2), 12)),
        ("1-10", 10, local(dt.date(2026, 3, 10), 12)),
        ("1-10", 6, local(dt.date(2026, 3, 10), 13)),
        ("good-bad", 0, local(dt.date(2026, 3, 11), 12)),
        ("good-bad", 1, local(dt.date(2026, 4, 1), 12)),
    ):
        SurveyAnswerFactory(organization=org, agent=agent, kind="csat", scale=scale, score=score, answered_at=at)
    SurveyAnswerFactory(organization=org, kind="nps", scale="0-10", score=1, answered_at=local(dt.date(2026, 3, 2), 9))
    for priority, channel, created, frt, res in (
        ("urgent", "email", local(dt.date(2026, 3, 2), 9), 600, 7200),
        ("urgent", "email", local(dt.date(2026, 3, 3), 9), 1200, 86400),
        ("high", "phone", local(SAT, 23, 30), 900, 1800),
        ("normal", "phone", local(dt.date(2026, 4, 1), 10), None, 86400),
        ("low", "email", local(dt.date(2026, 3, 5), 9), 60, None),
    ):
        TicketFactory(organization=org, agent=agent, priority=priority, channel=channel, created_at=created,
                      first_response_at=created + secs(frt) if frt is not None else None,
                      resolved_at=created + secs(res) if res is not None else None,
                      status="resolved" if res is not None else "open")
    snapshots_rebuild(organization=org, first=dt.date(2026, 2, 28), last=dt.date(2026, 4, 3))


def metrics(org, first, last, ids=("csat", "tickets_total", "ticket_first_response_time", "resolution_time"), **kw):
    return compute(organization=org, metric_ids=list(ids), first=first, last=last, compare=False, **kw)["metrics"]


def test_csat_answers_per_score_on_each_scale_and_the_share_of_negative_ratings(org, data):
    csat = metrics(org, FIRST, LAST)["csat"]
    assert csat["distribution"] == {
        "1-5": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1},
        "1-10": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 1, "7": 0, "8": 0, "9": 0, "10": 1},
        "good-bad": {"0": 1, "1": 1},
    }
    assert (csat["n"], csat["value"], csat["negative"], csat["negative_share"]) == (8, 50.0, 4, 50.0)
    # The month's roll-up carries the new components (the range reads March from it).
    march = MonthSnapshot.objects.for_org(org).get(month=FIRST)
    assert (march.csat5_score_2, march.csat5_score_1, march.csat10_score_6, march.csatgb_score_0) == (1, 1, 1, 1)


def test_answers_at_local_midnight_of_the_spring_change_go_to_their_local_day(org, data):
    saturday, sunday = metrics(org, SAT, SAT)["csat"], metrics(org, SUN, SUN)["csat"]
    assert saturday["distribution"]["1-5"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0}
    assert sunday["distribution"]["1-5"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}
    assert (saturday["negative_share"], sunday["negative_share"]) == (100.0, 100.0)
    assert DaySnapshot.objects.for_org(org).get(day=SAT).csat5_score_2 == 1
    # No answers: no share (METRICS.md rule 5), and every score 0.
    empty = metrics(org, dt.date(2026, 3, 20), dt.date(2026, 3, 20))["csat"]
    assert empty["negative_share"] is None
    assert set(empty["distribution"]["1-10"].values()) == {0}


def test_ticket_first_response_and_resolution_per_priority(org, data):
    result = metrics(org, FIRST, LAST)
    assert result["ticket_first_response_time"]["by_priority"] == {
        "urgent": {"avg": 900.0, "n": 2}, "high": {"avg": 900.0, "n": 1},
        "normal": {"avg": None, "n": 0}, "low": {"avg": 60.0, "n": 1}}
    assert result["resolution_time"]["by_priority"] == {
        "urgent": {"avg": 46800.0, "n": 2}, "high": {"avg": 1800.0, "n": 1},
        "normal": {"avg": 86400.0, "n": 1}, "low": {"avg": None, "n": 0}}
    # The per-priority n add up to the duration's n.
    assert result["ticket_first_response_time"]["n"] == 4 and result["resolution_time"]["n"] == 4


def test_calls_resolved_are_phone_tickets_resolved_on_their_local_day(org, data):
    totals = metrics(org, FIRST, LAST)["tickets_total"]
    assert (totals["resolved"], totals["calls_resolved"]) == (4, 2)
    # T3: created Saturday 23:30, its first response on Saturday, its resolution at Sunday 00:00.
    saturday, sunday = metrics(org, SAT, SAT), metrics(org, SUN, SUN)
    assert saturday["ticket_first_response_time"]["by_priority"]["high"] == {"avg": 900.0, "n": 1}
    assert saturday["resolution_time"]["by_priority"]["high"] == {"avg": None, "n": 0}
    assert sunday["resolution_time"]["by_priority"]["high"] == {"avg": 1800.0, "n": 1}
    assert (saturday["tickets_total"]["calls_resolved"], sunday["tickets_total"]["calls_resolved"]) == (0, 1)
    # April's two days (day rows, no roll-up): T4 resolved on the 2nd, a phone ticket.
    april = metrics(org, dt.date(2026, 4, 1), LAST)
    assert april["tickets_total"]["calls_resolved"] == 1
    assert april["resolution_time"]["by_priority"]["normal"] == {"avg": 86400.0, "n": 1}


def test_the_new_components_per_agent_and_per_channel(org, data):
    by_agent = compute(organization=org, metric_ids=["tickets_total", "csat", "resolution_time"], first=FIRST,
                       last=LAST, group_by="agent", compare=False)["groups"]
    (a1,) = by_agent
    assert a1["key"] == "a1"
    assert a1["metrics"]["tickets_total"]["calls_resolved"] == 2
    assert a1["metrics"]["csat"]["negative_share"] == 50.0
    assert a1["metrics"]["resolution_time"]["by_priority"]["urgent"] == {"avg": 46800.0, "n": 2}
    by_channel = {g["key"]: g["metrics"] for g in compute(
        organization=org, metric_ids=["tickets_total"], first=FIRST, last=LAST, group_by="channel",
        compare=False)["groups"]}
    assert by_channel["phone"]["tickets_total"]["calls_resolved"] == 2
    assert by_channel["email"]["tickets_total"]["calls_resolved"] == 0
