"""The worked examples of METRICS.md, reproduced exactly, end to end where the data allows
(rows → snapshots → compute) and on the metric's pure function where the example is stated in
components (a range of 4 hours is not a range of local days)."""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import REGISTRY, Totals, compute
from reports.snapshots import snapshots_rebuild
from tests.factories import SurveyAnswerFactory, TicketFactory
from tests.reports.dataset import MONDAY, answered_chat, local

pytestmark = pytest.mark.django_db


def day_metrics(org, ids, first=MONDAY, last=MONDAY):
    snapshots_rebuild(organization=org, first=first, last=last)
    return compute(organization=org, metric_ids=ids, first=first, last=last, compare=False)["metrics"]


def test_chats_per_hour_120_chats_in_4_hours_is_30():
    result = REGISTRY["chats_per_hour"].evaluate(Totals({"chats_total": 120}, hours=4))
    assert result["value"] == 30


def test_average_wait_500_minutes_over_200_answered_is_2_5_minutes(org):
    # 100 chats waiting 1 minute and 100 waiting 4 minutes: 500 minutes in all.
    for i in range(200):
        answered_chat(org, None, local(MONDAY, 8) + dt.timedelta(minutes=2 * i), wait=60 if i % 2 else 240,
                      frt=300, duration=60)
    wait = day_metrics(org, ["wait_time"])["wait_time"]
    assert wait["total"] == approx(500 * 60)
    assert wait["n"] == 200
    assert wait["avg"] / 60 == approx(2.5)


def test_csat_30_positive_of_50_is_60_percent(org):
    for i in range(50):
        SurveyAnswerFactory(organization=org, kind="csat", scale="1-5", score=5 if i < 20 else 4 if i < 30 else 2,
                            answered_at=local(MONDAY, 12))
    csat = day_metrics(org, ["csat"])["csat"]
    assert (csat["value"], csat["n"], csat["low_sample"]) == (approx(60.0), 50, False)
    # Wilson 95% interval of 30/50, worked out: centre 0.59287, half-width 0.13105 (API.md: [46.2, 72.4]).
    assert csat["ci95"] == [approx(46.18, abs=0.01), approx(72.39, abs=0.01)]


@pytest.mark.parametrize(("scale", "scores", "positive"), [
    ("1-10", [10, 9, 8, 1], 2), ("good-bad", [1, 1, 0, 1], 3),
])
def test_csat_positive_on_other_scales(org, scale, scores, positive):
    for score in scores:
        SurveyAnswerFactory(organization=org, kind="csat", scale=scale, score=score, answered_at=local(MONDAY, 12))
    assert day_metrics(org, ["csat"])["csat"]["value"] == approx(100 * positive / 4)


def test_nps_70_percent_promoters_10_percent_detractors_is_60(org):
    for score in [10, 10, 9, 9, 9, 10, 9, 8, 7, 6]:  # 7 promoters, 2 passives, 1 detractor
        SurveyAnswerFactory(organization=org, kind="nps", scale="0-10", score=score, answered_at=local(MONDAY, 12))
    nps = day_metrics(org, ["nps"])["nps"]
    assert nps["value"] == approx(60.0)
    assert (nps["promoters"], nps["passives"], nps["detractors"]) == (approx(70.0), approx(20.0), approx(10.0))
    # SE of the difference: sqrt((0.7 + 0.1 − 0.6²) / 10) = 0.2098; ± 1.96 × SE = ± 41.11,
    # and the upper end is clipped to NPS's maximum of 100.
    assert nps["ci95"] == [approx(60 - 41.11, abs=0.01), 100.0]


def test_ces_is_the_mean_effort_on_its_scale(org):
    for score in [2, 3, 4, 7]:
        SurveyAnswerFactory(organization=org, kind="ces", scale="1-7", score=score, answered_at=local(MONDAY, 12))
    SurveyAnswerFactory(organization=org, kind="ces", scale="1-5", score=5, answered_at=local(MONDAY, 12))
    ces = day_metrics(org, ["ces"])["ces"]
    assert (ces["value"], ces["n"], ces["scale"]) == (approx(4.0), 4, "1-7")
    assert ces["by_scale"]["1-5"] == {"value": approx(5.0), "n": 1}
    # Sample SD of 2, 3, 4, 7 is sqrt(14/3); half-width 1.96 × sqrt(14/3 / 4) = 2.117.
    assert ces["ci95"] == [approx(4 - 2.117, abs=0.001), approx(4 + 2.117, abs=0.001)]


def test_complaint_filed_monday_resolved_wednesday_is_2_days(org):
    wednesday = MONDAY + dt.timedelta(days=2)
    TicketFactory(organization=org, created_at=local(MONDAY, 9), resolved_at=local(wednesday, 9),
                  status="resolved", is_complaint=True)
    result = day_metrics(org, ["complaint_resolution_time"], last=wednesday)["complaint_resolution_time"]
    assert result["avg_days"] == approx(2.0)


def test_escalated_ticket_counts_from_its_escalation(org):
    TicketFactory(organization=org, created_at=local(MONDAY, 9), escalated_at=local(MONDAY, 12),
                  resolved_at=local(MONDAY, 18), status="resolved")
    assert day_metrics(org, ["complaint_resolution_time"])["complaint_resolution_time"]["avg"] == approx(6 * 3600)
