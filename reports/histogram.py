"""Mergeable log-bucket histograms for duration percentiles (DDSketch-style).

A positive value x falls in bucket ``i = ceil(ln(x) / ln(GAMMA))``, the interval
``(GAMMA**(i-1), GAMMA**i]``. Reporting a bucket by ``2 * GAMMA**i / (GAMMA + 1)`` is within
``RELATIVE_ACCURACY`` of every value in it, so a percentile read from a merged histogram is
within 1.5% of the exact percentile of the raw values (METRICS.md asks for 2%). Values <= 0
(an instant reply) go to bucket ``ZERO_BUCKET`` and are reported as 0.

In Python a histogram is a sparse ``{str(bucket): count}`` dict; histograms merge by addition,
so a day's histograms add up to any range.

Storage (``HistogramField``), and why
-------------------------------------
PostgreSQL keeps a histogram as a ``bigint[]`` of its occupied buckets in bucket order, each
element ``bucket * 2**32 + count`` (``pack``). Every snapshot read and roll-up refresh sums
histograms in SQL: ``unnest`` the arrays, split each element with a shift and a mask
(``v >> 32``, ``v & 4294967295``: integer arithmetic, no text), ``GROUP BY`` bucket, ``SUM``, and
re-packed per group (``array_agg(... ORDER BY bucket)``), so one summed array per group and
duration leaves the database and its percentiles are read in Python in one pass
(``packed_quantiles``: a few hundred buckets at most). (Taking them in SQL with a running sum
over the buckets costs a sort of every (group, bucket) row: 2.8 s against 0.4 s for the 8,760
hour groups of a year.) Alternatives weighed:

- ``jsonb`` ``{bucket: count}`` (the earlier form): each pair is parsed from text and cast per
  read, ~2× the bytes, and the builder assembled JSON text per group (its histogram step was
  ~45% of a full rebuild);
- a fixed-length array over the whole bucket range: 1 µs .. 10 years at 1.5% is ~1,100 buckets
  (a coarser 2% grid still ~830), mostly zeros in a day row of one agent (~20 occupied), so
  reads would unnest 50× more elements than there are counts;
- a dense array of the occupied range with an offset: as compact as the packed form only where
  the buckets are contiguous (a month of a large organization), several times larger for a
  day row's scattered buckets, and building it needs gap filling per group;
- two parallel arrays (buckets, counts): the same reads, but two columns per duration and two
  arrays kept in step.

The packed array is one column per duration, 8 bytes per occupied bucket, one ``unnest`` per
row and duration, and is built by one ``array_agg(... ORDER BY bucket)`` per group. A count
must stay below 2**32 (a bucket of one organization-month: ample). The zero bucket is
``ZERO_BUCKET_SQL``, below every real bucket, so bucket order is value order.

SQLite (the single-process embedded default) keeps the JSON text ``{bucket: count}``, merged
through ``json_each``; ``HistogramSQL`` is the one place the two spellings differ, and both
give the same dicts and the same percentiles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

from django.db import models

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


# --- storage ------------------------------------------------------------------------------

COUNT_BITS = 32
COUNT_MASK = (1 << COUNT_BITS) - 1
QUANTILES = (0.5, 0.9)  # the percentiles every duration metric reports (reports.metrics.base)


def _bucket_int(bucket: str) -> int:
    return ZERO_BUCKET_SQL if bucket == ZERO_BUCKET else int(bucket)


def _bucket_str(bucket: int) -> str:
    return ZERO_BUCKET if bucket == ZERO_BUCKET_SQL else str(bucket)


def pack(hist: Mapping[str, int] | None) -> list[int]:
    """The PostgreSQL form of a histogram: ``bucket << 32 | count`` per occupied bucket, in
    bucket order."""
    out = []
    for bucket, count in sorted(((_bucket_int(b), int(n)) for b, n in (hist or {}).items() if int(n))):
        if not 0 < count <= COUNT_MASK:
            raise ValueError(f"histogram count out of range: {count}")
        out.append((bucket << COUNT_BITS) | count)
    return out


def unpack(values: Iterable[int] | None) -> dict[str, int]:
    return {_bucket_str(v >> COUNT_BITS): v & COUNT_MASK for v in values or ()}


def value_of_bucket(bucket: int) -> float:
    """bucket_value of an integer bucket as SQL gives it (ZERO_BUCKET_SQL for zero)."""
    return bucket_value(_bucket_str(int(bucket)))


class HistogramField(models.Field):
    """A histogram column: ``bigint[]`` of packed buckets on PostgreSQL, JSON text on SQLite
    (see the module docstring). The Python value is always the sparse ``{bucket: count}`` dict."""

    description = "duration histogram"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is dict:
            del kwargs["default"]
        return name, path, args, kwargs

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if connection.vendor == "postgresql":
            return pack(value)
        return json.dumps({b: int(n) for b, n in value.items()}, separators=(",", ":"))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if isinstance(value, str):
            return {b: int(n) for b, n in json.loads(value).items()}
        return unpack(value)

    def to_python(self, value):
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, str):
            return {b: int(n) for b, n in json.loads(value).items()}
        return unpack(value)


class HistogramSQL:
    """The SQL of histogram columns for one database: the only place PostgreSQL's packed arrays
    and SQLite's JSON text are told apart (builder, roll-ups and reads all go through it)."""

    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    @property
    def column_type(self) -> str:
        return "bigint[]" if self.pg else "TEXT"

    @property
    def empty(self) -> str:
        return "'{}'::bigint[]" if self.pg else "'{}'"

    def aggregate(self, bucket: str, count: str) -> str:
        """An aggregate building a group's histogram from its (integer bucket, count) rows, one
        row per bucket."""
        if self.pg:
            return f"array_agg(({bucket})::bigint << {COUNT_BITS} | ({count})::bigint ORDER BY {bucket})"
        return f"json_group_object({bucket_key_sql(bucket)}, {count})"

    def pick(self, column: str) -> str:
        """The one non-NULL histogram of a column in a group (MAX: NULLs are skipped)."""
        return f"MAX({column})"

    def pairs(self, column: str, alias: str) -> tuple[str, str, str]:
        """(FROM item, bucket SQL, count SQL): one row per occupied bucket of ``column``; the FROM
        item follows a comma or CROSS JOIN LATERAL of the row it reads."""
        if self.pg:
            return (f"unnest({column}) AS {alias}(v)", f"({alias}.v >> {COUNT_BITS})", f"({alias}.v & {COUNT_MASK})")
        return (f"json_each({column}) AS {alias}",
                f"(CASE {alias}.key WHEN '{ZERO_BUCKET}' THEN {ZERO_BUCKET_SQL} ELSE CAST({alias}.key AS INTEGER) END)",
                f"CAST({alias}.value AS INTEGER)")

    def each_column(self, alias: str, columns: list[str]) -> tuple[str, str, str]:
        """(joins, metric SQL, histogram SQL): the row ``alias`` once per histogram column, as it
        is stored (no unnesting), ``metric`` the column's index in ``columns``."""
        if self.pg:
            values = ", ".join(f"({i}, {alias}.{c})" for i, c in enumerate(columns))
            return f" CROSS JOIN LATERAL (VALUES {values}) AS hv(m, h)", "hv.m", "hv.h"
        metrics = " UNION ALL ".join(f"SELECT {i} AS m" for i in range(len(columns)))
        pick = " ".join(f"WHEN {i} THEN {alias}.{c}" for i, c in enumerate(columns))
        return f" CROSS JOIN ({metrics}) AS hv", "hv.m", f"(CASE hv.m {pick} END)"

    def unnest_all(self, alias: str, columns: list[str]) -> tuple[str, str, str, str]:
        """(joins, metric SQL, bucket SQL, count SQL): one row per occupied bucket of every
        histogram column of the row ``alias`` in one pass, ``metric`` the column's index in
        ``columns``. The joins follow the FROM item of ``alias``."""
        if self.pg:
            values = ", ".join(f"({i}, {alias}.{c})" for i, c in enumerate(columns))
            return (f" CROSS JOIN LATERAL (VALUES {values}) AS hv(m, h) CROSS JOIN LATERAL unnest(hv.h) AS hx(v)",
                    "hv.m", f"(hx.v >> {COUNT_BITS})", f"(hx.v & {COUNT_MASK})")
        metrics = " UNION ALL ".join(f"SELECT {i} AS m" for i in range(len(columns)))
        pick = " ".join(f"WHEN {i} THEN {alias}.{c}" for i, c in enumerate(columns))
        _, bucket, count = self.pairs("hx", "hx")
        return (f" CROSS JOIN ({metrics}) AS hv CROSS JOIN json_each(CASE hv.m {pick} END) AS hx",
                "hv.m", bucket, count)

    def quantiles(self, value, quantiles: tuple[float, ...] = QUANTILES) -> list[float | None]:
        """The quantiles of a histogram as a query returns it (packed list or JSON text)."""
        if value is None:
            return [None] * len(quantiles)
        if isinstance(value, str):
            hist = json.loads(value)
            return [quantile(hist, q) for q in quantiles]
        return packed_quantiles(value, quantiles)

    def not_empty(self, column: str) -> str:
        return f"cardinality({column}) > 0" if self.pg else f"{column} <> '{{}}'"


def packed_quantiles(packed: Iterable[int], quantiles: tuple[float, ...] = QUANTILES) -> list[float | None]:
    """``quantile`` of a packed histogram (PostgreSQL's form, buckets in order) for each q."""
    packed = list(packed)
    n = sum(v & COUNT_MASK for v in packed)
    if n == 0:
        return [None] * len(quantiles)
    out, seen, i = [], 0, 0
    for q in quantiles:  # ascending
        rank = max(1, math.ceil(q * n))
        while seen < rank:
            seen += packed[i] & COUNT_MASK
            i += 1
        out.append(value_of_bucket(packed[i - 1] >> COUNT_BITS))
    return out
