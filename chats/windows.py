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
from dataclasses import dataclass

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


def history_years() -> int:
    return settings.INGEST_HISTORY_YEARS


@dataclass(frozen=True)
class Window:
    """A span of instants, evaluated when a value is checked (its end moves with the clock)."""

    name: str

    def bounds(self, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
        now = now or timezone.now()
        if self.name == "history":
            earliest = HISTORY_START
        else:
            earliest = dt.datetime(now.year - history_years(), 1, 1, tzinfo=dt.UTC)
        return earliest, now + FUTURE_SLACK

    def date_bounds(self, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
        earliest, latest = self.bounds(now)
        return earliest.date(), latest.date()

    def instant_problem(self, value: dt.datetime) -> str | None:
        """Why an aware datetime is not accepted, or None."""
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            return str(OFFSET_OUT_OF_RANGE)
        earliest, latest = self.bounds()
        # Compare the calendar fields first: converting year 1 (or 9999) to UTC can overflow.
        if not earliest.year - 1 <= value.year <= latest.year + 1 or not earliest <= value <= latest:
            return str(OUT_OF_WINDOW % {"earliest": earliest.isoformat(), "latest": latest.isoformat()})
        return None

    def date_problem(self, value: dt.date) -> str | None:
        earliest, latest = self.date_bounds()
        if not earliest <= value <= latest:
            return str(OUT_OF_WINDOW % {"earliest": earliest.isoformat(), "latest": latest.isoformat()})
        return None


HISTORY = Window("history")
ACTIVITY = Window("activity")


@deconstructible
class WindowValidator:
    """A model field validator for the admin and model forms (the ingestion fields check alike)."""

    def __init__(self, window: str):
        self.window = window

    def __call__(self, value) -> None:
        if value is None:
            return
        window = HISTORY if self.window == "history" else ACTIVITY
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
