"""Hand-written expectations: how each product language writes a percentage, a large count, a
duration, a date, a date range and weekday names (reports.formatting, Babel's CLDR data).

Spaces are spelled out: NBSP is U+00A0 (no-break), NNBSP U+202F (narrow no-break)."""

import datetime as dt

import pytest
from django.utils import translation

from reports import formatting

NBSP, NNBSP = "\xa0", "\u202f"

EXPECTED = {
    "en": {
        "percent": "85.3%",
        "count": "1,234,567",
        "duration": "2 min 5 sec",
        "long_duration": "1 day 1 hr",
        "date": "Nov 23, 2026",
        "decimal": "4.25",
    },
    "fi": {
        "percent": f"85,3{NBSP}%",
        "count": f"1{NBSP}234{NBSP}567",
        "duration": "2 min 5 s",
        "long_duration": "1 pv 1 t",
        "date": "23.11.2026",
        "decimal": "4,25",
    },
    "bg": {
        "percent": "85,3%",
        "count": f"1{NBSP}234{NBSP}567",
        "duration": "2 мин 5 с",
        "long_duration": "1 д 1 ч",
        "date": f"23.11.2026{NNBSP}г.",
        "decimal": "4,25",
    },
    "et": {
        "percent": "85,3%",
        "count": f"1{NBSP}234{NBSP}567",
        "duration": "2 min 5 s",
        "long_duration": "1 p 1 t",
        "date": "23. nov 2026",
        "decimal": "4,25",
    },
    "zh-hans": {
        "percent": "85.3%",
        "count": "1,234,567",
        "duration": "2分钟5秒",
        "long_duration": "1天1小时",
        "date": "2026年11月23日",
        "decimal": "4.25",
    },
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_numbers_durations_and_dates_in_each_language(language):
    with translation.override(language):
        got = {
            "percent": formatting.percent(85.25),  # half up: 85.25 -> 85.3
            "count": formatting.number(1_234_567),
            "duration": formatting.duration(125),
            "long_duration": formatting.duration(90_061),
            "date": formatting.date(dt.date(2026, 11, 23)),
            "decimal": formatting.score(4.25),
        }
    assert got == EXPECTED[language]


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("fi", 45, "45 s"),
        ("fi", 60, "1 min"),
        ("fi", 3725, "1 t 2 min"),
        ("bg", 3600, "1 ч"),
        ("bg", 4.5, "4,5 с"),
        ("et", 172_800, "2 p"),
        ("zh-hans", 3725, "1小时2分钟"),
        ("zh-hans", 45, "45秒"),
        ("en", 7200, "2 hr"),
    ],
)
def test_duration_shapes(language, seconds, expected):
    with translation.override(language):
        assert formatting.duration(seconds) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Nov 23\u2009–\u200929, 2026"),
        ("fi", "23.–29. marraskuuta 2026"),
        ("et", "23.–29. nov 2026"),
        ("zh-hans", "2026年11月23日至29日"),
    ],
)
def test_a_week_as_a_date_range(language, expected):
    with translation.override(language):
        assert formatting.date_range(dt.date(2026, 11, 23), dt.date(2026, 11, 29)) == expected


def test_weekday_names_start_where_the_organization_starts_its_week():
    with translation.override("fi"):
        assert formatting.weekday_names(0) == ["ma", "ti", "ke", "to", "pe", "la", "su"]
        assert formatting.weekday_names(6) == ["su", "ma", "ti", "ke", "to", "pe", "la"]
    with translation.override("bg"):
        assert formatting.weekday_names(0)[:2] == ["пн", "вт"]
    with translation.override("zh-hans"):
        assert formatting.weekday_names(6)[:2] == ["周日", "周一"]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Mar 2, 14:00"), ("fi", "2.3. 14.00"), ("bg", "2.03, 14:00 ч."), ("et", "2. märts 14:00"),
    ("zh-hans", "3月2日 14:00"),
])
def test_an_hour_group_is_a_day_and_a_time(language, expected):
    """A one-day range groups its charts and tables by hour (CLDR has no combined skeleton; a
    failed lookup there used to be a 500 on every one-day report page)."""
    from reports.pages.renderer import period_label, period_short_label

    with translation.override(language):
        assert period_label("2026-03-02T14:00", "hour") == expected
        assert period_short_label("2026-03-02T14:00", "hour") == expected
