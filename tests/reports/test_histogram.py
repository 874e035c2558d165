import json
import math

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.histogram import (
    QUANTILES,
    RELATIVE_ACCURACY,
    HistogramSQL,
    bucket_of,
    exact_quantile,
    from_values,
    merge,
    pack,
    packed_quantiles,
    quantile,
    unpack,
)

durations = st.lists(st.floats(min_value=0.001, max_value=3e7, allow_nan=False), min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(durations, st.sampled_from([0.5, 0.9, 0.1, 0.99, 1.0]))
def test_percentiles_are_within_two_percent_of_exact(values, q):
    estimate, exact = quantile(from_values(values), q), exact_quantile(values, q)
    assert abs(estimate - exact) <= 0.02 * exact
    assert abs(estimate - exact) <= RELATIVE_ACCURACY * exact * (1 + 1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(durations, min_size=1, max_size=8))
def test_merged_daily_histograms_equal_one_histogram_of_all_values(days):
    merged = merge(from_values(day) for day in days)
    assert merged == from_values([v for day in days for v in day])


def test_zero_and_empty():
    assert quantile({}, 0.5) is None
    assert quantile(from_values([0, 0, 5]), 0.5) == 0.0
    assert bucket_of(-1) == bucket_of(0) == "z"
    assert math.isclose(quantile(from_values([60.0]), 0.5), 60.0, rel_tol=RELATIVE_ACCURACY)


# --- the stored form (PostgreSQL: packed bigint[]) ------------------------------------------

with_zeros = st.lists(st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=3.2e8, allow_nan=False)),
                      min_size=0, max_size=300)


@settings(max_examples=200, deadline=None)
@given(with_zeros)
def test_packing_keeps_the_histogram_and_its_percentiles(values):
    hist = from_values(values)
    packed = pack(hist)
    assert packed == sorted(packed)  # bucket order is value order, the zero bucket first
    assert unpack(packed) == hist
    assert packed_quantiles(packed) == [quantile(hist, q) for q in QUANTILES]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(with_zeros, min_size=1, max_size=6))
def test_histograms_summed_in_sql_equal_the_python_merge(days):
    """The SQL the roll-ups and reads use (unnest, sum per bucket, re-pack) on stored values."""
    from reports.models import DaySnapshot
    from tests.factories import OrganizationFactory

    org = OrganizationFactory()
    for i, values in enumerate(days):
        DaySnapshot.objects.for_org(org).create(organization=org, day=f"2026-01-{i + 1:02d}", wait_time_hist=from_values(values),
                                   first_response_time_hist=from_values(values[:3]))
    hs = HistogramSQL(connection.vendor)
    columns = ["wait_time_hist", "first_response_time_hist"]
    joins, metric, bucket, count = hs.unnest_all("s", columns)
    sql = (f"SELECT p.metric, {hs.aggregate('p.b', 'p.n')} FROM (SELECT {metric} AS metric, {bucket} AS b, "
           f"SUM({count}) AS n FROM reports_daysnapshot s{joins} WHERE s.organization_id = %s "
           f"GROUP BY {metric}, {bucket}) p GROUP BY p.metric")
    with connection.cursor() as cur:
        cur.execute(sql, [org.pk])
        summed = dict(cur.fetchall())
    for i, take in enumerate((lambda v: v, lambda v: v[:3])):
        want = merge(from_values(take(values)) for values in days)
        got = summed.get(i)
        stored = unpack(got) if isinstance(got, list) else json.loads(got or "{}")  # PostgreSQL / SQLite
        assert {b: int(n) for b, n in stored.items()} == want
        assert hs.quantiles(got) == [quantile(want, q) for q in QUANTILES]
