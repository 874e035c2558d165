"""Local days and hours, DST-correct, in Europe/Helsinki and America/New_York."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pytest import approx

from reports.builders import day_slots, hour_slots, local_midnight
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import ChatFactory

UTC = dt.UTC
HEL, NYC = ZoneInfo("Europe/Helsinki"), ZoneInfo("America/New_York")


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("tz", "day", "hours"), [
    (HEL, dt.date(2026, 3, 29), 23), (HEL, dt.date(2026, 10, 25), 25), (HEL, dt.date(2026, 3, 2), 24),
    (NYC, dt.date(2026, 3, 8), 23), (NYC, dt.date(2026, 11, 1), 25),
])
def test_day_lengths(tz, day, hours):
    (slot,) = day_slots(day, day, tz)
    assert (slot.end - slot.start) == dt.timedelta(hours=hours)
    assert slot.start == local_midnight(day, tz)
    slots = hour_slots(day, day, tz)
    assert sum((s.end - s.start for s in slots), dt.timedelta()) == dt.timedelta(hours=hours)
    assert slots[0].start == slot.start and slots[-1].end == slot.end
    assert all(a.end == b.start for a, b in zip(slots, slots[1:], strict=False))


def slot_lengths(day, tz) -> dict[int, dt.timedelta]:
    lengths: dict[int, dt.timedelta] = {}
    for s in hour_slots(day, day, tz):
        lengths[s.hour] = lengths.get(s.hour, dt.timedelta()) + (s.end - s.start)
    return lengths


def test_helsinki_spring_day_skips_3_and_autumn_day_repeats_3():
    spring = slot_lengths(dt.date(2026, 3, 29), HEL)
    assert 3 not in spring and len(spring) == 23
    autumn = slot_lengths(dt.date(2026, 10, 25), HEL)
    assert autumn[3] == dt.timedelta(hours=2)
    assert set(autumn) == set(range(24))


def chats_by_day(org, first, last):
    snapshots_rebuild(organization=org, first=first, last=last)
    result = compute(organization=org, metric_ids=["chats_total", "chats_per_hour"], first=first, last=last,
                     group_by="day", compare=False)
    return {g["key"]: g["metrics"] for g in result["groups"]}


@pytest.mark.django_db
def test_helsinki_midnights_around_the_spring_change(org):
    for ts in [utc(2026, 3, 28, 21, 59, 59),   # 23:59:59 on the 28th (UTC+2)
               utc(2026, 3, 28, 22, 0, 0),     # 00:00:00 on the 29th
               utc(2026, 3, 29, 20, 59, 59),   # 23:59:59 on the 29th (now UTC+3)
               utc(2026, 3, 29, 21, 0, 0)]:    # 00:00:00 on the 30th
        ChatFactory(organization=org, requested_at=ts)
    days = chats_by_day(org, dt.date(2026, 3, 28), dt.date(2026, 3, 30))
    assert {k: v["chats_total"]["value"] for k, v in days.items()} == {
        "2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1}
    assert days["2026-03-29"]["chats_per_hour"]["value"] == approx(2 / 23)


@pytest.mark.django_db
def test_helsinki_autumn_repeated_hour_is_one_local_hour(org):
    ChatFactory(organization=org, requested_at=utc(2026, 10, 25, 0, 30))  # 03:30 EEST
    ChatFactory(organization=org, requested_at=utc(2026, 10, 25, 1, 30))  # 03:30 EET, an hour later
    day = dt.date(2026, 10, 25)
    snapshots_rebuild(organization=org, first=day, last=day)
    result = compute(organization=org, metric_ids=["chats_total"], first=day, last=day, group_by="hour", compare=False)
    hours = {g["key"]: g["metrics"]["chats_total"]["value"] for g in result["groups"] if g["metrics"]["chats_total"]["value"]}
    assert hours == {"2026-10-25T03:00": 2}
    assert result["metrics"]["chats_total"]["per_hour"] == approx(2 / 25)


@pytest.mark.django_db
def test_new_york_midnights_around_the_autumn_change(other_org):
    for ts in [utc(2026, 11, 1, 3, 59, 59),    # 23:59:59 EDT on Oct 31
               utc(2026, 11, 1, 4, 0, 0),      # 00:00 EDT on Nov 1
               utc(2026, 11, 2, 4, 59, 59),    # 23:59:59 EST on Nov 1
               utc(2026, 11, 2, 5, 0, 0)]:     # 00:00 EST on Nov 2
        ChatFactory(organization=other_org, requested_at=ts)
    days = chats_by_day(other_org, dt.date(2026, 10, 31), dt.date(2026, 11, 2))
    assert {k: v["chats_total"]["value"] for k, v in days.items()} == {
        "2026-10-31": 1, "2026-11-01": 2, "2026-11-02": 1}
    assert days["2026-11-01"]["chats_per_hour"]["value"] == approx(2 / 25)


@pytest.mark.django_db
def test_new_york_spring_day(other_org):
    ChatFactory(organization=other_org, requested_at=utc(2026, 3, 8, 4, 59))   # 23:59 EST on Mar 7
    ChatFactory(organization=other_org, requested_at=utc(2026, 3, 8, 5, 0))    # 00:00 EST on Mar 8
    ChatFactory(organization=other_org, requested_at=utc(2026, 3, 9, 3, 59))   # 23:59 EDT on Mar 8
    days = chats_by_day(other_org, dt.date(2026, 3, 7), dt.date(2026, 3, 8))
    assert {k: v["chats_total"]["value"] for k, v in days.items()} == {"2026-03-07": 1, "2026-03-08": 2}
