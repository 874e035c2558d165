"""IQS (issue 11 item 5): Σ(weight × score) ÷ Σ(weight × max score) × 100 from quality reviews
against the organization's scorecard, per agent and per criterion, worked out by hand.

Scorecard: tone (weight 1, max 5), accuracy (weight 2, max 5).
review  agent  day (Helsinki)     tone  accuracy  weighted score     weighted max
q1      A      Mon 2026-03-02     4     5         1·4 + 2·5 = 14     1·5 + 2·5 = 15
q2      B      Mon 2026-03-02     2     3         1·2 + 2·3 = 8      15
q3      A      Tue 2026-04-14     5     —         1·5 = 5            1·5 = 5   (accuracy not scored)
"""

import datetime as dt

import pytest
from pytest import approx

from chats.models import QualityScorecard
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, QualityReviewFactory, QualityScorecardFactory
from tests.reports.dataset import MONDAY, local

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 14)


def build(org):
    card = QualityScorecardFactory(organization=org)
    a = AgentFactory(organization=org, external_id="a", name="Aino")
    b = AgentFactory(organization=org, external_id="b", name="Bo")
    for agent, when, scores in (
        (a, local(MONDAY, 10), {"tone": 4, "accuracy": 5}),
        (b, local(MONDAY, 11), {"tone": 2, "accuracy": 3}),
        (a, local(APRIL, 9), {"tone": 5}),
    ):
        QualityReviewFactory(
            organization=org, agent=agent, scorecard=card, reviewed_at=when, scores=scores
        )


def iqs(org, first, last, group_by=None):
    result = compute(
        organization=org,
        metric_ids=["iqs"],
        first=first,
        last=last,
        group_by=group_by,
        compare=False,
    )
    if group_by is None:
        return result["metrics"]["iqs"]
    return {g["key"]: g["metrics"]["iqs"] for g in result["groups"]}


def test_iqs_over_one_day_per_agent_and_per_criterion(org):
    build(org)
    snapshots_rebuild(organization=org, first=MONDAY, last=APRIL)
    day = iqs(org, MONDAY, MONDAY)
    # (14 + 8) ÷ (15 + 15) = 22/30.
    assert day["value"] == approx(100 * 22 / 30)
    assert (day["n"], day["weighted_score"], day["weighted_max"]) == (2, 22, 30)
    assert day["low_sample"] is True
    agents = iqs(org, MONDAY, MONDAY, "agent")
    assert agents["a"]["value"] == approx(100 * 14 / 15)
    assert agents["b"]["value"] == approx(100 * 8 / 15)
    criteria = iqs(org, MONDAY, MONDAY, "criterion")
    # tone: (4 + 2) ÷ (5 + 5); accuracy: (10 + 6) ÷ (10 + 10); n = reviews scoring it.
    assert criteria["tone"]["value"] == approx(60.0)
    assert criteria["accuracy"]["value"] == approx(80.0)
    assert (criteria["tone"]["n"], criteria["accuracy"]["n"]) == (2, 2)
    labels = compute(
        organization=org, metric_ids=["iqs"], first=MONDAY, last=MONDAY, group_by="criterion"
    )["groups"]
    assert [g["label"] for g in labels] == ["Accuracy", "Tone"]


def test_iqs_over_several_months_adds_components_and_divides_once(org):
    build(org)
    first, last = dt.date(2026, 3, 1), dt.date(2026, 5, 31)
    snapshots_rebuild(organization=org, first=first, last=last)
    total = iqs(org, first, last)
    # (22 + 5) ÷ (30 + 5) = 77.14 %; the mean of March (73.3) and April (100) would be 86.7.
    assert total["value"] == approx(100 * 27 / 35)
    assert total["n"] == 3
    months = {
        g["key"]: g["metrics"]["iqs"]["value"]
        for g in compute(
            organization=org,
            metric_ids=["iqs"],
            first=first,
            last=last,
            group_by="month",
            compare=False,
        )["groups"]
    }
    assert months == {"2026-03": approx(100 * 22 / 30), "2026-04": approx(100.0), "2026-05": None}
    assert iqs(org, first, last, "agent")["a"]["value"] == approx(
        100 * 19 / 20
    )  # (14 + 5) ÷ (15 + 5)
    criteria = iqs(org, first, last, "criterion")
    assert criteria["tone"]["value"] == approx(100 * 11 / 15)  # (4 + 2 + 5) ÷ (5 + 5 + 5)
    assert criteria["accuracy"]["value"] == approx(80.0)  # April's review did not score it


def test_a_late_review_changes_the_figures_once_its_day_is_rebuilt(org):
    build(org)
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    card = QualityScorecard.objects.for_org(org).get()
    QualityReviewFactory(
        organization=org,
        agent=AgentFactory(organization=org),
        scorecard=card,
        reviewed_at=local(MONDAY, 15),
        scores={"tone": 0, "accuracy": 0},
    )
    assert iqs(org, MONDAY, MONDAY)["value"] == approx(100 * 22 / 30)  # not rebuilt yet
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    assert iqs(org, MONDAY, MONDAY)["value"] == approx(100 * 22 / 45)


def test_no_reviews_or_no_scorecard_give_null(org):
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    result = iqs(org, MONDAY, MONDAY)
    assert (result["value"], result["n"]) == (None, 0)
