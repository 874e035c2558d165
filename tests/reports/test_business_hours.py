"""reports.business_hours: business seconds between two instants, measured in SQL from the
materialised periods (two lookups and a subtraction), checked by hand and against a plain
Python reference.

Hand-worked (local times; Helsinki is UTC+2, UTC+3 from 2026-03-29 03:00 to 2026-10-25 04:00;
New York UTC−5, UTC−4 from 2026-03-08 02:00 to 2026-11-01 02:00):
- Mon–Fri 09:00–17:00: Friday 17:00 → Monday 09:30 is 30 min (1800 s).
- The same with Monday a holiday: Friday 16:00 → Tuesday 09:30 is 1 h + 30 min (5400 s).
- A yearly holiday on 12-24 closes Thursday 2026-12-24: 12-24 08:00 → 12-25 10:00 is 1 h.
- A split shift 08:00–12:00 and 13:00–17:00: Monday 11:00 → 14:00 is 2 h (the lunch hour is closed).
- An overnight shift Saturday 22:00 → Sunday 06:00: Saturday 23:00 → Sunday 07:00 is 7 h.
- The same shift on the spring-forward night lasts 7 h (local 22:00 → 06:00 skips an hour), on
  the fall-back night 9 h, in both time zones: Saturday 21:00 → Sunday 12:00 measures the shift.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditKind, AuditLogEntry
from reports.business_hours import (
    HolidayDate,
    Interval,
    business_hours_update,
    business_seconds,
    materialise,
    open_periods,
    reference_seconds,
    validate_schedule,
)
from reports.models import BusinessPeriod, DirtyDay
from tests.factories import ChatFactory

pytestmark = pytest.mark.django_db
HEL, NY = ZoneInfo("Europe/Helsinki"), ZoneInfo("America/New_York")
T = dt.time


def at(tz, y, m, d, h, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=tz)


def weekdays(start, end, days=range(5)):
    return [Interval(wd, start, end) for wd in days]


def setup(org, intervals, holidays=()):
    business_hours_update(organization=org, actor=None, intervals=intervals, holidays=list(holidays))


def measure(org, *pairs):
    return business_seconds(org, list(pairs))


def test_friday_17_to_monday_09_30_is_30_minutes(org):
    setup(org, weekdays(T(9), T(17)))
    assert measure(org, (at(HEL, 2026, 3, 6, 17), at(HEL, 2026, 3, 9, 9, 30))) == [1800]


def test_a_holiday_in_between_is_closed(org):
    setup(org, weekdays(T(9), T(17)), [HolidayDate(dt.date(2026, 3, 9), "Closed")])
    assert measure(org, (at(HEL, 2026, 3, 6, 16), at(HEL, 2026, 3, 10, 9, 30))) == [5400]


def test_a_yearly_holiday_closes_the_same_date_every_year(org):
    setup(org, weekdays(T(9), T(17)), [HolidayDate(dt.date(2025, 12, 24), "Christmas Eve", recurring=True)])
    assert measure(org, (at(HEL, 2026, 12, 24, 8), at(HEL, 2026, 12, 25, 10))) == [3600]


def test_a_split_shift_leaves_the_lunch_hour_closed(org):
    setup(org, weekdays(T(8), T(12)) + weekdays(T(13), T(17)))
    assert measure(org, (at(HEL, 2026, 3, 9, 11), at(HEL, 2026, 3, 9, 14))) == [7200]


def test_an_overnight_shift_runs_into_the_next_day(org):
    setup(org, [Interval(5, T(22), T(6), ends_next_day=True)])
    assert measure(org, (at(HEL, 2026, 3, 7, 23), at(HEL, 2026, 3, 8, 7))) == [7 * 3600]


@pytest.mark.parametrize("tz_name,spring,autumn", [
    ("Europe/Helsinki", dt.date(2026, 3, 28), dt.date(2026, 10, 24)),
    ("America/New_York", dt.date(2026, 3, 7), dt.date(2026, 10, 31)),
])
def test_an_overnight_shift_on_both_dst_nights(org, tz_name, spring, autumn):
    org.timezone = tz_name
    org.save()
    tz = ZoneInfo(tz_name)
    setup(org, [Interval(5, T(22), T(6), ends_next_day=True)])
    nights = [(dt.datetime.combine(day, T(21), tz), dt.datetime.combine(day + dt.timedelta(days=1), T(12), tz))
              for day in (spring, autumn, spring - dt.timedelta(days=7))]
    assert measure(org, *nights) == [7 * 3600, 9 * 3600, 8 * 3600]
    # 23:00 → 05:00 inside the shift on the spring-forward night: 5 real hours, not 6 on the clock.
    start, end = dt.datetime.combine(spring, T(23), tz), dt.datetime.combine(spring + dt.timedelta(days=1), T(5), tz)
    assert measure(org, (start, end)) == [(end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds()] == [
        5 * 3600]


def test_no_schedule_means_no_periods(org):
    assert materialise(org) is False
    assert not BusinessPeriod.objects.for_org(org).exists()
    assert measure(org, (at(HEL, 2026, 3, 6, 17), at(HEL, 2026, 3, 9, 9, 30))) == [0]


def test_periods_carry_running_totals(org):
    setup(org, weekdays(T(9), T(17)))
    periods = list(BusinessPeriod.objects.for_org(org).order_by("start_s").values_list("start_s", "end_s", "cum_before"))
    total = 0
    for start, end, cum in periods:
        assert (cum, end - start) == (total, 8 * 3600)
        total += end - start


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("intervals,message", [
    ([Interval(0, T(17), T(9))], "Monday 17:00–09:00 closes before it opens"),
    ([Interval(0, T(9), T(9))], "Monday 09:00–09:00 opens and closes at the same time"),
    ([Interval(0, T(9), T(10), ends_next_day=True)], "an interval lasts at most 24 hours"),
    ([Interval(0, T(9), T(13)), Interval(0, T(12), T(17))], "Monday 09:00–13:00 overlaps Monday 12:00–17:00"),
    ([Interval(6, T(22), T(6), ends_next_day=True), Interval(0, T(5), T(9))],
     "Sunday 22:00–06:00 (next day) overlaps Monday 05:00–09:00"),
])
def test_bad_schedules_are_refused_naming_the_interval(intervals, message):
    with pytest.raises(ValidationError) as error:
        validate_schedule(intervals)
    assert any(message in m for m in error.value.messages), error.value.messages


def test_a_refused_schedule_writes_nothing(org):
    setup(org, weekdays(T(9), T(17)))
    before = list(BusinessPeriod.objects.for_org(org).values_list("start_s", "end_s"))
    audit = AuditLogEntry.objects.for_org(org).count()
    with pytest.raises(ValidationError):
        setup(org, [Interval(0, T(9), T(13)), Interval(0, T(12), T(17))])
    assert list(BusinessPeriod.objects.for_org(org).values_list("start_s", "end_s")) == before
    assert AuditLogEntry.objects.for_org(org).count() == audit


def test_a_change_is_audited_and_marks_every_day_with_data_dirty(org):
    ChatFactory(organization=org, requested_at=at(HEL, 2026, 3, 2, 10))
    ChatFactory(organization=org, requested_at=at(HEL, 2026, 3, 4, 10))
    DirtyDay.objects.for_org(org).delete()
    days = business_hours_update(organization=org, actor=None, intervals=weekdays(T(9), T(17)), holidays=[])
    assert days == {dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)}
    assert set(DirtyDay.objects.for_org(org).values_list("day", flat=True)) >= days
    entry = AuditLogEntry.objects.for_org(org).get(kind=AuditKind.BUSINESS_HOURS_UPDATED)
    assert entry.changes["intervals"][0] == []
    assert entry.changes["intervals"][1][0] == "Monday 09:00–17:00"
    # The same schedule again changes nothing.
    assert business_hours_update(organization=org, actor=None, intervals=weekdays(T(9), T(17)), holidays=[]) == set()


# --- properties -------------------------------------------------------------------------------

SCHEDULE = weekdays(T(8), T(12)) + weekdays(T(13), T(17)) + [Interval(5, T(22), T(6), ends_next_day=True)]
HOLIDAYS = [HolidayDate(dt.date(2026, 3, 11)), HolidayDate(dt.date(2025, 10, 24), recurring=True)]
SPAN_START = at(HEL, 2026, 3, 1, 0)
SPAN_SECONDS = 250 * 86400  # both DST changes of 2026 in Helsinki
instants = st.integers(min_value=0, max_value=SPAN_SECONDS * 10**6).map(
    lambda us: SPAN_START + dt.timedelta(microseconds=us))


@pytest.fixture
def scheduled(org):
    setup(org, SCHEDULE, HOLIDAYS)
    materialise(org, first=dt.date(2026, 2, 1), last=dt.date(2026, 12, 31))
    return org


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(a=instants, b=instants, c=instants)
def test_additive_over_split_points_and_never_more_than_calendar_time(scheduled, a, b, c):
    a, b, c = sorted((a, b, c))
    ab, bc, ac = measure(scheduled, (a, b), (b, c), (a, c))
    assert ac == pytest.approx(ab + bc, abs=1e-4)
    assert 0 <= ac <= (c - a).total_seconds() + 1e-4


@PROPERTY
@given(day=st.integers(min_value=0, max_value=240), start=st.integers(0, 3600), length=st.integers(0, 3600))
def test_zero_inside_closed_periods(scheduled, day, start, length):
    # 12:00–13:00 on weekdays and 17:00–22:00 on Saturdays are always closed.
    date = dt.date(2026, 3, 2) + dt.timedelta(days=day)
    opens = dt.datetime.combine(date, T(12), HEL)
    a = opens + dt.timedelta(seconds=start)
    b = min(a + dt.timedelta(seconds=length), opens + dt.timedelta(hours=1))
    saturday = dt.datetime.combine(date + dt.timedelta(days=(5 - date.weekday()) % 7), T(17), HEL)
    assert measure(scheduled, (a, b), (saturday + dt.timedelta(seconds=start), saturday + dt.timedelta(hours=5))) == [0, 0]


def test_the_sql_equals_a_plain_python_reference_on_random_instants(scheduled):
    rng = random.Random(20261202)
    periods = open_periods(tz=HEL, intervals=SCHEDULE, holidays=HOLIDAYS, first=dt.date(2026, 2, 20),
                           last=dt.date(2026, 11, 30))
    pairs = []
    for _ in range(400):
        a = SPAN_START + dt.timedelta(microseconds=rng.randrange(SPAN_SECONDS * 10**6))
        b = a + dt.timedelta(microseconds=rng.randrange(20 * 86400 * 10**6))
        pairs.append((a, b))
    expected = [reference_seconds(periods, a, b) for a, b in pairs]
    assert measure(scheduled, *pairs) == pytest.approx(expected, abs=1e-4)
    assert sum(expected) > 0 and 0 in expected  # both open and closed spans were drawn
