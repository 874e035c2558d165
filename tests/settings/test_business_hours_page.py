"""The business-hours settings page: the weekly schedule (split and overnight shifts) and the
holidays saved through reports.business_hours.business_hours_update, all or nothing, with
validate_schedule's messages on the rows they are about."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry
from reports.business_hours import (
    HolidayDate,
    Interval,
    business_hours_update,
    business_seconds,
    schedule_of,
)
from reports.models import DirtyDay
from tests.factories import ChatFactory

pytestmark = pytest.mark.django_db
T = dt.time


def url(org):
    return reverse("settings_business_hours", kwargs={"org_slug": org.slug})


def post_data(intervals=(), holidays=(), *, interval_initial=0, holiday_initial=0, extra_blank=1):
    """The page's POST: ``intervals`` as (weekday, start, end, next_day[, delete]) rows and
    ``holidays`` as (date, name, recurring[, delete]) rows, plus blank rows as the page has."""
    data = {"intervals-TOTAL_FORMS": len(intervals) + extra_blank, "intervals-INITIAL_FORMS": interval_initial,
            "holidays-TOTAL_FORMS": len(holidays) + extra_blank, "holidays-INITIAL_FORMS": holiday_initial}
    for i, (weekday, start, end, next_day, *delete) in enumerate(intervals):
        data.update({f"intervals-{i}-weekday": weekday, f"intervals-{i}-start": start, f"intervals-{i}-end": end})
        if next_day:
            data[f"intervals-{i}-ends_next_day"] = "on"
        if delete:
            data[f"intervals-{i}-DELETE"] = "on"
    for i, (date, name, recurring, *delete) in enumerate(holidays):
        data.update({f"holidays-{i}-date": date, f"holidays-{i}-name": name})
        if recurring:
            data[f"holidays-{i}-recurring"] = "on"
        if delete:
            data[f"holidays-{i}-DELETE"] = "on"
    for name in ("intervals", "holidays"):
        blank = data[f"{name}-TOTAL_FORMS"] - extra_blank
        for i in range(blank, data[f"{name}-TOTAL_FORMS"]):
            data.update({f"{name}-{i}-weekday": "", f"{name}-{i}-start": "", f"{name}-{i}-end": ""}
                        if name == "intervals" else {f"{name}-{i}-date": "", f"{name}-{i}-name": ""})
    return data


def test_a_split_shift_an_overnight_shift_and_a_recurring_holiday_are_saved(org, owner, owner_client):
    ChatFactory(organization=org, requested_at=dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC))
    response = owner_client.post(url(org), post_data(
        intervals=[(0, "09:00", "12:00", False), (0, "13:00", "17:00", False), (4, "22:00", "06:00", True)],
        holidays=[("2026-12-24", "Christmas Eve", True)],
    ), follow=True)
    assert response.status_code == 200
    intervals, holidays = schedule_of(org)
    assert intervals == [Interval(0, T(9), T(12)), Interval(0, T(13), T(17)), Interval(4, T(22), T(6), True)]
    assert holidays == [HolidayDate(dt.date(2026, 12, 24), "Christmas Eve", True)]
    page = response.content.decode()
    assert "are being rebuilt for the 1 day with data." in page  # 2026-03-04
    assert set(DirtyDay.objects.for_org(org).values_list("day", flat=True)) == {dt.date(2026, 3, 4)}
    entry = AuditLogEntry.objects.for_org(org).get()
    assert (entry.kind, entry.actor_id) == (AuditKind.BUSINESS_HOURS_UPDATED, owner.pk)
    assert entry.changes == {
        "intervals": [[], ["Monday 09:00–12:00", "Monday 13:00–17:00", "Friday 22:00–06:00 (next day)"]],
        "holidays": [[], ["2026-12-24 Christmas Eve (every year)"]],
    }
    # The saved rows come back on the page, the summary lists the split day.
    assert 'value="13:00"' in page and "Christmas Eve" in page
    # The engine measures them (Helsinki, UTC+2): Monday 2026-03-09 08:00 -> 18:00 is 3 h + 4 h;
    # Friday 2026-03-13 21:00 -> Saturday 07:00 is 22:00 -> 06:00, 8 h.
    hel = org.tzinfo
    assert business_seconds(org, [
        (dt.datetime(2026, 3, 9, 8, tzinfo=hel), dt.datetime(2026, 3, 9, 18, tzinfo=hel)),
        (dt.datetime(2026, 3, 13, 21, tzinfo=hel), dt.datetime(2026, 3, 14, 7, tzinfo=hel)),
    ]) == [7 * 3600, 8 * 3600]


def test_an_interval_ending_before_it_starts_is_refused_on_its_row(org, owner_client):
    business_hours_update(organization=org, actor=None, intervals=[Interval(1, T(8), T(16))], holidays=[])
    response = owner_client.post(url(org), post_data(
        intervals=[(0, "09:00", "12:00", False), (2, "17:00", "09:00", False)]))
    assert response.status_code == 400
    formset = response.context["intervals"]
    assert formset.forms[0].non_field_errors() == []
    assert formset.forms[1].non_field_errors() == [
        "Wednesday 17:00–09:00 closes before it opens; tick “closes the next day” for an overnight shift."]
    page = response.content.decode()
    assert "Nothing was saved: correct the rows marked below." in page
    assert 'class="row-errors"' in page
    assert schedule_of(org)[0] == [Interval(1, T(8), T(16))]  # nothing saved
    assert AuditLogEntry.objects.for_org(org).count() == 1  # the setup's row only


def test_overlapping_intervals_are_refused_naming_both(org, owner_client):
    response = owner_client.post(url(org), post_data(
        intervals=[(0, "09:00", "12:00", False), (0, "11:00", "13:00", False), (6, "22:00", "02:00", True),
                   (0, "01:00", "03:00", False)]))
    assert response.status_code == 400
    errors = [f.non_field_errors() for f in response.context["intervals"].forms[:4]]
    assert errors == [
        [], ["Monday 09:00–12:00 overlaps Monday 11:00–13:00."], [],
        # Sunday's overnight shift runs into Monday 00:00-02:00.
        ["Sunday 22:00–02:00 (next day) overlaps Monday 01:00–03:00."],
    ]
    assert schedule_of(org) == ([], [])


def test_a_date_listed_twice_is_refused(org, owner_client):
    response = owner_client.post(url(org), post_data(
        intervals=[(0, "09:00", "17:00", False)],
        holidays=[("2026-05-01", "May Day", True), ("2027-05-01", "May Day again", True)]))
    assert response.status_code == 400
    assert response.context["holidays"].forms[1].non_field_errors() == ["2027-05-01 is listed twice."]
    assert schedule_of(org) == ([], [])


def test_bad_times_and_half_filled_rows_get_field_messages(org, owner_client):
    response = owner_client.post(url(org), post_data(intervals=[(0, "9am", "", False)]))
    assert response.status_code == 400
    row = response.context["intervals"].forms[0]
    assert row.errors == {"start": ["Write the time as HH:MM."], "end": ["Give the closing time."]}


def test_rows_ticked_for_removal_are_removed(org, owner_client):
    business_hours_update(organization=org, actor=None,
                          intervals=[Interval(0, T(9), T(17)), Interval(1, T(9), T(17))],
                          holidays=[HolidayDate(dt.date(2026, 1, 1), "New Year", True)])
    page = owner_client.get(url(org)).content.decode()
    assert 'name="intervals-INITIAL_FORMS" value="2"' in page
    owner_client.post(url(org), post_data(
        intervals=[(0, "09:00", "17:00", False), (1, "09:00", "17:00", False, "delete")],
        holidays=[("2026-01-01", "New Year", True, "delete")], interval_initial=2, holiday_initial=1))
    assert schedule_of(org) == ([Interval(0, T(9), T(17))], [])


def test_saving_the_same_schedule_changes_nothing(org, owner_client):
    business_hours_update(organization=org, actor=None, intervals=[Interval(0, T(9), T(17))], holidays=[])
    response = owner_client.post(url(org), post_data(intervals=[(0, "09:00", "17:00", False)], interval_initial=1),
                                 follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert AuditLogEntry.objects.for_org(org).count() == 1  # the setup's row only


@pytest.mark.parametrize("prefix", ["intervals", "holidays"])
def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(org, owner_client, prefix):
    data = post_data(intervals=[(0, "09:00", "17:00", False), (1, "9am", "", False)],
                     holidays=[("2026-12-24", "Christmas Eve", True)])
    data["add_row"] = prefix
    response = owner_client.post(url(org), data)
    assert response.status_code == 200
    intervals, holidays = response.context["intervals"], response.context["holidays"]
    assert len(intervals.forms) == 3 + (prefix == "intervals")  # two typed rows and a blank one
    assert len(holidays.forms) == 2 + (prefix == "holidays")
    html = response.content.decode()
    new_row = len(intervals.forms if prefix == "intervals" else holidays.forms) - 1
    assert f'name="{prefix}-{new_row}-' in html and 'value="9am"' in html and 'value="Christmas Eve"' in html
    assert all(not form.errors for form in intervals.forms)  # the half-typed row is not judged yet
    assert "A row was added" in html
    assert schedule_of(org) == ([], []) and not AuditLogEntry.objects.for_org(org).exists()


def test_enter_in_a_field_saves_rather_than_adds_a_row(org, owner_client):
    html = owner_client.get(url(org)).content.decode()
    form = html[html.index('<form method="post" novalidate class="business-hours-form">'):]
    first_button = form[form.index("<button"):form.index("</button>")]
    assert 'name="add_row"' not in first_button and "Save business hours" in first_button
