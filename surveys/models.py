from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import ExternalIdModel, external_id_unique
from chats.windows import in_activity


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Customer satisfaction (CSAT)")
    NPS = "nps", _("Net Promoter Score (NPS)")
    CES = "ces", _("Customer Effort Score (CES)")


class Scale(models.TextChoices):
    ONE_TO_FIVE = "1-5", _("1 to 5")
    ONE_TO_TEN = "1-10", _("1 to 10")
    GOOD_BAD = "good-bad", _("Good (1) / bad (0)")
    ZERO_TO_TEN = "0-10", _("0 to 10")
    ONE_TO_SEVEN = "1-7", _("1 to 7")


# Inclusive score bounds per scale; good/bad is stored as 1 = good, 0 = bad.
SCALE_BOUNDS: dict[str, tuple[int, int]] = {
    Scale.ONE_TO_FIVE: (1, 5),
    Scale.ONE_TO_TEN: (1, 10),
    Scale.GOOD_BAD: (0, 1),
    Scale.ZERO_TO_TEN: (0, 10),
    Scale.ONE_TO_SEVEN: (1, 7),
}
# Scales each kind may use; the first is the default (API.md: "default by kind").
KIND_SCALES: dict[str, tuple[str, ...]] = {
    SurveyKind.CSAT: (Scale.ONE_TO_FIVE, Scale.ONE_TO_TEN, Scale.GOOD_BAD),
    SurveyKind.NPS: (Scale.ZERO_TO_TEN,),
    SurveyKind.CES: (Scale.ONE_TO_SEVEN, Scale.ONE_TO_FIVE),
}
# CSAT answers at or above this score are positive (METRICS.md: csat).
CSAT_POSITIVE_FROM: dict[str, int] = {Scale.ONE_TO_FIVE: 4, Scale.ONE_TO_TEN: 9, Scale.GOOD_BAD: 1}
# ... and at or below this score negative (a complaint).
CSAT_NEGATIVE_UPTO: dict[str, int] = {Scale.ONE_TO_FIVE: 2, Scale.ONE_TO_TEN: 6, Scale.GOOD_BAD: 0}
# NPS (0-10): promoters 9-10, detractors 0-6.
NPS_PROMOTER_FROM = 9
NPS_DETRACTOR_UPTO = 6


def _score_within_scale() -> Q:
    q = Q()
    for scale, (low, high) in SCALE_BOUNDS.items():
        q |= Q(scale=scale, score__gte=low, score__lte=high)
    return q


def _scale_fits_kind() -> Q:
    q = Q()
    for kind, scales in KIND_SCALES.items():
        q |= Q(kind=kind, scale__in=scales)
    return q


class SurveyAnswer(ExternalIdModel):
    """One answer to a CSAT, NPS or CES survey; its local day is that of `answered_at`."""

    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices)
    score = models.SmallIntegerField(_("score"))
    answered_at = models.DateTimeField(_("answered"), validators=[in_activity])
    chat = models.ForeignKey("chats.Chat", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_answers")
    ticket = models.ForeignKey("chats.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_answers")
    agent = models.ForeignKey("accounts.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_answers")
    customer = models.ForeignKey("chats.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_answers")
    comment = models.TextField(_("comment"), blank=True)
    responded_at = models.DateTimeField(
        _("company replied"), null=True, blank=True, help_text=_("When the company replied to the comment."),
        validators=[in_activity],
    )
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    touchpoint = models.CharField(_("touchpoint"), max_length=100, blank=True)

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            external_id_unique("surveyanswer"),
            models.CheckConstraint(condition=_score_within_scale(), name="survey_score_within_scale"),
            models.CheckConstraint(condition=_scale_fits_kind(), name="survey_scale_fits_kind"),
            models.CheckConstraint(
                condition=Q(chat__isnull=True) | Q(ticket__isnull=True), name="survey_one_conversation"
            ),
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=F("answered_at")),
                name="survey_reply_after_answer",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "answered_at"], name="survey_org_kind_time"),
            # Snapshot builders read every kind of a range of days.
            models.Index(fields=["organization", "answered_at"], name="survey_org_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.score} ({self.scale})"
