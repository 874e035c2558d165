"""Business hours: the weekly schedule and holidays, materialised as UTC periods with running
totals, and the SQL that measures business seconds between two instants set-based.

The schedule (BusinessInterval rows: weekday, local start and end, ends the next day for an
overnight shift) and the holidays (Holiday rows, optionally every year) are in the
organization's local time. ``materialise`` turns them into BusinessPeriod rows: every open
period of every local day over a span of days, converted to UTC (so a DST night's shift is as
long as it really is), overlaps merged, each with ``cum_before``, the business seconds of every
earlier period. With C(t) = ``cum_before`` of the last period starting at or before t plus the
part of that period before t, the business seconds between a and b are C(b) − C(a): two indexed
lookups and a subtraction per row (``business_seconds_sql``), no loop over rows anywhere.

A period belongs to the local day it opens on: a holiday closes the intervals that open on it
(an overnight shift that opened the evening before still runs to its end).

An organization without a weekly schedule has no business hours: its business-hours durations
have no value and a business-hours SLA target measures calendar time (``has_schedule``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.audit import audit_record
from accounts.models import AuditKind, Organization, User, Weekday
from reports.models import BusinessCalendar, BusinessInterval, BusinessPeriod, Holiday

if TYPE_CHECKING:
    from reports.builders.dialect import Dialect

DAY = dt.timedelta(days=1)
WEEK_MINUTES = 7 * 24 * 60
# The materialised span: every local day with data, this much before it, and this much after
# its last day and before and after today (so new data lands inside the span; a build of data
# outside it extends it first).
MARGIN_BEFORE = dt.timedelta(days=7)
MARGIN_AFTER = dt.timedelta(days=400)

ENDS_BEFORE_START = _lazy("%(interval)s closes before it opens; tick “closes the next day” for an overnight shift.")
EMPTY_INTERVAL = _lazy("%(interval)s opens and closes at the same time.")
LONGER_THAN_A_DAY = _lazy("%(interval)s closes the next day later than it opened: an interval lasts at most 24 hours.")
OVERLAP = _lazy("%(interval)s overlaps %(other)s.")
DUPLICATE_HOLIDAY = _lazy("%(date)s is listed twice.")


@dataclass(frozen=True)
class Interval:
    weekday: int          # 0 = Monday
    start: dt.time
    end: dt.time
    ends_next_day: bool = False

    def label(self) -> str:
        day = Weekday(self.weekday).label
        suffix = " " + _("(next day)") if self.ends_next_day else ""
        return f"{day} {self.start:%H:%M}–{self.end:%H:%M}{suffix}"

    def week_minutes(self) -> tuple[int, int]:
        """[start, end) in minutes from Monday 00:00 (end may pass the end of the week)."""
        start = self.weekday * 1440 + self.start.hour * 60 + self.start.minute
        end = self.weekday * 1440 + self.end.hour * 60 + self.end.minute + (1440 if self.ends_next_day else 0)
        return start, end


@dataclass(frozen=True)
class HolidayDate:
    date: dt.date
    name: str = ""
    recurring: bool = False


def validate_schedule(intervals: list[Interval], holidays: list[HolidayDate] = ()) -> None:
    """Raise a ValidationError naming each interval that ends before it starts, is empty,
    lasts more than a day or overlaps another (also across midnight and the end of the week),
    and each date listed twice."""
    errors = []
    for iv in intervals:
        start, end = iv.week_minutes()
        if not iv.ends_next_day and iv.end < iv.start:
            errors.append(ValidationError(ENDS_BEFORE_START % {"interval": iv.label()}, code="ends_before_start"))
        elif start == end or (not iv.ends_next_day and iv.end == iv.start):
            errors.append(ValidationError(EMPTY_INTERVAL % {"interval": iv.label()}, code="empty"))
        elif end - start > 1440:
            errors.append(ValidationError(LONGER_THAN_A_DAY % {"interval": iv.label()}, code="too_long"))
    if not errors:
        spans = [(iv, *iv.week_minutes()) for iv in intervals]
        for i, (a, a_start, a_end) in enumerate(spans):
            for b, b_start, b_end in spans[i + 1:]:
                # On the weekly circle: Sunday's overnight shift runs into Monday.
                if any(a_start < b_end + k and b_start + k < a_end for k in (-WEEK_MINUTES, 0, WEEK_MINUTES)):
                    errors.append(ValidationError(OVERLAP % {"interval": a.label(), "other": b.label()},
                                                  code="overlap"))
    seen = set()
    for h in holidays:
        key = (h.date.month, h.date.day) if h.recurring else h.date
        if key in seen or h.date in seen:
            errors.append(ValidationError(DUPLICATE_HOLIDAY % {"date": h.date.isoformat()}, code="duplicate"))
        seen.add(key)
        seen.add(h.date)
    if errors:
        raise ValidationError(errors)


# --- materialising --------------------------------------------------------------------------

def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def open_periods(*, tz, intervals: Iterable[Interval], holidays: Iterable[HolidayDate],
                 first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    """The open periods of the local days first..last (those opening on them), as merged,
    sorted [start, end) UTC epoch seconds. Local times DST skips or repeats resolve as
    ``zoneinfo`` does (fold 0); the period's length is its real length in UTC."""
    by_weekday: dict[int, list[Interval]] = {}
    for iv in intervals:
        by_weekday.setdefault(iv.weekday, []).append(iv)
    holidays = list(holidays)
    fixed = {h.date for h in holidays if not h.recurring}
    yearly = {(h.date.month, h.date.day) for h in holidays if h.recurring}
    raw = []
    day = first
    while day <= last:
        if day not in fixed and (day.month, day.day) not in yearly:
            for iv in by_weekday.get(day.weekday(), ()):
                start = dt.datetime.combine(day, iv.start, tz)
                end = dt.datetime.combine(day + DAY if iv.ends_next_day else day, iv.end, tz)
                if _epoch(end) > _epoch(start):
                    raw.append((_epoch(start), _epoch(end)))
        day += DAY
    raw.sort()
    merged: list[list[int]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def schedule_of(organization: Organization) -> tuple[list[Interval], list[HolidayDate]]:
    intervals = [Interval(r.weekday, r.start, r.end, r.ends_next_day)
                 for r in BusinessInterval.objects.for_org(organization).order_by("weekday", "start")]
    holidays = [HolidayDate(h.date, h.name, h.recurring) for h in Holiday.objects.for_org(organization).order_by("date")]
    return intervals, holidays


def _data_span(organization: Organization) -> tuple[dt.date, dt.date] | None:
    """The local days of the first and last instant a business-hours duration can start or
    end at: chats requested, tickets created, first-responded and resolved."""
    from chats.models import Chat, Ticket

    chats = Chat.objects.for_org(organization).aggregate(a=Min("requested_at"), b=Max("first_response_at"),
                                                         c=Max("accepted_at"))
    tickets = Ticket.objects.for_org(organization).aggregate(a=Min("created_at"), b=Max("resolved_at"),
                                                             c=Max("first_response_at"))
    instants = [v for v in (*chats.values(), *tickets.values()) if v is not None]
    if not instants:
        return None
    tz = organization.tzinfo
    return min(instants).astimezone(tz).date(), max(instants).astimezone(tz).date()


@transaction.atomic
def materialise(organization: Organization, *, first: dt.date | None = None, last: dt.date | None = None) -> bool:
    """Rewrite the organization's BusinessPeriod rows over every day with data (and today),
    widened by the margins and to first..last; returns whether it has a schedule."""
    intervals, holidays = schedule_of(organization)
    tz = organization.tzinfo
    today = dt.datetime.now(tz).date()
    span = _data_span(organization)
    days = [today] + [d for d in (first, last) if d is not None] + (list(span) if span else [])
    covered_from = min(min(days) - MARGIN_BEFORE, today - MARGIN_AFTER)
    covered_to = max(days) + MARGIN_AFTER
    BusinessPeriod.objects.for_org(organization).delete()
    rows, total = [], 0
    if intervals:
        for start, end in open_periods(tz=tz, intervals=intervals, holidays=holidays,
                                       first=covered_from - DAY, last=covered_to):
            rows.append(BusinessPeriod(organization=organization, start_s=start, end_s=end, cum_before=total))
            total += end - start
    BusinessPeriod.objects.for_org(organization).bulk_create(rows, batch_size=500)
    BusinessCalendar.objects.for_org(organization).update_or_create(
        organization=organization,
        defaults={"covered_from": covered_from, "covered_to": covered_to, "has_schedule": bool(intervals)})
    return bool(intervals)


def ensure_materialised(organization: Organization) -> bool:
    """Before a build: the periods cover every day with data (extended when new data reaches
    past them); returns whether the organization has a schedule (False: no business hours)."""
    calendar = BusinessCalendar.objects.for_org(organization).first()
    if calendar is None:
        if not BusinessInterval.objects.for_org(organization).exists():
            return False
        return materialise(organization)
    if not calendar.has_schedule:
        return False
    span = _data_span(organization)
    if span is None or (calendar.covered_from <= span[0] - DAY and span[1] + DAY <= calendar.covered_to):
        return True
    return materialise(organization)


# --- SQL --------------------------------------------------------------------------------------

def epoch_sql(d: Dialect, ts: str) -> str:
    """Seconds since the epoch (with the fraction) of a timestamp expression."""
    if d.pg:
        return f"date_part('epoch', {ts})"
    return f"({d._sqlite_whole_seconds(ts)} + CAST(substr({ts}, 21) AS INTEGER) / 1000000.0)"


def cumulative_sql(d: Dialect, organization_id: int, ts: str) -> str:
    """C(ts): the organization's business seconds before the instant ``ts`` (one index lookup
    on (organization, start_s))."""
    e = epoch_sql(d, ts)
    whole = f"FLOOR({e})::bigint" if d.pg else d._sqlite_whole_seconds(ts)
    within = d.least(d.greatest(f"{e} - p.start_s", "0"), "p.end_s - p.start_s")
    org_id = int(organization_id)  # an integer literal: no parameter to place
    return (f"COALESCE((SELECT p.cum_before + {within} FROM {BusinessPeriod._meta.db_table} p "
            f"WHERE p.organization_id = {org_id} AND p.start_s <= {whole} ORDER BY p.start_s DESC LIMIT 1), 0)")


def business_seconds_sql(d: Dialect, organization_id: int, later: str, earlier: str) -> str:
    """Business seconds from ``earlier`` to ``later``: C(later) − C(earlier)."""
    return f"({cumulative_sql(d, organization_id, later)} - {cumulative_sql(d, organization_id, earlier)})"


def business_seconds(organization: Organization, pairs: list[tuple[dt.datetime, dt.datetime]]) -> list[float]:
    """The SQL measure for (earlier, later) pairs, in one statement (tests and the shell)."""
    from reports.builders.dialect import Dialect

    if not pairs:
        return []
    d = Dialect(connection)
    cast = "::timestamptz" if d.pg else ""
    values = " UNION ALL ".join(
        [f"SELECT {i} AS i, %s{cast} AS a, %s{cast} AS b" for i in range(len(pairs))])
    params = [v for a, b in pairs for v in (d.datetime_param(a), d.datetime_param(b))]
    with connection.cursor() as cur:
        cur.execute(f"SELECT x.i, {business_seconds_sql(d, organization.pk, 'x.b', 'x.a')} "
                    f"FROM ({values}) x ORDER BY x.i", params)
        return [float(row[1]) for row in cur.fetchall()]


def reference_seconds(periods: list[tuple[int, int]], earlier: dt.datetime, later: dt.datetime) -> float:
    """Plain Python: the overlap of [earlier, later) with the periods (the SQL's reference)."""
    a, b = earlier.timestamp(), later.timestamp()
    return sum(max(0.0, min(b, end) - max(a, start)) for start, end in periods)


# --- the service ----------------------------------------------------------------------------

def _described(intervals: list[Interval], holidays: list[HolidayDate]) -> tuple[list[str], list[str]]:
    return ([iv.label() for iv in intervals],
            [f"{h.date.isoformat()}{' ' + h.name if h.name else ''}{' ' + _('(every year)') if h.recurring else ''}"
             for h in holidays])


@transaction.atomic
def business_hours_update(*, organization: Organization, actor: User | None, intervals: list[Interval],
                          holidays: list[HolidayDate]) -> set[dt.date]:
    """Replace the weekly schedule and the holidays (all or nothing; a ValidationError names
    every problem), rematerialise the periods, write the audit row and mark dirty every day with
    data: business-hours durations of any row can change. Returns the days marked."""
    from reports.freshness import mark_all_days_dirty

    validate_schedule(intervals, holidays)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()  # one editor at a time
    before = _described(*schedule_of(organization))
    after = _described(sorted(intervals, key=lambda iv: (iv.weekday, iv.start)), sorted(holidays, key=lambda h: h.date))
    if before == after:
        return set()
    BusinessInterval.objects.for_org(organization).delete()
    Holiday.objects.for_org(organization).delete()
    BusinessInterval.objects.for_org(organization).bulk_create([
        BusinessInterval(organization=organization, weekday=iv.weekday, start=iv.start, end=iv.end,
                         ends_next_day=iv.ends_next_day) for iv in intervals])
    Holiday.objects.for_org(organization).bulk_create([Holiday(organization=organization, date=h.date, name=h.name, recurring=h.recurring)
                                 for h in holidays])
    materialise(organization)
    changes = {}
    for field, (old, new) in zip(("intervals", "holidays"), zip(before, after, strict=True), strict=True):
        if old != new:
            changes[field] = [old, new]
    audit_record(organization=organization, actor=actor, kind=AuditKind.BUSINESS_HOURS_UPDATED,
                 target_type="business_hours", target_label=str(_("Business hours")), changes=changes)
    return mark_all_days_dirty(organization=organization)


def source_business_seconds(builder, later: str, earlier: str) -> str:
    """For the snapshot builder's sources: the business seconds from ``earlier`` to ``later``,
    or a typed NULL when the organization has no schedule. The first call of a build makes sure
    the periods cover the organization's data (``ensure_materialised``)."""
    if getattr(builder, "_has_business_hours", None) is None:
        builder._has_business_hours = ensure_materialised(builder.org)
    if not builder._has_business_hours:
        return builder.d.null("double precision" if builder.d.pg else "REAL")
    return business_seconds_sql(builder.d, builder.org.pk, later, earlier)
