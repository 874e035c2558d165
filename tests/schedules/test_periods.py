"""Due times and reported periods: local wall-clock times across DST, weeks by the
organization's week start, months of every length."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from schedules.periods import Period, next_run_after, reported_period

HEL = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def weekly(after, weekday=0, time=dt.time(8, 0), tz=HEL):
    return next_run_after(after, frequency="weekly", weekday=weekday, day_of_month=1, local_time=time, tz=tz)


def test_monday_0800_helsinki_fires_at_0600_utc_in_winter_and_0500_in_summer():
    # Winter (EET, UTC+2): Monday 2026-03-23 08:00 local = 06:00 UTC.
    assert weekly(utc(2026, 3, 20, 12)) == utc(2026, 3, 23, 6)
    # Clocks go forward on Sunday 2026-03-29: the next Monday, 2026-03-30 08:00 EEST = 05:00 UTC.
    assert weekly(utc(2026, 3, 23, 6)) == utc(2026, 3, 30, 5)
    # And back on Sunday 2026-10-25: Monday 2026-10-26 08:00 EET = 06:00 UTC again.
    assert weekly(utc(2026, 10, 20)) == utc(2026, 10, 26, 6)


def test_strictly_after_the_given_instant():
    assert weekly(utc(2026, 3, 23, 6)) == utc(2026, 3, 30, 5)
    assert weekly(utc(2026, 3, 23, 5, 59, 59)) == utc(2026, 3, 23, 6)


def test_a_time_in_the_spring_gap_falls_just_after_it():
    # 2026-03-29 03:30 does not exist in Helsinki (03:00 -> 04:00): read with the old offset
    # (+02:00) it is 01:30 UTC, i.e. 04:30 EEST.
    run = next_run_after(utc(2026, 3, 28, 12), frequency="daily", weekday=0, day_of_month=1,
                         local_time=dt.time(3, 30), tz=HEL)
    assert run == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(("due", "week_start", "first", "last"), [
    # Monday 2026-03-30 05:00 UTC (08:00 EEST): the week Mon 03-23 .. Sun 03-29, the one the clocks changed in.
    (utc(2026, 3, 30, 5), 0, dt.date(2026, 3, 23), dt.date(2026, 3, 29)),
    # Monday 2026-10-26 06:00 UTC: Mon 10-19 .. Sun 10-25 (autumn change on its last day).
    (utc(2026, 10, 26, 6), 0, dt.date(2026, 10, 19), dt.date(2026, 10, 25)),
    # Weeks starting on Sunday: due Monday 2026-03-30 -> the week Sun 03-22 .. Sat 03-28.
    (utc(2026, 3, 30, 5), 6, dt.date(2026, 3, 22), dt.date(2026, 3, 28)),
    # 2026-03-29 23:30 UTC is already Monday 03-30 02:30 in Helsinki: the local date decides.
    (utc(2026, 3, 29, 23, 30), 0, dt.date(2026, 3, 23), dt.date(2026, 3, 29)),
    # ... while 21:30 UTC is still Sunday 03-29 locally: the week before.
    (utc(2026, 3, 29, 20, 30), 0, dt.date(2026, 3, 16), dt.date(2026, 3, 22)),
])
def test_the_reported_week_is_the_organizations_local_week(due, week_start, first, last):
    assert reported_period(due, frequency="weekly", org_tz=HEL, week_start=week_start) == Period(first, last)


def test_daily_and_monthly_periods():
    assert reported_period(utc(2026, 3, 30, 5), frequency="daily", org_tz=HEL, week_start=0) == \
        Period(dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert reported_period(utc(2026, 3, 1, 6), frequency="monthly", org_tz=HEL, week_start=0) == \
        Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_a_monthly_schedule_on_the_31st_fires_on_the_30th_of_a_30_day_month():
    def monthly(after):
        return next_run_after(after, frequency="monthly", weekday=0, day_of_month=31, local_time=dt.time(8, 0), tz=HEL)

    # April has 30 days: the run is Thursday 2026-04-30 08:00 EEST = 05:00 UTC.
    april = monthly(utc(2026, 4, 1))
    assert april == utc(2026, 4, 30, 5)
    # Then 2026-05-31, and in February (28 days) the 28th.
    assert monthly(april) == utc(2026, 5, 31, 5)
    assert monthly(utc(2027, 2, 1)) == utc(2027, 2, 28, 6)
    # It reports the previous calendar month: March for the run on April 30.
    assert reported_period(april, frequency="monthly", org_tz=HEL, week_start=0) == \
        Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_previous_period_has_the_same_length():
    assert Period(dt.date(2026, 3, 23), dt.date(2026, 3, 29)).previous == Period(dt.date(2026, 3, 16), dt.date(2026, 3, 22))
