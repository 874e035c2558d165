"""The heatmap's first row follows the organization's week start, never the
language's (CLDR starts Finnish weeks on Monday and US English ones on Sunday)."""

import pytest

from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.test_views import url

pytestmark = pytest.mark.django_db


def heatmap_rows(client, org, language):
    response = client.get(url("report_live_chat", org), WEEK_QUERY, HTTP_ACCEPT_LANGUAGE=language)
    assert f'<html lang="{language}">' in response.content.decode()
    grid = response.context["report"].section("heatmap").extra["grid"]
    return [(row["weekday"], row["name"]) for row in grid]


def test_a_sunday_week_starts_the_finnish_heatmap_on_sunday(org, week, manager_client):
    org.week_start = 6
    org.save(update_fields=["week_start"])

    rows = heatmap_rows(manager_client, org, "fi")

    assert [weekday for weekday, _name in rows] == [6, 0, 1, 2, 3, 4, 5]
    assert rows[0] == (6, "sunnuntai")
    assert rows[1] == (0, "maanantai")


def test_a_monday_week_starts_the_english_heatmap_on_monday(org, week, manager_client):
    org.week_start = 0
    org.save(update_fields=["week_start"])

    rows = heatmap_rows(manager_client, org, "en")

    assert [name for _weekday, name in rows] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]


def test_a_wednesday_week_in_chinese(org, week, manager_client):
    org.week_start = 2
    org.save(update_fields=["week_start"])

    rows = heatmap_rows(manager_client, org, "zh-hans")

    assert rows[0] == (2, "星期三")
    assert rows[-1] == (1, "星期二")
