"""Mergeable log-bucket histograms for duration percentiles (DDSketch-style).

A positive value x falls in bucket ``i = ceil(ln(x) / ln(GAMMA))``, the interval
``(GAMMA**(i-1), GAMMA**i]``. Reporting a bucket by ``2 * GAMMA**i / (GAMMA + 1)`` is within
``RELATIVE_ACCURACY`` of every value in it, so a percentile read from a merged histogram is
within 1.5% of the exact percentile of the raw values (METRICS.md asks for 2%). Values <= 0
(an instant reply) go to bucket ``ZERO_BUCKET`` and are reported as 0.

Histograms are sparse ``{str(bucket): count}`` dicts (JSON-friendly) and merge by addition, so
a day's histograms add up to any range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RELATIVE_ACCURACY = 0.015
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
LN_GAMMA = math.log(GAMMA)
ZERO_BUCKET = "z"


def bucket_of(value: float) -> str:
    if value <= 0:
        return ZERO_BUCKET
    return str(math.ceil(math.log(value) / LN_GAMMA))


def bucket_value(bucket: str) -> float:
    if bucket == ZERO_BUCKET:
        return 0.0
    return 2 * GAMMA ** int(bucket) / (GAMMA + 1)


def _order(bucket: str) -> float:
    return -math.inf if bucket == ZERO_BUCKET else int(bucket)


def merge(histograms: Iterable[Mapping[str, int] | None]) -> dict[str, int]:
    total: dict[str, int] = {}
    for hist in histograms:
        for bucket, count in (hist or {}).items():
            total[bucket] = total.get(bucket, 0) + int(count)
    return total


def from_values(values: Iterable[float]) -> dict[str, int]:
    hist: dict[str, int] = {}
    for value in values:
        b = bucket_of(value)
        hist[b] = hist.get(b, 0) + 1
    return hist


def quantile(hist: Mapping[str, int], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) by the nearest-rank rule; None for an empty histogram.

    Nearest rank: the smallest value with at least ``ceil(q * n)`` values at or below it,
    the same rule ``exact_quantile`` applies to raw values.
    """
    n = sum(hist.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    seen = 0
    for bucket in sorted(hist, key=_order):
        seen += hist[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    raise AssertionError("unreachable: counts add up to n")


def exact_quantile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank quantile of raw values, the reference the histogram is tested against."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


# In SQL a bucket is an integer while it is counted (cheaper to group by than text); the zero
# bucket is this number, below any real bucket (values down to 1e-300 s stay above it).
ZERO_BUCKET_SQL = -1_000_000


def bucket_sql(expr: str) -> str:
    """SQL for the integer bucket of a duration expression (NULL stays NULL; PostgreSQL and
    SQLite)."""
    return (
        f"CASE WHEN ({expr}) <= 0 THEN {ZERO_BUCKET_SQL} "
        f"ELSE CAST(CEILING(LN({expr}) / {LN_GAMMA!r}) AS INTEGER) END"
    )


def bucket_key_sql(bucket: str) -> str:
    """SQL for the histogram key (as stored in JSON) of an integer bucket from bucket_sql."""
    return f"CASE WHEN {bucket} = {ZERO_BUCKET_SQL} THEN '{ZERO_BUCKET}' ELSE CAST({bucket} AS TEXT) END"
