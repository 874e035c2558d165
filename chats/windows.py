"""The windows of time a stored instant or local date must fall in (API.md "Accepted values").

Every write path checks them: the bulk API and ``import_data`` through the ingestion fields
(:mod:`chats.ingestion.fields`), the admin through the model fields' validators. They keep out
values the engine cannot place on a local day (year 1 with a +14:00 offset is before year 1 in
UTC), and they bound how many days one row can mark dirty: a few years of history, not decades.

- ``HISTORY``: customers' acquisition and churn and their purchases, which lifetime value looks
  back on: from 1970-01-01 (UTC) to a week after now.
- ``ACTIVITY``: everything counted on a local day (chats, their messages, tickets, survey
  answers, canned-response uses, agent sessions, quality reviews, website traffic): from
  1 January of the year ``INGEST_HISTORY_YEARS`` (default 5) before the current one, to a week
  after now (clocks that run a little fast, and time zones ahead of UTC).

UTC offsets must be within ±14:00, the widest any time zone uses.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MAX_UTC_OFFSET = dt.timedelta(hours=14)
FUTURE_SLACK = dt.timedelta(days=7)
HISTORY_START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

OFFSET_OUT_OF_RANGE = _("The UTC offset must be between -14:00 and +14:00.")
OUT_OF_WINDOW = _("Must be from %(earliest)s to %(latest)s.")


class Window:
    """A span of instants whose end moves with the clock.

    ``start``: a fixed first instant, or None for 1 January ``INGEST_HISTORY_YEARS`` years before
    the current year. Every timestamp of a bulk batch is checked, so the bounds are worked out
    once a second, not once a value.
    """

    def __init__(self, name: str, *, start: dt.datetime | None, description: str):
        self.name = name
        self.start = start
        self.description = description
        self._cached: tuple | None = None  # (second, earliest, latest)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        second = int(time.time())
        cached = self._cached
        if cached is None or cached[0] != second:
            now = timezone.now()
            earliest = self.start or dt.datetime(now.year - settings.INGEST_HISTORY_YEARS, 1, 1, tzinfo=dt.UTC)
            self._cached = cached = (second, earliest, now + FUTURE_SLACK)
        return cached[1], cached[2]

    def _out_of_window(self, earliest, latest) -> str:
        return str(OUT_OF_WINDOW % {"earliest": earliest.isoformat(), "latest": latest.isoformat()})

    def instant_problem(self, value: dt.datetime) -> str | None:
        """Why an aware datetime is not accepted, or None."""
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            return str(OFFSET_OUT_OF_RANGE)
        earliest, latest = self.bounds()
        # Compare the calendar fields first: converting year 1 (or 9999) to UTC can overflow.
        if not earliest.year - 1 <= value.year <= latest.year + 1 or not earliest <= value <= latest:
            return self._out_of_window(earliest, latest)
        return None

    def date_problem(self, value: dt.date) -> str | None:
        earliest, latest = (bound.date() for bound in self.bounds())
        if not earliest <= value <= latest:
            return self._out_of_window(earliest, latest)
        return None


HISTORY = Window("history", start=HISTORY_START, description="From 1970-01-01 to a week after now.")
ACTIVITY = Window("activity", start=None, description=(
    "From 1 January five years before the current year (INGEST_HISTORY_YEARS) to a week after now."))
WINDOWS = {window.name: window for window in (HISTORY, ACTIVITY)}


@deconstructible
class WindowValidator:
    """A model field validator for the admin and model forms (the ingestion fields check alike)."""

    def __init__(self, window: str):
        self.window = window

    def __call__(self, value) -> None:
        if value is None:
            return
        window = WINDOWS[self.window]
        if isinstance(value, dt.datetime):
            if timezone.is_naive(value):
                value = timezone.make_aware(value, dt.UTC)
            problem = window.instant_problem(value)
        else:
            problem = window.date_problem(value)
        if problem:
            raise ValidationError(problem, code="out_of_window")

    def __eq__(self, other):
        return isinstance(other, WindowValidator) and other.window == self.window

    def __hash__(self):
        return hash(self.window)


in_history = WindowValidator("history")
in_activity = WindowValidator("activity")
