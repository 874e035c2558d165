"""Scheduled e-mailed reports: what is sent to whom and when (ReportSchedule), and one row per
(schedule, reported period, recipient) that is claimed before its e-mail is sent
(ReportDelivery), so no e-mail goes out twice."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Agent, Membership, Team, Weekday, validate_timezone
from accounts.tenancy import OrgScopedModel


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Scope(models.TextChoices):
    ORGANIZATION = "organization", _("Whole organization")
    TEAM = "team", _("A team")
    AGENTS = "agents", _("Chosen agents")


def default_language() -> str:
    return settings.LANGUAGE_CODE


class ReportSchedule(OrgScopedModel):
    """A report e-mailed on a schedule. ``next_run_at`` is the next due instant (UTC); the
    dispatcher claims a run by moving it forward with a conditional UPDATE."""

    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.ORGANIZATION)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    agents = models.ManyToManyField(Agent, blank=True, related_name="+", verbose_name=_("agents"))
    member_recipients = models.ManyToManyField(Membership, blank=True, related_name="+",
                                               verbose_name=_("members"))
    external_recipients = models.JSONField(_("other addresses"), default=list, blank=True)
    send_personal_reports = models.BooleanField(
        _("also send each agent their own report"), default=False,
        help_text=_("Every agent in scope with an e-mail address gets a report of their own figures only."))
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.MONDAY)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), default=1,
        help_text=_("In a shorter month the report goes out on its last day."))
    local_time = models.TimeField(_("time of day"), default=dt.time(8, 0))
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_timezone],
                                help_text=_("Empty: the organization's time zone."))
    language = models.CharField(_("language"), max_length=10, default=default_language,
                                help_text=_("For recipients who have not chosen a language of their own."))
    metrics = models.JSONField(_("metrics"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next e-mail"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), default=now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta(OrgScopedModel.Meta):
        ordering = ["name", "pk"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        indexes = [models.Index(fields=["active", "next_run_at"], name="schedule_due")]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6), name="schedule_weekday_0_6"),
            models.CheckConstraint(condition=models.Q(day_of_month__gte=1, day_of_month__lte=31),
                                   name="schedule_day_of_month_1_31"),
            models.CheckConstraint(condition=models.Q(frequency__in=Frequency.values), name="schedule_frequency_valid"),
            models.CheckConstraint(condition=models.Q(scope__in=Scope.values), name="schedule_scope_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def time_zone_name(self) -> str:
        return self.timezone or self.organization.timezone


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class DeliveryKind(models.TextChoices):
    SCOPE = "scope", _("Report")
    PERSONAL = "personal", _("Personal report")


class ReportDelivery(OrgScopedModel):
    """One e-mail of one period to one address. Unique on (schedule, period start, recipient):
    the row is inserted with ON CONFLICT DO NOTHING and claimed (pending → sending) with a
    conditional UPDATE before anything is sent; a row once claimed is never sent again."""

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_at = models.DateTimeField(_("due"))
    recipient = models.EmailField(_("recipient"))
    kind = models.CharField(_("kind"), max_length=10, choices=DeliveryKind.choices, default=DeliveryKind.SCOPE)
    agent = models.ForeignKey(Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta(OrgScopedModel.Meta):
        ordering = ["-period_start", "recipient"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["organization", "schedule", "period_start", "recipient"],
                                    name="delivery_schedule_period_recipient_uniq"),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
        ]
        indexes = [
            models.Index(fields=["organization", "schedule", "-period_start"], name="delivery_history"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_retry_due"),
        ]

    def __str__(self):
        return f"{self.recipient} {self.period_start} ({self.status})"


class Unsubscription(OrgScopedModel):
    """An address that asked, through the signed link of an e-mail, to get no more e-mails of
    one schedule."""

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="unsubscriptions")
    email = models.EmailField(_("e-mail address"))
    created_at = models.DateTimeField(_("unsubscribed"), default=now)

    class Meta(OrgScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        constraints = [
            models.UniqueConstraint(fields=["organization", "schedule", "email"], name="unsubscription_uniq"),
        ]

    def __str__(self):
        return f"{self.email} from {self.schedule_id}"
