"""Numbers, percentages, durations and dates as the active language writes them (Babel's CLDR
data, never hand-written tables). Pages, the display columns of exports and e-mails format
through here; CSV/XLSX value columns keep machine-readable numbers (reports.exports).

Every function takes the value a metric returns (None when its denominator is empty) and gives
text; None is shown as an em dash.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.units import format_unit
from django.utils import translation

EMPTY = "—"


@functools.lru_cache(maxsize=64)
def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def current_locale() -> Locale:
    """The Babel locale of the active Django language (English when none is active)."""
    return _babel_locale(translation.get_language() or "en")


def _exact(value) -> decimal.Decimal:
    # Through str(): the decimal a person reads (85.25, not 85.2499999...), rounded half up below.
    return decimal.Decimal(str(value))


def _format(fn, value, **kwargs) -> str:
    """Babel rounds half to even by the decimal context; reports round half up (85.25 -> 85.3),
    the rule exports and e-mails share."""
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        return fn(_exact(value), **kwargs)


def number(value, digits: int = 0, *, locale: Locale | None = None) -> str:
    """``1 234 567`` / ``1,234,567``; ``digits`` decimals, always shown."""
    if value is None:
        return EMPTY
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return _format(babel_numbers.format_decimal, value, format=pattern, locale=locale or current_locale())


def percent(value, digits: int = 1, *, locale: Locale | None = None) -> str:
    """A metric percentage (``85.3`` means 85.3 %): ``85,3 %`` in Finnish, ``85.3%`` in English."""
    if value is None:
        return EMPTY
    locale = locale or current_locale()
    pattern = locale.percent_formats[None].pattern
    if digits:
        head, sep, tail = pattern.partition("0")
        pattern = f"{head}0.{'0' * digits}{tail}" if sep else pattern
    return _format(babel_numbers.format_percent, _exact(value) / 100, format=pattern, locale=locale)


def signed_percent(value, digits: int = 1, *, locale: Locale | None = None) -> str:
    """A relative change (0.125 means +12.5 %), with its sign."""
    if value is None:
        return EMPTY
    text = percent(abs(value) * 100, digits, locale=locale)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


@functools.lru_cache(maxsize=256)
def _unit_pattern(unit: str, locale: Locale) -> str:
    """CLDR's narrow pattern of a duration unit where it keeps the short pattern's spacing
    (Bulgarian ``{0} с`` for ``{0} сек``), else the short one (Finnish ``{0} min``, not the
    code-like ``{0}min``). Babel does not fall back from a missing narrow pattern itself."""
    patterns = locale._data["unit_patterns"][f"duration-{unit}"]
    short, narrow = patterns.get("short", {}), patterns.get("narrow", {})
    short_other, narrow_other = short.get("other", "{0}"), narrow.get("other")
    if narrow_other and narrow_other.startswith("{0} ") == short_other.startswith("{0} "):
        return "narrow"
    return "short"


def _unit(amount, unit: str, locale: Locale, **kwargs) -> str:
    return format_unit(amount, f"duration-{unit}", length=_unit_pattern(unit, locale), locale=locale, **kwargs)


def duration(seconds, *, locale: Locale | None = None) -> str:
    """Seconds as people read a support duration: ``45 s``, ``2 min 5 s``, ``1 h 2 min``,
    ``3 d 4 h``; Chinese ``2分钟5秒``. Two units at most; a zero second unit is left out
    (``1 min``), as Intl.DurationFormat does. Units are CLDR's (see _unit_pattern); they are
    joined by a space unless the language writes a unit without one."""
    if seconds is None:
        return EMPTY
    locale = locale or current_locale()
    total = int(math.floor(seconds + 0.5))
    if total < 60:
        if 0 < seconds < 10 and seconds != total:  # sub-10-second averages keep one decimal
            return _format(_unit, seconds, unit="second", locale=locale, format="#,##0.0")
        return _unit(total, "second", locale)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [(days, "day"), (hours, "hour")]
    elif hours:
        parts = [(hours, "hour"), (minutes, "minute")]
    else:
        parts = [(minutes, "minute"), (secs, "second")]
    texts = [_unit(amount, unit, locale) for amount, unit in parts if amount or unit == parts[0][1]]
    spaced = any(space in texts[0] for space in (" ", "\xa0", "\u202f"))
    return (" " if spaced else "").join(texts)


def score(value, digits: int = 2, *, locale: Locale | None = None) -> str:
    return number(value, digits, locale=locale)


def date(value: dt.date | None, fmt: str = "medium", *, locale: Locale | None = None) -> str:
    if value is None:
        return EMPTY
    return babel_dates.format_date(value, format=fmt, locale=locale or current_locale())


def date_range(first: dt.date, last: dt.date, *, locale: Locale | None = None) -> str:
    """``23–29 Nov 2026`` as the language writes an interval."""
    locale = locale or current_locale()
    if first == last:
        return date(first, locale=locale)
    return babel_dates.format_interval(first, last, skeleton="yMMMd", locale=locale)


def datetime(value: dt.datetime | None, tzinfo=None, fmt: str = "medium", *, locale: Locale | None = None) -> str:
    """An instant in the given time zone (the organization's)."""
    if value is None:
        return EMPTY
    return babel_dates.format_datetime(value, format=fmt, tzinfo=tzinfo, locale=locale or current_locale())


def weekday_names(first_weekday: int = 0, width: str = "abbreviated", *, locale: Locale | None = None) -> list[str]:
    """Weekday names starting at ``first_weekday`` (0 = Monday, the organization's week start),
    in CLDR's stand-alone form, as a label or heading writes them (Finnish ``maanantai``, not
    the in-sentence ``maanantaina``)."""
    names = (locale or current_locale()).days["stand-alone"][width]
    return [names[(first_weekday + i) % 7] for i in range(7)]


# Metric units (reports.metrics.base UNIT_*) -> how a value of that unit is written.
def metric_value(value, unit: str, *, locale: Locale | None = None) -> str:
    if unit == "percent":
        return percent(value, locale=locale)
    if unit == "seconds":
        return duration(value, locale=locale)
    if unit == "count":
        return number(value, locale=locale)
    if unit in ("score", "ratio", "per_hour", "money"):  # money: in the organization's currency, not named
        return number(value, 2, locale=locale)
    return EMPTY if value is None else str(value)
