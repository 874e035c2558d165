"""When a schedule is due and which local days its e-mail reports. Pure functions of dates and
time zones (no database), so the DST and month-length rules are tested on their own.

A schedule fires at ``local_time`` in its time zone on its day (every day; ``weekday``; the
``day_of_month``, or the month's last day when the month is shorter). The e-mail reports the
period before the day it fires, in the organization's time zone and week start: the previous
day, the previous full week, or the previous calendar month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def previous(self) -> Period:
        days = (self.last - self.first).days + 1
        return Period(self.first - dt.timedelta(days=days), self.first - ONE_DAY)


def local_instant(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at ``time`` on the wall clock of ``tz``, as a UTC instant. A time that does not
    exist (the hour skipped when clocks go forward) is read with the offset before the change,
    i.e. it falls just after the gap; a repeated time is its first occurrence."""
    return dt.datetime.combine(day, time).replace(tzinfo=tz).astimezone(dt.UTC)


def fires_on(day: dt.date, *, frequency: str, weekday: int, day_of_month: int) -> bool:
    if frequency == DAILY:
        return True
    if frequency == WEEKLY:
        return day.weekday() == weekday
    if frequency == MONTHLY:
        return day.day == min(day_of_month, calendar.monthrange(day.year, day.month)[1])
    raise ValueError(f"unknown frequency {frequency!r}")


def next_run_after(after: dt.datetime, *, frequency: str, weekday: int, day_of_month: int, local_time: dt.time,
                   tz: ZoneInfo) -> dt.datetime:
    """The first due instant strictly after ``after``."""
    day = after.astimezone(tz).date() - ONE_DAY  # the day before: a gap time can land on it in UTC
    for _ in range(40):
        if fires_on(day, frequency=frequency, weekday=weekday, day_of_month=day_of_month):
            instant = local_instant(day, local_time, tz)
            if instant > after:
                return instant
        day += ONE_DAY
    raise AssertionError("a schedule fires at least once in 40 days")


def reported_period(due_at: dt.datetime, *, frequency: str, org_tz: ZoneInfo, week_start: int) -> Period:
    """The local days (organization's time zone) the e-mail due at ``due_at`` reports."""
    today = due_at.astimezone(org_tz).date()
    if frequency == DAILY:
        return Period(today - ONE_DAY, today - ONE_DAY)
    if frequency == WEEKLY:
        week = today - dt.timedelta(days=(today.weekday() - week_start) % 7)
        return Period(week - dt.timedelta(days=7), week - ONE_DAY)
    if frequency == MONTHLY:
        last = today.replace(day=1) - ONE_DAY
        return Period(last.replace(day=1), last)
    raise ValueError(f"unknown frequency {frequency!r}")
