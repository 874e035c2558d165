"""Charts carry their labels and tooltip texts formatted in the page's language, and the locale
Chart.js writes the value axis' ticks in (static/js/reports.js passes it to Intl.NumberFormat)."""

import json
import re

import pytest

from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.test_views import url

pytestmark = pytest.mark.django_db
CHART = re.compile(r'<script id="(chart-[^"]+)" type="application/json">(.*?)</script>', re.S)


def charts(client, org, language) -> dict:
    page = client.get(
        url("report_overview", org), WEEK_QUERY, HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    return {m.group(1): json.loads(m.group(2)) for m in CHART.finditer(page)}


@pytest.mark.parametrize(
    ("language", "locale", "first_day", "csat", "frt"),
    [
        ("en", "en", "Mar 2", "66.7%", "50 sec"),
        ("fi", "fi", "2.3.", "66,7\xa0%", "50 s"),
        ("bg", "bg", "2.03", "66,7%", "50 с"),
        ("et", "et", "2. märts", "66,7%", "50 s"),
        ("zh-hans", "zh-Hans", "3月2日", "66.7%", "50秒"),
    ],
)
def test_chart_labels_tooltips_and_axis_locale(
    org, week, manager_client, language, locale, first_day, csat, frt
):
    specs = charts(manager_client, org, language)

    csat_chart, frt_chart = specs["chart-trend-csat"], specs["chart-trend-frt"]
    assert csat_chart["locale"] == frt_chart["locale"] == locale
    assert csat_chart["axis_unit"] == "percent" and csat_chart["axis_max"] == 100
    assert frt_chart["axis_unit"] == "seconds"
    assert csat_chart["labels"][0] == first_day  # Monday 2 March 2026
    assert csat_chart["datasets"][0]["display"][0] == csat  # 2 of 3 ratings satisfied
    assert csat_chart["datasets"][0]["data"][0] == pytest.approx(
        66.667, abs=0.001
    )  # the number stays a number
    assert frt_chart["datasets"][0]["display"][0] == frt
