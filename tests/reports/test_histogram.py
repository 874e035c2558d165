import math

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.histogram import (
    RELATIVE_ACCURACY,
    bucket_of,
    exact_quantile,
    from_values,
    merge,
    quantile,
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
