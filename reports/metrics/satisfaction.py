"""Survey scores: CSAT, NPS, CES, each with its 95% interval and sample size."""

import math

from django.utils.translation import gettext_lazy as _

from reports.components import CSAT_DISTRIBUTION, csat_score_components
from reports.metrics.base import (
    SURVEY_SCORE_BREAKDOWNS,
    UNIT_PERCENT,
    UNIT_SCORE,
    Totals,
    divide,
    mean_interval,
    metric,
    nps_interval,
    percent,
    wilson_interval,
)

FAMILY = "satisfaction"


@metric("csat", label=_("Customer satisfaction (CSAT)"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True, breakdowns=SURVEY_SCORE_BREAKDOWNS,
        help=_("Positive answers ÷ all answers × 100; positive = 4–5 on 1–5, 9–10 on 1–10, “good” on good/bad. "
               "Also the average score (on the organization's CSAT scale), the share very satisfied (top score) "
               "and the count of negative answers (complaints) with their share (negative answers ÷ all answers "
               "× 100; negative = 1–2 on 1–5, 1–6 on 1–10, “bad” on good/bad). 95% Wilson interval. Also the "
               "distribution (answers per score) on each scale."))
def csat(t: Totals) -> dict:
    n = int(t["csat_n"])
    return {
        "value": percent(t["csat_positive"], n), "n": n, "ci95": wilson_interval(t["csat_positive"], n),
        "low_sample": n < t.min_sample, "positive": int(t["csat_positive"]),
        "average_score": divide(t["csat_score_sum"], t["csat_score_n"]),
        "very_satisfied": percent(t["csat_top"], n), "negative": int(t["csat_negative"]),
        "negative_share": percent(t["csat_negative"], n),
        "distribution": {scale: {str(i): int(t[name]) for i, name in csat_score_components(scale).items()}
                         for scale in CSAT_DISTRIBUTION},
    }


@metric("nps", label=_("Net Promoter Score (NPS)"), unit=UNIT_SCORE, family=FAMILY, higher_is_better=True, breakdowns=SURVEY_SCORE_BREAKDOWNS,
        help=_("0–10 answers: promoters 9–10, passives 7–8, detractors 0–6. NPS = % promoters − % detractors, "
               "from −100 to 100. 95% interval from the standard error of the promoter−detractor difference."))
def nps(t: Totals) -> dict:
    n = int(t["nps_n"])
    promoters, detractors = t["nps_promoters"], t["nps_detractors"]
    value = None if not n else 100.0 * (promoters - detractors) / n
    return {
        "value": value, "n": n, "ci95": nps_interval(promoters, detractors, n), "low_sample": n < t.min_sample,
        "promoters": percent(promoters, n), "passives": percent(n - promoters - detractors, n),
        "detractors": percent(detractors, n),
    }


@metric("ces", label=_("Customer Effort Score (CES)"), unit=UNIT_SCORE, family=FAMILY, higher_is_better=False, breakdowns=SURVEY_SCORE_BREAKDOWNS,
        help=_("Sum of effort ratings ÷ number of answers, on the survey's scale (1–7 by default; answers on a "
               "1–5 scale are reported separately). 95% normal interval of the mean. Also the distribution "
               "(answers per score) and the Pearson correlation of CES (1–7) with CSAT (the organization's "
               "scale) over answers tied to the same conversation, the CSAT side being the mean of that "
               "conversation's CSAT answers; counted on the CES answer's day."))
def ces(t: Totals) -> dict:
    n7, n5 = int(t["ces_n"]), int(t["ces5_n"])
    # The headline is the scale most answers use; the other is reported beside it.
    if n5 > n7:
        value, n, ci, scale = divide(t["ces5_sum"], n5), n5, mean_interval(t["ces5_sum"], t["ces5_sq_sum"], n5), "1-5"
    else:
        value, n, ci, scale = divide(t["ces_sum"], n7), n7, mean_interval(t["ces_sum"], t["ces_sq_sum"], n7), "1-7"
    return {
        "value": value, "n": n, "ci95": ci, "low_sample": n < t.min_sample, "scale": scale,
        "by_scale": {"1-7": {"value": divide(t["ces_sum"], n7), "n": n7},
                     "1-5": {"value": divide(t["ces5_sum"], n5), "n": n5}},
        "distribution": {
            "1-7": {str(i): int(t[f"ces_score_{i}"]) for i in range(1, 8)},
            "1-5": {str(i): int(t[f"ces5_score_{i}"]) for i in range(1, 6)},
        },
        "csat_correlation": {"r": pearson(t), "n": int(t["ces_csat_pairs"])},
    }


def pearson(t: Totals) -> float | None:
    """Pearson's r of the CES–CSAT pairs from their additive sums; None with fewer than three
    pairs or when either side does not vary."""
    n = t["ces_csat_pairs"]
    if n < 3:
        return None
    x, y = t["ces_csat_ces_sum"], t["ces_csat_csat_sum"]
    sxx = n * t["ces_csat_ces_sq_sum"] - x * x
    syy = n * t["ces_csat_csat_sq_sum"] - y * y
    if sxx <= 1e-9 * max(1.0, n * t["ces_csat_ces_sq_sum"]) or syy <= 1e-9 * max(1.0, n * t["ces_csat_csat_sq_sum"]):
        return None
    r = (n * t["ces_csat_product_sum"] - x * y) / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, r))
