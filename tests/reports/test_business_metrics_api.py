"""The business metrics through GET /api/v1/metrics/ (issue 11 item 9): listed in the catalogue
with unit and direction, computed with the usual shape (value, n, previous period, change), the
new groupings accepted, and another organization's rows never counted."""

import datetime as dt
from decimal import Decimal

import pytest
from pytest import approx

from reports.snapshots import snapshots_rebuild
from tests.factories import (
    CustomerFactory,
    PurchaseFactory,
    QualityReviewFactory,
    WebsiteTrafficFactory,
)
from tests.reports.dataset import MONDAY, local

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/"
NEW = (
    "iqs",
    "conversion_rate",
    "visitor_chat_rate",
    "feedback_response_rate",
    "retention_rate",
    "churn_rate",
    "clv",
    "referral_rate",
)


def seed(org):
    lost = CustomerFactory(organization=org, acquired_at=local(dt.date(2026, 2, 20), 12))
    CustomerFactory(organization=org, acquired_at=local(dt.date(2026, 2, 21), 12))
    CustomerFactory(organization=org, acquired_at=local(MONDAY, 9), referred_by=lost)
    lost.churned_at = local(MONDAY, 10)
    lost.save()
    PurchaseFactory(
        organization=org, customer=lost, amount=Decimal("10.00"), purchased_at=local(MONDAY, 9)
    )
    WebsiteTrafficFactory(organization=org, date=MONDAY, visitors=50)
    QualityReviewFactory(
        organization=org, reviewed_at=local(MONDAY, 12), scores={"tone": 5, "accuracy": 4}
    )
    snapshots_rebuild(organization=org, first=dt.date(2026, 2, 1), last=MONDAY)


def test_the_catalogue_lists_the_business_metrics(api_client):
    body = api_client.get(URL + "catalogue").json()
    listed = {m["id"]: m for m in (body["metrics"] if isinstance(body, dict) else body)}
    for mid in NEW:
        assert listed[mid]["label"] and listed[mid]["help"] and listed[mid]["unit"]
    assert "× 100" in listed["iqs"]["help"] and "(E − N) ÷ S" in listed["retention_rate"]["help"]
    assert listed["clv"]["unit"] == "money"
    assert listed["churn_rate"]["higher_is_better"] is False
    assert "criterion" in listed["iqs"]["breakdowns"]
    assert "canned_response" in listed["canned_usage"]["breakdowns"]


def test_the_business_metrics_with_their_previous_period(org, other_org, api_client):
    seed(org)
    seed(other_org)  # the same rows in another organization: never counted
    response = api_client.get(
        URL, {"metrics": ",".join(NEW), "from": "2026-03-02", "to": "2026-03-02"}
    )
    assert response.status_code == 200
    metrics = response.json()["metrics"]
    assert set(metrics) == set(NEW)
    for result in metrics.values():
        assert {"value", "n", "previous", "change", "unit"} <= set(result)
    # Two customers at the start of Monday (Feb 20 and 21), one acquired, one lost: (2 - 1) / 2.
    assert (metrics["retention_rate"]["value"], metrics["retention_rate"]["n"]) == (approx(50.0), 2)
    assert metrics["churn_rate"]["value"] == approx(50.0)
    assert metrics["referral_rate"]["value"] == approx(100.0)
    # (5 + 2·4) / (5 + 2·5) with the factory's scorecard (tone ×1, accuracy ×2, max 5).
    assert metrics["iqs"]["value"] == approx(100 * 13 / 15)
    assert metrics["visitor_chat_rate"]["n"] == 50
    # The previous day (Sunday, March 1): the same two customers at its start, none lost.
    assert metrics["churn_rate"]["previous"]["value"] == 0.0


def test_grouping_by_the_new_dimensions(org, api_client):
    seed(org)
    body = api_client.get(
        URL, {"metrics": "iqs", "from": "2026-03-02", "to": "2026-03-02", "group_by": "criterion"}
    )
    assert body.status_code == 200
    assert {g["key"]: g["metrics"]["iqs"]["value"] for g in body.json()["groups"]} == {
        "accuracy": approx(80.0),
        "tone": approx(100.0),
    }
    wrong = api_client.get(
        URL, {"metrics": "clv", "from": "2026-03-02", "to": "2026-03-02", "group_by": "agent"}
    )
    assert wrong.status_code == 400
