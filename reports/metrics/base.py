"""What every metric family builds on: summed components, the registry, and the statistics
(ratios, durations, intervals) every metric reports the same way."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reports.histogram import quantile

Z95 = 1.959963984540054

UNIT_COUNT = "count"
UNIT_PERCENT = "percent"
UNIT_SECONDS = "seconds"
UNIT_SCORE = "score"
UNIT_PER_HOUR = "per_hour"
UNIT_RATIO = "ratio"
UNIT_MONEY = "money"  # in the organization's currency

TIME_BREAKDOWNS = ("hour", "day", "week", "month")
DIMENSION_BREAKDOWNS = ("agent", "team", "channel", "tag")
# Figures of the organization as a whole (website traffic, customers): over time only.
DATE_BREAKDOWNS = ("day", "week", "month")
# Survey scores only: the answer's customer segment (else its customer's) and touchpoint.
SURVEY_BREAKDOWNS = ("segment", "touchpoint")
# Canned-response usage only: per canned response (reports.models.CannedResponseDaySnapshot).
CANNED_BREAKDOWNS = ("canned_response",)
# IQS only: per criterion of the quality scorecard (reports.models.CriterionDaySnapshot).
QUALITY_BREAKDOWNS = ("criterion",)
GROUPED_DIMENSIONS = DIMENSION_BREAKDOWNS + SURVEY_BREAKDOWNS + CANNED_BREAKDOWNS + QUALITY_BREAKDOWNS
DEFAULT_BREAKDOWNS = TIME_BREAKDOWNS + DIMENSION_BREAKDOWNS
SURVEY_SCORE_BREAKDOWNS = DEFAULT_BREAKDOWNS + SURVEY_BREAKDOWNS  # CSAT, NPS, CES
ALL_BREAKDOWNS = TIME_BREAKDOWNS + GROUPED_DIMENSIONS


@dataclass
class Totals:
    """Summed components of one group (or the whole range), and what the metrics need besides.

    ``hours``: hours in the range (local days, DST-aware). ``histograms``: merged per duration;
    ``quantiles``: or, as the metrics service reads them, each duration's percentiles already
    taken from its merged histogram in SQL ({duration: {q: value}}, see reports.histogram).
    ``extra``: values some metrics need from other reads (e.g. a backlog's running totals).
    """

    values: Mapping[str, float]
    histograms: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    hours: float = 0.0
    min_sample: int = 10
    extra: Mapping[str, object] = field(default_factory=dict)
    quantiles: Mapping[str, Mapping[float, float | None]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.values.get(name) or 0

    def hist(self, duration: str) -> Mapping[str, int]:
        return self.histograms.get(duration, {})

    def quantile(self, duration: str, q: float) -> float | None:
        """The q-quantile of a duration (None without values): read in SQL, else from the
        histogram."""
        if duration in self.quantiles and q in self.quantiles[duration]:
            return self.quantiles[duration][q]
        return quantile(self.hist(duration), q)


@dataclass(frozen=True)
class MetricDefinition:
    id: str
    label: str
    help: str
    unit: str
    family: str
    higher_is_better: bool | None
    evaluate: Callable[[Totals], dict]
    durations: tuple[str, ...] = ()            # histograms it reads
    breakdowns: tuple[str, ...] = DEFAULT_BREAKDOWNS
    needs: tuple[str, ...] = ()                # special reads: "backlog", "channels", "heatmap"

    def describe(self) -> dict:
        return {
            "id": self.id, "label": str(self.label), "help": str(self.help), "unit": self.unit,
            "family": self.family, "higher_is_better": self.higher_is_better,
            "breakdowns": list(self.breakdowns),
        }


REGISTRY: dict[str, MetricDefinition] = {}


def metric(
    id: str, *, label, help, unit: str, family: str, higher_is_better: bool | None,
    durations: tuple[str, ...] = (), breakdowns: tuple[str, ...] = DEFAULT_BREAKDOWNS, needs: tuple[str, ...] = (),
):
    """Register the decorated ``evaluate(totals) -> dict`` as the metric ``id``."""

    def register(fn: Callable[[Totals], dict]) -> Callable[[Totals], dict]:
        if id in REGISTRY:
            raise ValueError(f"metric {id!r} is defined twice")
        REGISTRY[id] = MetricDefinition(
            id=id, label=label, help=help, unit=unit, family=family, higher_is_better=higher_is_better,
            evaluate=fn, durations=durations, breakdowns=breakdowns, needs=needs,
        )
        return fn

    return register


# --- the shared arithmetic ----------------------------------------------------------------

def divide(numerator: float, denominator: float) -> float | None:
    """Empty denominators give None (shown as "—"), never 0 and never an error."""
    return None if not denominator else numerator / denominator


def percent(numerator: float, denominator: float) -> float | None:
    value = divide(numerator, denominator)
    return None if value is None else 100.0 * value


def ratio(t: Totals, numerator: str, denominator: str, **extra) -> dict:
    n = int(t[denominator])
    return {"value": percent(t[numerator], n), "n": n, "count": int(t[numerator]),
            "low_sample": n < t.min_sample, **extra}


def count(t: Totals, name: str, **extra) -> dict:
    return {"value": int(t[name]), "n": int(t[name]), **extra}


def duration(t: Totals, name: str, **extra) -> dict:
    """avg/p50/p90 of a duration component (seconds); value is the average."""
    n = int(t[f"{name}_n"])
    avg = divide(t[f"{name}_sum"], n)
    return {
        "value": avg, "avg": avg, "p50": t.quantile(name, 0.5), "p90": t.quantile(name, 0.9),
        "n": n, "low_sample": n < t.min_sample, **extra,
    }


def business_duration(t: Totals, name: str) -> dict | None:
    """The same statistics of a duration in business hours (reports.business_hours); None
    while the organization has no schedule (no row has a business-hours value)."""
    if not t[f"{name}_n"]:
        return None
    result = duration(t, name)
    return {k: result[k] for k in ("avg", "p50", "p90", "n")}


def wilson_interval(successes: float, n: float) -> list[float] | None:
    """95% Wilson score interval of a proportion, in percent."""
    if not n:
        return None
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return [100 * max(0.0, centre - half), 100 * min(1.0, centre + half)]


def nps_interval(promoters: float, detractors: float, n: float) -> list[float] | None:
    """95% interval of NPS from the standard error of the promoter−detractor difference."""
    if not n:
        return None
    p, d = promoters / n, detractors / n
    se = math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    score = p - d
    return [100 * max(-1.0, score - Z95 * se), 100 * min(1.0, score + Z95 * se)]


def mean_interval(total: float, squares: float, n: float) -> list[float] | None:
    """95% normal interval of a mean from its sum and sum of squares (None below 2 answers)."""
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = Z95 * math.sqrt(variance / n)
    return [mean - half, mean + half]

