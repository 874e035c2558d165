"""conversion_rate, visitor_chat_rate and feedback_response_rate (issue 11 items 1, 2 and 6),
worked out by hand.

Monday 2026-03-02 (Helsinki), 200 website visitors:
chat  agent  answered  initiated  converted             value  after follow-up  time on site
c1    A      yes       visitor    +30 min (1,800 s)     100    no               120 s
c2    A      yes       agent      +2 h (7,200 s)        50     yes              60 s
c3    B      yes       visitor    —                                            —
c4    B      yes       agent      —
c5    B      yes       visitor    —
c6    B      missed (visitor left)                                             30 s
Tuesday 2026-04-14, 100 visitors: c7 (A, answered, visitor) converted +600 s, value 30.

Survey answers with a comment: Monday 3 (2 replied) + 1 without a comment; April 1 (replied).
"""

import datetime as dt
from decimal import Decimal

import pytest
from pytest import approx

from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, SurveyAnswerFactory, WebsiteTrafficFactory
from tests.reports.dataset import MONDAY, answered_chat, local, missed_chat

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 14)
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 5, 31)
HISTOGRAM_ERROR = 0.02  # METRICS.md rule 3


def chat(
    org,
    agent,
    requested,
    *,
    proactive=False,
    converted_after=None,
    value=None,
    follow_up=False,
    on_site=None,
):
    return answered_chat(
        org,
        agent,
        requested,
        wait=10,
        frt=20,
        duration=600,
        initiated_by="agent" if proactive else "visitor",
        converted_at=requested + dt.timedelta(seconds=converted_after) if converted_after else None,
        conversion_value=Decimal(value) if value is not None else None,
        conversion_after_follow_up=follow_up,
        time_on_site_before_chat_s=on_site,
    )


def build(org):
    a = AgentFactory(organization=org, external_id="a", name="Aino")
    b = AgentFactory(organization=org, external_id="b", name="Bo")
    chat(org, a, local(MONDAY, 10), converted_after=1800, value=100, on_site=120)
    chat(
        org,
        a,
        local(MONDAY, 11),
        proactive=True,
        converted_after=7200,
        value=50,
        follow_up=True,
        on_site=60,
    )
    chat(org, b, local(MONDAY, 12))
    chat(org, b, local(MONDAY, 13), proactive=True)
    chat(org, b, local(MONDAY, 14))
    missed = missed_chat(org, b, local(MONDAY, 15), "visitor_left")
    missed.time_on_site_before_chat_s = 30
    missed.save()
    chat(org, a, local(APRIL, 10), converted_after=600, value=30)
    WebsiteTrafficFactory(organization=org, date=MONDAY, visitors=200)
    WebsiteTrafficFactory(organization=org, date=APRIL, visitors=100)
    for i, replied in enumerate((True, True, False)):
        answered = local(MONDAY, 16, i)
        SurveyAnswerFactory(
            organization=org,
            kind="csat",
            scale="1-5",
            score=4,
            answered_at=answered,
            comment="Thanks",
            responded_at=answered + dt.timedelta(hours=1) if replied else None,
        )
    SurveyAnswerFactory(
        organization=org, kind="csat", scale="1-5", score=5, answered_at=local(MONDAY, 17)
    )
    SurveyAnswerFactory(
        organization=org,
        kind="csat",
        scale="1-5",
        score=2,
        answered_at=local(APRIL, 12),
        comment="Slow",
        responded_at=local(APRIL, 13),
    )


def metrics(org, first, last, ids, group_by=None):
    result = compute(
        organization=org, metric_ids=ids, first=first, last=last, group_by=group_by, compare=False
    )
    if group_by is None:
        return result["metrics"]
    return {g["key"]: g["metrics"] for g in result["groups"]}


@pytest.fixture
def built(org):
    build(org)
    snapshots_rebuild(organization=org, first=FIRST, last=LAST)
    return org


def test_conversion_rate_over_one_day(built):
    conv = metrics(built, MONDAY, MONDAY, ["conversion_rate"])["conversion_rate"]
    # 2 conversions (c1, c2) of 5 answered chats.
    assert (conv["value"], conv["n"], conv["count"]) == (approx(40.0), 5, 2)
    assert conv["time_to_conversion"]["avg"] == approx((1800 + 7200) / 2)
    assert conv["time_to_conversion"]["n"] == 2
    assert conv["time_to_conversion"]["p50"] == approx(
        1800, rel=HISTOGRAM_ERROR
    )  # nearest rank: 1st of 2
    assert conv["time_to_conversion"]["p90"] == approx(7200, rel=HISTOGRAM_ERROR)
    assert (conv["value_sum"], conv["value_per_conversion"]) == (approx(150), approx(75))
    # Proactive: c2 of c2, c4; reactive: c1 of c1, c3, c5.
    assert (conv["proactive"]["value"], conv["proactive"]["n"]) == (approx(50.0), 2)
    assert (conv["reactive"]["value"], conv["reactive"]["n"]) == (approx(100 / 3), 3)
    assert (conv["after_follow_up"], conv["after_follow_up_count"]) == (approx(50.0), 1)
    agents = metrics(built, MONDAY, MONDAY, ["conversion_rate"], "agent")
    assert agents["a"]["conversion_rate"]["value"] == approx(100.0)
    assert (agents["b"]["conversion_rate"]["value"], agents["b"]["conversion_rate"]["n"]) == (
        0.0,
        3,
    )


def test_conversion_rate_over_several_months_adds_components_and_divides_once(built):
    conv = metrics(built, FIRST, LAST, ["conversion_rate"])["conversion_rate"]
    # 3 of 6 answered; (1800 + 7200 + 600) / 3; (100 + 50 + 30) / 3.
    assert (conv["value"], conv["n"]) == (approx(50.0), 6)
    assert conv["time_to_conversion"]["avg"] == approx(3200)
    assert (conv["value_sum"], conv["value_per_conversion"]) == (approx(180), approx(60))
    assert conv["after_follow_up"] == approx(100 / 3)
    assert conv["reactive"]["value"] == approx(50.0)  # c1, c7 of c1, c3, c5, c7


def test_visitor_chat_rate_over_one_day_and_several_months(built):
    day = metrics(built, MONDAY, MONDAY, ["visitor_chat_rate"])["visitor_chat_rate"]
    # 6 chats of 200 visitors; time on site (120 + 60 + 30) / 3; 2 of 6 converted; 1 of 6 left.
    assert (day["value"], day["n"], day["chats"]) == (approx(3.0), 200, 6)
    assert (day["time_on_site_before_chat"], day["time_on_site_n"]) == (approx(70), 3)
    assert day["conversion_after_chat"] == approx(100 / 3)
    assert day["abandonment"] == approx(100 / 6)
    rng = metrics(built, FIRST, LAST, ["visitor_chat_rate"])["visitor_chat_rate"]
    assert (rng["value"], rng["visitors"], rng["chats"]) == (approx(100 * 7 / 300), 300, 7)
    months = metrics(built, FIRST, LAST, ["visitor_chat_rate"], "month")
    assert months["2026-04"]["visitor_chat_rate"]["value"] == approx(1.0)
    assert months["2026-05"]["visitor_chat_rate"]["value"] is None  # no traffic rows: null


def test_feedback_response_rate_over_one_day_and_several_months(built):
    day = metrics(built, MONDAY, MONDAY, ["feedback_response_rate"])["feedback_response_rate"]
    assert (day["value"], day["n"], day["count"]) == (approx(100 * 2 / 3), 3, 2)
    rng = metrics(built, FIRST, LAST, ["feedback_response_rate"])["feedback_response_rate"]
    assert (rng["value"], rng["n"]) == (approx(75.0), 4)


def test_empty_inputs_give_null(org):
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    result = metrics(
        org, MONDAY, MONDAY, ["conversion_rate", "visitor_chat_rate", "feedback_response_rate"]
    )
    assert [result[m]["value"] for m in result] == [None, None, None]


def test_a_late_traffic_row_changes_the_figures_once_its_day_is_rebuilt(built):
    WebsiteTrafficFactory(organization=built, date=MONDAY + dt.timedelta(days=1), visitors=100)
    week = (MONDAY, MONDAY + dt.timedelta(days=1))
    assert metrics(built, *week, ["visitor_chat_rate"])["visitor_chat_rate"]["n"] == 200
    snapshots_rebuild(organization=built, first=week[1], last=week[1])
    assert metrics(built, *week, ["visitor_chat_rate"])["visitor_chat_rate"]["value"] == approx(2.0)
