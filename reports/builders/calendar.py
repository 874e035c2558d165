"""The local-day calendar of a build: DST-correct UTC boundaries of an organization's local days
and hours, computed in Python with zoneinfo and joined in SQL as small tables (the SQL needs no
time-zone support, so it runs on PostgreSQL and SQLite alike)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CALENDAR_STEP = dt.timedelta(minutes=15)  # every real UTC offset is a multiple of 15 minutes


@dataclass(frozen=True)
class Slot:
    day: dt.date
    hour: int | None
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime    # UTC, exclusive


def local_midnight(day: dt.date, tz) -> dt.datetime:
    """The UTC instant a local day starts (DST-correct: the first instant of that date)."""
    naive = dt.datetime.combine(day, dt.time())
    start = naive.replace(tzinfo=tz)
    # A midnight that does not exist (a DST gap at 00:00) starts at the gap's end.
    if start.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        start = start.replace(fold=1)
    return start.astimezone(dt.UTC)


def day_slots(first: dt.date, last: dt.date, tz) -> list[Slot]:
    slots, day = [], first
    while day <= last:
        nxt = day + dt.timedelta(days=1)
        slots.append(Slot(day, None, local_midnight(day, tz), local_midnight(nxt, tz)))
        day = nxt
    return slots


def hour_slots(first: dt.date, last: dt.date, tz) -> list[Slot]:
    """UTC intervals labelled with their local (day, hour). In the autumn DST change one local
    hour happens twice: two slots with the same label, which grouping adds together."""
    slots: list[Slot] = []
    for d in day_slots(first, last, tz):
        t = d.start
        while t < d.end:
            local = t.astimezone(tz)
            label = (local.date(), local.hour)
            step_end = min(t + CALENDAR_STEP, d.end)
            if slots and (slots[-1].day, slots[-1].hour) == label and slots[-1].end == t:
                slots[-1] = Slot(label[0], label[1], slots[-1].start, step_end)
            else:
                slots.append(Slot(label[0], label[1], t, step_end))
            t = step_end
    return slots


STEP_SECONDS = int(CALENDAR_STEP.total_seconds())


def step_labels(first: dt.date, last: dt.date, tz) -> list[tuple[int, dt.date, int]]:
    """(step index, local day, local hour) of every 15-minute UTC step in the local days.

    A point in time falls in step ``floor(epoch seconds / 900)``; joining on that index is an
    equality (hash) join, so labelling a million rows costs one pass, not rows × slots.
    """
    out = []
    for slot in hour_slots(first, last, tz):
        t = slot.start
        while t < slot.end:
            out.append((int(t.timestamp()) // STEP_SECONDS, slot.day, slot.hour))
            t += CALENDAR_STEP
    return out
