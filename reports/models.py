from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import OrgScopedModel
from chats.models import Channel, Priority
from reports import components as C
from reports.histogram import HistogramField


class DirtyDay(OrgScopedModel):
    """An (organization, local day) whose snapshots are out of date.

    Every write path records the days it touched (reports.freshness.mark_dirty); the snapshot
    rebuild deletes the row, in the transaction that replaces the day's snapshots, only if it
    was not marked again meanwhile. A day whose rebuild failed keeps its row with the failure
    (reports.snapshots.rebuild_dirty_days) and is retried from `next_attempt_at` on, or at once
    when a write marks it again; the row goes when the day finally builds.
    """

    day = models.DateField(_("day"))
    marked_at = models.DateTimeField(_("marked"), auto_now=True)
    # Only first-contact resolution is out of date: a chat requested later, within the follow-up
    # window, changed which of this day's chats were repeat contacts. Any other mark clears it.
    fcr_only = models.BooleanField(_("first-contact resolution only"), default=False)
    # The failure record. db_default: mark_dirty inserts rows with raw SQL.
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0, db_default=0)
    last_error = models.TextField(_("last error"), blank=True, default="", db_default="")
    failed_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    # Not rebuilt before this instant (exponential backoff after a failure); null: at once.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("dirty day")
        verbose_name_plural = _("dirty days")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="dirtyday_org_day_uniq")]

    def __str__(self):
        return f"{self.organization_id} {self.day}"


def _component_fields() -> dict:
    fields = {}
    for name in C.COUNTS + C.DURATION_COUNTS:
        fields[name] = models.BigIntegerField(default=0)
    for name in C.SUMS + C.DURATION_SUMS:
        fields[name] = models.FloatField(default=0)
    for name in C.HISTOGRAMS:
        fields[name] = HistogramField()
    return fields


# The abstract base every grain shares: organization, local day, and every component.
SnapshotComponents = type(
    "SnapshotComponents",
    (OrgScopedModel,),
    {
        "__module__": __name__,
        "day": models.DateField(_("local day")),
        "built_at": models.DateTimeField(_("built"), auto_now=True),
        "Meta": type("Meta", (OrgScopedModel.Meta,), {"abstract": True}),
        **_component_fields(),
    },
)


class DaySnapshot(SnapshotComponents):
    """Organization × local day."""

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="snap_day_uniq")]


class AgentDaySnapshot(SnapshotComponents):
    """Organization × day × agent (the chat's agent; a survey's agent or its conversation's)."""

    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "agent"], name="snap_agent_uniq")]


class TeamDaySnapshot(SnapshotComponents):
    """Organization × day × team (the conversation's team, else its agent's)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "team"], name="snap_team_uniq")]


class ChannelDaySnapshot(SnapshotComponents):
    """Organization × day × channel."""

    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "channel"], name="snap_channel_uniq")]


class TagDaySnapshot(SnapshotComponents):
    """Organization × day × tag: a conversation with two tags counts once under each."""

    tag = models.ForeignKey("chats.Tag", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "tag"], name="snap_tag_uniq")]


class CannedResponseDaySnapshot(SnapshotComponents):
    """Organization × day × canned response: its uses and seconds saved (by used_at), the
    answered chats using it (by the chat's requested_at) and the CSAT answers of those chats (by
    answered_at). A chat using two responses counts once under each; other sources add nothing.
    No monthly roll-up (as the segment and touchpoint grains): an organization has few canned
    responses, so a year of their day rows is a small read."""

    canned_response = models.ForeignKey("chats.CannedResponse", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "canned_response"],
                                               name="snap_canned_uniq")]


class CriterionDaySnapshot(SnapshotComponents):
    """Organization × day × quality-scorecard criterion key (quality reviews only: the scores a
    review gave that criterion). No monthly roll-up (as segment and touchpoint)."""

    criterion = models.CharField(max_length=100)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "criterion"], name="snap_criterion_uniq")]


class HourSnapshot(SnapshotComponents):
    """Organization × day × local hour of day (heatmap and staffing)."""

    hour = models.PositiveSmallIntegerField()

    class Meta(OrgScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "day", "hour"], name="snap_hour_uniq"),
            models.CheckConstraint(condition=models.Q(hour__gte=0, hour__lte=23), name="snap_hour_0_23"),
        ]


class SegmentDaySnapshot(SnapshotComponents):
    """Organization × day × customer segment (survey answers only: the answer's segment, else its
    customer's; "" when neither has one)."""

    segment = models.CharField(max_length=100)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "segment"], name="snap_segment_uniq")]


class TouchpointDaySnapshot(SnapshotComponents):
    """Organization × day × survey touchpoint (survey answers only; "" when none is given)."""

    touchpoint = models.CharField(max_length=100)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "day", "touchpoint"], name="snap_touchpoint_uniq")]


# --- monthly roll-ups (reports.rollups) -------------------------------------------------------
# Per (organization, local calendar month[, dimension]): the sum of every additive component of
# that month's day rows of the same grain and their merged histograms, refreshed from the day
# snapshots inside the transaction that writes them (reports/rollups.py).

def _month_base(name: str, *, histograms: bool):
    """The abstract base of a month roll-up: organization, month, built_at and the components
    (without the histograms unless ``histograms``)."""
    fields = _component_fields()
    if not histograms:
        for hist in C.HISTOGRAMS:
            del fields[hist]
    return type(name, (OrgScopedModel,), {
        "__module__": __name__,
        "month": models.DateField(_("first day of the local month")),
        "built_at": models.DateTimeField(_("newest day built")),
        "Meta": type("Meta", (OrgScopedModel.Meta,), {"abstract": True}),
        **fields,
    })


MonthComponents = _month_base("MonthComponents", histograms=True)
MonthSums = _month_base("MonthSums", histograms=False)


class MonthSnapshot(MonthComponents):
    """Organization × local month: the sum of its DaySnapshot rows, histograms merged."""

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="roll_month_uniq")]


class AgentMonthSnapshot(MonthComponents):
    """Organization × month × agent: the sum of its AgentDaySnapshot rows, histograms merged."""

    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "month", "agent"], name="roll_agent_uniq")]


class TeamMonthSnapshot(MonthComponents):
    """Organization × month × team: the sum of its TeamDaySnapshot rows, histograms merged."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "month", "team"], name="roll_team_uniq")]


class ChannelMonthSnapshot(MonthComponents):
    """Organization × month × channel: the sum of its ChannelDaySnapshot rows, histograms merged."""

    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "month", "channel"], name="roll_channel_uniq")]


class TagMonthSnapshot(MonthComponents):
    """Organization × month × tag: the sum of its TagDaySnapshot rows, histograms merged."""

    tag = models.ForeignKey("chats.Tag", on_delete=models.CASCADE, related_name="+")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "month", "tag"], name="roll_tag_uniq")]


class HourOfWeekMonthSnapshot(MonthSums):
    """Organization × month × local weekday (0 = Monday) × local hour: the sum of the month's
    HourSnapshot rows of that weekday and hour (the heatmap's cells). No histograms: the
    heatmap counts contacts, and merging 168 cells' histograms cost ~280 ms of every late-data
    rebuild at 100,000 chats a year; per-hour percentiles come from the hour rows."""

    weekday = models.PositiveSmallIntegerField()
    hour = models.PositiveSmallIntegerField()

    class Meta(OrgScopedModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "month", "weekday", "hour"], name="roll_hour_of_week_uniq"),
        ]


class SlaMetric(models.TextChoices):
    CHAT_FIRST_RESPONSE = "chat_first_response", _("Chat first response")
    CHAT_WAIT = "chat_wait", _("Chat wait (pickup)")
    TICKET_FIRST_RESPONSE = "ticket_first_response", _("Ticket first response")
    TICKET_RESOLUTION = "ticket_resolution", _("Ticket resolution")


class SlaTarget(OrgScopedModel):
    """A service-level target. Empty channel/priority means "any"; the most specific wins."""

    metric = models.CharField(_("measure"), max_length=30, choices=SlaMetric.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    # Measured in the organization's business hours (reports.business_hours) instead of
    # calendar time. db_default: rows written before the column existed are calendar targets.
    business_hours = models.BooleanField(_("in business hours"), default=False, db_default=False)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "metric", "channel", "priority"], name="sla_target_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.get_metric_display()} ≤ {self.target_seconds}s"


class Goal(OrgScopedModel):
    """A target for one figure of a metric (reports.goals): for the organization, or for one
    team (which then wins over the organization's for that team's figures). ``field`` is the
    figure's path in the metric's result, as report pages name it ("value", "p50",
    "missed_rate"); ``target`` is in the figure's unit (percent 0–100, seconds, score, count)."""

    metric = models.CharField(_("metric"), max_length=60)
    field = models.CharField(_("figure"), max_length=60, default="value")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    at_least = models.BooleanField(_("met at or above the target"))
    target = models.FloatField(_("target"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["metric", "field", "team_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "metric", "field", "team"], name="goal_team_uniq",
                                    condition=models.Q(team__isnull=False)),
            models.UniqueConstraint(fields=["organization", "metric", "field"], name="goal_org_uniq",
                                    condition=models.Q(team__isnull=True)),
        ]

    def __str__(self):
        return f"{self.metric}.{self.field} {'≥' if self.at_least else '≤'} {self.target:g}"


# --- business hours (reports.business_hours) --------------------------------------------------

class BusinessInterval(OrgScopedModel):
    """One opening interval of the weekly schedule, in the organization's local time: from
    `start` on `weekday` to `end` the same day, or the next day when `ends_next_day` (an
    overnight shift, e.g. 22:00 → 06:00). A day may have several (a split shift)."""

    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))
    ends_next_day = models.BooleanField(_("closes the next day"), default=False)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("business-hours interval")
        verbose_name_plural = _("business-hours intervals")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6), name="bh_interval_weekday"),
        ]

    def __str__(self):
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}{'+1' if self.ends_next_day else ''}"


class Holiday(OrgScopedModel):
    """A local date the organization is closed (every year on that month and day when
    `recurring`): the intervals that open on it do not open."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    recurring = models.BooleanField(_("every year"), default=False)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="holiday_org_date_uniq")]

    def __str__(self):
        return f"{self.date.isoformat()} {self.name}".strip()


class BusinessCalendar(OrgScopedModel):
    """The span of local days the organization's BusinessPeriod rows cover, and whether it has
    a schedule at all (without one, business-hours targets measure calendar time)."""

    covered_from = models.DateField()
    covered_to = models.DateField()
    has_schedule = models.BooleanField(default=False)
    built_at = models.DateTimeField(auto_now=True)

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization"], name="business_calendar_org_uniq")]


class BusinessPeriod(OrgScopedModel):
    """One materialised open period in UTC epoch seconds [start_s, end_s), with the business
    seconds of every earlier period of the organization (`cum_before`): the running total that
    makes business seconds between two instants two lookups and a subtraction
    (reports.business_hours.cumulative_sql)."""

    start_s = models.BigIntegerField()
    end_s = models.BigIntegerField()
    cum_before = models.BigIntegerField()

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "start_s"], name="business_period_org_start")]

