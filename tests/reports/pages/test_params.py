"""Presets and URL parameters of the report pages, worked out by hand for Wednesday 2026-03-04."""

import datetime as dt

import pytest
from django.http import QueryDict

from reports.metrics.service import DateRange
from reports.pages.params import default_group_by, parse_query, preset_range

WED = dt.date(2026, 3, 4)
D = dt.date


@pytest.mark.parametrize(("preset", "expected"), [
    ("today", (D(2026, 3, 4), D(2026, 3, 4))),
    ("yesterday", (D(2026, 3, 3), D(2026, 3, 3))),
    ("last_7_days", (D(2026, 2, 26), D(2026, 3, 4))),
    ("last_30_days", (D(2026, 2, 3), D(2026, 3, 4))),
    ("last_90_days", (D(2025, 12, 5), D(2026, 3, 4))),
    ("this_week", (D(2026, 3, 2), D(2026, 3, 4))),       # weeks start on Monday
    ("last_week", (D(2026, 2, 23), D(2026, 3, 1))),
    ("this_month", (D(2026, 3, 1), D(2026, 3, 4))),
    ("last_month", (D(2026, 2, 1), D(2026, 2, 28))),
    ("this_quarter", (D(2026, 1, 1), D(2026, 3, 4))),
    ("last_quarter", (D(2025, 10, 1), D(2025, 12, 31))),
    ("this_year", (D(2026, 1, 1), D(2026, 3, 4))),
    ("last_year", (D(2025, 1, 1), D(2025, 12, 31))),
])
def test_presets(preset, expected):
    assert preset_range(preset, today=WED, week_start_day=0) == expected


def test_weeks_follow_the_organizations_week_start():
    # Sunday-start weeks (6): Wednesday 4 March belongs to the week of Sunday 1 March.
    assert preset_range("this_week", today=WED, week_start_day=6) == (D(2026, 3, 1), WED)
    assert preset_range("last_week", today=WED, week_start_day=6) == (D(2026, 2, 22), D(2026, 2, 28))


def test_last_month_from_january_and_last_quarter_from_the_first_quarter():
    assert preset_range("last_month", today=D(2026, 1, 15), week_start_day=0) == (D(2025, 12, 1), D(2025, 12, 31))
    assert preset_range("last_quarter", today=D(2026, 2, 1), week_start_day=0) == (D(2025, 10, 1), D(2025, 12, 31))


def q(**params) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update(params)
    return data


@pytest.mark.django_db
def test_custom_range_and_its_url_state(org):
    query, messages = parse_query(q(**{"from": "2026-03-02", "to": "2026-03-08", "group_by": "week", "team": "t1",
                                       "compare": "none"}), organization=org, today=WED)
    assert messages == []
    assert (query.preset, query.first, query.last, query.group_by, query.compare) == (
        "custom", D(2026, 3, 2), D(2026, 3, 8), "week", False)
    assert query.filters == {"team": ["t1"]}
    # The same parameters as GET /api/v1/metrics/.
    assert query.api_params() == {"from": "2026-03-02", "to": "2026-03-08", "group_by": "week", "compare": "none",
                                  "team": ["t1"]}
    assert query.querystring() == "preset=custom&from=2026-03-02&to=2026-03-08&group_by=week&team=t1&compare=none"


@pytest.mark.django_db
def test_a_preset_wins_over_dates_and_the_default_grouping_follows_the_range(org):
    query, _ = parse_query(q(preset="last_7_days", **{"from": "2020-01-01"}), organization=org, today=WED)
    assert (query.first, query.last, query.group_by, query.group_by_given) == (D(2026, 2, 26), WED, "day", False)
    assert "from=" not in query.querystring()
    assert default_group_by(DateRange(WED, WED)) == "hour"
    assert default_group_by(DateRange(D(2025, 3, 5), WED)) == "week"
    assert default_group_by(DateRange(D(2024, 1, 1), WED)) == "month"


@pytest.mark.django_db
@pytest.mark.parametrize("params", [
    {"from": "yesterday"}, {"from": "2026-03-09", "to": "2026-03-01"}, {"from": "0001-01-01", "to": "2026-01-01"},
    {"preset": "fortnight"}, {"from": "2020-01-01", "to": "2026-01-01"},
])
def test_bad_ranges_fall_back_to_the_default_with_a_message(org, params):
    query, messages = parse_query(q(**params), organization=org, today=WED)
    assert (query.preset, query.first, query.last) == ("last_30_days", D(2026, 2, 3), WED)
    assert len(messages) == 1 and "Last 30 days" in messages[0]


@pytest.mark.django_db
def test_an_unknown_grouping_is_named_and_replaced(org):
    query, messages = parse_query(q(group_by="fortnight", preset="last_7_days"), organization=org, today=WED)
    assert query.group_by == "day" and messages == ["Unknown grouping “fortnight”; grouping by Day instead."]
