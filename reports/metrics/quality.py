"""Quality: the internal quality score of reviewed conversations."""

from django.utils.translation import gettext_lazy as _

from reports.metrics.base import (
    DEFAULT_BREAKDOWNS,
    QUALITY_BREAKDOWNS,
    UNIT_PERCENT,
    Totals,
    metric,
    percent,
)

FAMILY = "quality"


# Per criterion: a grain of its own (reports.models.CriterionDaySnapshot, keyed by the
# criterion's key), not components per criterion, because each organization's scorecard names its
# own criteria; each review's weighted sums are added per criterion there as in every other grain,
# so a criterion's IQS over any range is its sums added and divided once, like the total's.
@metric("iqs", label=_("Internal quality score (IQS)"), unit=UNIT_PERCENT, family=FAMILY, higher_is_better=True,
        breakdowns=DEFAULT_BREAKDOWNS + QUALITY_BREAKDOWNS,
        help=_("Reviewers score conversations against the organization's scorecard (weighted criteria): "
               "IQS = Σ(weight × score) ÷ Σ(weight × max score) × 100, over the criteria each review scored, "
               "on the day of the review. Per agent (the reviewed agent) and per criterion; n is the number of "
               "reviews (per criterion: of reviews that scored it)."))
def iqs(t: Totals) -> dict:
    scores = int(t["iqs_scores"])
    n = scores if t.extra.get("dimension") == "criterion" else int(t["iqs_reviews"])
    return {
        "value": percent(t["iqs_weighted_score"], t["iqs_weighted_max"]), "n": n, "low_sample": n < t.min_sample,
        "reviews": int(t["iqs_reviews"]), "scores": scores,
        "weighted_score": t["iqs_weighted_score"], "weighted_max": t["iqs_weighted_max"],
    }
