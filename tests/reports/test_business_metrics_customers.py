"""retention_rate, churn_rate, clv and referral_rate (issue 11 item 3): METRICS.md's worked
examples end to end (rows -> snapshots -> compute), customers counted at the range's start and
end (local midnight, Europe/Helsinki) from daily flows."""

import datetime as dt
from decimal import Decimal

import pytest
from pytest import approx

from chats.models import Customer
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import CustomerFactory, PurchaseFactory
from tests.reports.dataset import local

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def customers(org, n, acquired, prefix, **fields):
    return Customer.unscoped.bulk_create(
        CustomerFactory.build(
            organization=org, external_id=f"{prefix}-{i}", acquired_at=acquired, **fields
        )
        for i in range(n)
    )


def churn(customer_list, when):
    for c in customer_list:
        c.churned_at = when
    Customer.unscoped.bulk_update(customer_list, ["churned_at"])


def read(org, ids, first, last, group_by=None):
    result = compute(
        organization=org, metric_ids=ids, first=first, last=last, group_by=group_by, compare=False
    )
    return result if group_by else result["metrics"]


def test_retention_s_200_e_200_n_20_is_90_percent(org):
    start = customers(org, 200, local(dt.date(2026, 1, 15), 12), "old")
    customers(org, 20, local(dt.date(2026, 3, 10), 12), "new")
    churn(start[:20], local(dt.date(2026, 3, 20), 12))
    snapshots_rebuild(organization=org, first=dt.date(2026, 1, 1), last=MARCH[1])
    crr = read(org, ["retention_rate"], *MARCH)["retention_rate"]
    assert (crr["start"], crr["end"], crr["acquired"], crr["lost"]) == (200, 200, 20, 20)
    assert crr["value"] == approx(90.0)  # (200 - 20) / 200


def test_churn_20_lost_of_250_is_8_percent_and_months_follow_each_other(org):
    start = customers(org, 250, local(dt.date(2026, 1, 15), 12), "old")
    churn(start[:20], local(dt.date(2026, 3, 20), 12))
    churn(start[20:25], local(dt.date(2026, 4, 2), 12))
    snapshots_rebuild(organization=org, first=dt.date(2026, 1, 1), last=dt.date(2026, 4, 30))
    churned = read(org, ["churn_rate"], *MARCH)["churn_rate"]
    assert (churned["value"], churned["n"], churned["count"]) == (approx(8.0), 250, 20)
    # By month: April starts with March's end (230), 5 lost: 5/230; January starts with none.
    months = {
        g["key"]: g["metrics"]["churn_rate"]
        for g in read(org, ["churn_rate"], dt.date(2026, 1, 1), dt.date(2026, 4, 30), "month")[
            "groups"
        ]
    }
    assert months["2026-01"]["value"] is None  # no customers at the start of January
    assert (months["2026-02"]["start"], months["2026-02"]["value"]) == (250, 0.0)
    assert months["2026-03"]["value"] == approx(8.0)
    assert (months["2026-04"]["start"], months["2026-04"]["value"]) == (230, approx(100 * 5 / 230))
    # March and April together: 25 of 250, the components added and divided once.
    assert read(org, ["churn_rate"], dt.date(2026, 3, 1), dt.date(2026, 4, 30))["churn_rate"][
        "value"
    ] == approx(10.0)


def test_a_customer_acquired_at_local_midnight_counts_from_that_local_day(org):
    # 2026-03-01 00:30 in Helsinki is still February in UTC: the customer is there at the start
    # of March 2 but not of March 1.
    customers(org, 1, local(dt.date(2026, 3, 1), 0, 30), "edge")
    snapshots_rebuild(organization=org, first=dt.date(2026, 2, 1), last=dt.date(2026, 3, 2))
    assert read(org, ["retention_rate"], *MARCH)["retention_rate"]["start"] == 0
    assert (
        read(org, ["retention_rate"], dt.date(2026, 3, 2), dt.date(2026, 3, 2))["retention_rate"][
            "start"
        ]
        == 1
    )


def test_clv_50_dollars_5_purchases_a_year_3_years_is_750(org):
    # One year (365 days) from 2025-03-01. X and Y are customers at its start; X churns in it
    # after exactly 3 years (1,095 days), Z is acquired: 2 at the start, 2 at the end.
    first, last = dt.date(2025, 3, 1), dt.date(2026, 2, 28)
    x_acquired = dt.datetime(2022, 6, 1, 12, tzinfo=UTC)
    x = CustomerFactory(
        organization=org, acquired_at=x_acquired, churned_at=x_acquired + dt.timedelta(days=1095)
    )
    y = CustomerFactory(organization=org, acquired_at=dt.datetime(2024, 1, 1, 12, tzinfo=UTC))
    z = CustomerFactory(organization=org, acquired_at=dt.datetime(2025, 9, 1, 12, tzinfo=UTC))
    # 10 purchases of $50 in the year: 10 ÷ 2 customers ÷ 1 year = 5 a year. One before it.
    for i, who in enumerate([x, y, z] * 3 + [y]):
        PurchaseFactory(
            organization=org,
            customer=who,
            amount=Decimal("50.00"),
            purchased_at=dt.datetime(2025, 4, 1 + i, 12, tzinfo=UTC),
        )
    PurchaseFactory(
        organization=org,
        customer=y,
        amount=Decimal("100.00"),
        purchased_at=dt.datetime(2024, 6, 1, 12, tzinfo=UTC),
    )
    org.gross_margin = Decimal("0.4")
    org.save()
    snapshots_rebuild(organization=org, first=dt.date(2022, 6, 1), last=last)
    clv = read(org, ["clv"], first, last)["clv"]
    assert (clv["start"], clv["end"], clv["n"]) == (2, 2, 10)
    assert clv["average_purchase_value"] == approx(50)
    assert clv["purchase_frequency_per_year"] == approx(5)
    assert clv["average_lifespan_years"] == approx(3)
    assert clv["value"] == approx(750)
    # Historical: ($100 + 10 × $50) over the 3 customers ever acquired × 40% margin.
    assert clv["historical_clv"] == approx(600 / 3 * 0.4)


def test_referral_rate_and_empty_inputs(org):
    snapshots_rebuild(organization=org, first=MARCH[0], last=MARCH[1])
    empty = read(org, ["retention_rate", "churn_rate", "clv", "referral_rate"], *MARCH)
    assert [empty[m]["value"] for m in empty] == [None, None, None, None]
    referrer = CustomerFactory(organization=org, acquired_at=local(dt.date(2026, 1, 5), 12))
    customers(org, 3, local(dt.date(2026, 3, 5), 12), "referred", referred_by=referrer)
    customers(org, 1, local(dt.date(2026, 3, 6), 12), "plain")
    snapshots_rebuild(organization=org, first=dt.date(2026, 1, 1), last=MARCH[1])
    referral = read(org, ["referral_rate"], *MARCH)["referral_rate"]
    assert (referral["value"], referral["n"], referral["count"]) == (approx(75.0), 4, 3)


def test_a_late_purchase_changes_clv_once_its_day_is_rebuilt(org):
    customer = CustomerFactory(organization=org, acquired_at=local(dt.date(2026, 1, 5), 12))
    PurchaseFactory(
        organization=org,
        customer=customer,
        amount=Decimal("20.00"),
        purchased_at=local(MARCH[0], 12),
    )
    snapshots_rebuild(organization=org, first=dt.date(2026, 1, 1), last=MARCH[1])
    assert read(org, ["clv"], *MARCH)["clv"]["average_purchase_value"] == approx(20)
    PurchaseFactory(
        organization=org,
        customer=customer,
        amount=Decimal("40.00"),
        purchased_at=local(MARCH[1], 12),
    )
    assert read(org, ["clv"], *MARCH)["clv"]["average_purchase_value"] == approx(20)
    snapshots_rebuild(organization=org, first=MARCH[1], last=MARCH[1])
    assert read(org, ["clv"], *MARCH)["clv"]["average_purchase_value"] == approx(30)
