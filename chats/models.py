"""Helpdesk data as it arrives: conversations, customers, and what agents do.

Timestamps are stored in UTC; the organization's time zone decides the local day at read time.
Message lists are never stored: ingestion reduces them to counts and response-time sums.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import ExternalIdModel, external_id_unique
from accounts.tenancy import OrgScopedModel
from chats.windows import in_activity, in_history

# Typing speed assumed for a canned response's default time saved (METRICS.md: canned_usage).
TYPING_WORDS_PER_MINUTE = 40


class Channel(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    WEB = "web", _("Web form")
    OTHER = "other", _("Other")


class Customer(ExternalIdModel):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    acquired_at = models.DateTimeField(_("acquired"), validators=[in_history])
    churned_at = models.DateTimeField(_("churned"), null=True, blank=True, validators=[in_history])
    referred_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            external_id_unique("customer"),
            models.CheckConstraint(
                condition=Q(churned_at__isnull=True) | Q(churned_at__gte=F("acquired_at")),
                name="customer_churn_after_acquisition",
            ),
        ]
        indexes = [models.Index(fields=["organization", "acquired_at"], name="customer_org_acquired")]

    def __str__(self):
        return self.name or self.external_id


class Purchase(ExternalIdModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="purchases")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    purchased_at = models.DateTimeField(_("purchased"), validators=[in_history])

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            external_id_unique("purchase"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="purchase_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["organization", "purchased_at"], name="purchase_org_time")]

    def __str__(self):
        return f"{self.external_id}: {self.amount}"


class Tag(OrgScopedModel):
    """A label on conversations. Clients name tags by their name, unique per organization."""

    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("colour"), max_length=7, blank=True, help_text=_("#rrggbb"))
    category = models.CharField(_("category"), max_length=100, blank=True)
    high_priority = models.BooleanField(_("high priority"), default=False)
    # db_default too: the bulk ingestion inserts tags with raw SQL naming only its own columns.
    archived = models.BooleanField(
        _("archived"), default=False, db_default=False,
        help_text=_("Archived tags keep their history and still count in reports; they are listed apart."),
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_tags",
        verbose_name=_("merged into"),
        help_text=_("Set by a merge: this tag's conversations now carry that tag."),
    )

    class Meta(OrgScopedModel.Meta):
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_org_name_uniq")]

    def __str__(self):
        return self.name


class InitiatedBy(models.TextChoices):
    VISITOR = "visitor", _("Visitor (reactive)")
    AGENT = "agent", _("Agent (proactive)")


class ChatOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated")
    UNRESOLVED = "unresolved", _("Unresolved")
    MISSED = "missed", _("Missed")


class MissedReason(models.TextChoices):
    VISITOR_LEFT = "visitor_left", _("Visitor left the queue")
    TIMEOUT = "timeout", _("Timed out")
    NO_AGENT_ONLINE = "no_agent_online", _("No agent online")


def _after(later: str, earlier: str) -> Q:
    """Either timestamp may be missing; when both are present, `later` is not before `earlier`."""
    return Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__gte": F(earlier)})


def _not_negative(*fields: str) -> Q:
    q = Q()
    for field in fields:
        q &= Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0})
    return q


class Chat(ExternalIdModel):
    """One live-chat conversation (answered or missed). Its local day is that of `requested_at`."""

    requested_at = models.DateTimeField(_("requested"), validators=[in_activity])
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, validators=[in_activity])
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, validators=[in_activity])
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, validators=[in_activity])
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, validators=[in_activity])
    agent = models.ForeignKey(
        "accounts.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="chats",
        help_text=_("The agent who handled the chat, or to whom a missed chat was routed."),
    )
    first_agent = models.ForeignKey(
        "accounts.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="first_chats"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="chats")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="chats")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CHAT)
    initiated_by = models.CharField(
        _("initiated by"), max_length=10, choices=InitiatedBy.choices, default=InitiatedBy.VISITOR
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=ChatOutcome.choices, blank=True)
    missed_reason = models.CharField(_("missed reason"), max_length=20, choices=MissedReason.choices, blank=True)
    messages_visitor = models.PositiveIntegerField(_("visitor messages"), default=0)
    messages_agent = models.PositiveIntegerField(_("agent messages"), default=0)
    response_time_total_s = models.FloatField(_("sum of response times (s)"), default=0)
    response_count = models.PositiveIntegerField(_("responses"), default=0)
    transfers = models.PositiveIntegerField(_("transfers"), default=0)
    tags = models.ManyToManyField(Tag, through="ChatTag", related_name="chats", blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, validators=[in_activity])
    conversion_value = models.DecimalField(_("conversion value"), max_digits=12, decimal_places=2, null=True, blank=True)
    conversion_after_follow_up = models.BooleanField(_("converted after a follow-up"), default=False)
    time_on_site_before_chat_s = models.FloatField(_("time on site before the chat (s)"), null=True, blank=True)
    page_url = models.URLField(_("page"), max_length=1000, blank=True)

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        constraints = [
            external_id_unique("chat"),
            models.CheckConstraint(condition=_after("accepted_at", "requested_at"), name="chat_accepted_after_request"),
            models.CheckConstraint(condition=_after("first_response_at", "requested_at"), name="chat_response_after_request"),
            models.CheckConstraint(condition=_after("ended_at", "accepted_at"), name="chat_ended_after_accept"),
            models.CheckConstraint(condition=_after("ended_at", "requested_at"), name="chat_ended_after_request"),
            models.CheckConstraint(condition=_after("closed_at", "ended_at"), name="chat_closed_after_end"),
            models.CheckConstraint(condition=_after("converted_at", "requested_at"), name="chat_converted_after_request"),
            models.CheckConstraint(
                condition=_not_negative("response_time_total_s", "conversion_value", "time_on_site_before_chat_s"),
                name="chat_no_negative_amounts",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(missed_reason=""),
                name="chat_answered_has_no_missed_reason",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=ChatOutcome.MISSED) | Q(accepted_at__isnull=True),
                name="chat_missed_not_accepted",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "requested_at"], name="chat_org_requested"),
            models.Index(fields=["organization", "agent", "requested_at"], name="chat_org_agent_requested"),
            models.Index(fields=["organization", "customer", "requested_at"], name="chat_org_customer_requested"),
        ]

    def __str__(self):
        return self.external_id

    @property
    def is_answered(self) -> bool:
        return self.accepted_at is not None


class ChatTag(OrgScopedModel):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="chat_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="chat_tags")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "chat", "tag"], name="chattag_uniq")]
        indexes = [models.Index(fields=["organization", "tag"], name="chattag_org_tag")]


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Ticket(ExternalIdModel):
    """A ticket. Volume counts on the local day of `created_at`; resolution on `resolved_at`'s."""

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), validators=[in_activity])
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, validators=[in_activity])
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, validators=[in_activity])
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    agent = models.ForeignKey("accounts.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    tags = models.ManyToManyField(Tag, through="TicketTag", related_name="tickets", blank=True)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)
    agent_replies = models.PositiveIntegerField(_("agent replies"), default=0)
    response_time_total_s = models.FloatField(_("sum of response times (s)"), default=0)
    response_count = models.PositiveIntegerField(_("responses"), default=0)
    is_complaint = models.BooleanField(_("complaint"), default=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, validators=[in_activity])
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True)

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            external_id_unique("ticket"),
            models.CheckConstraint(condition=_after("first_response_at", "created_at"), name="ticket_response_after_creation"),
            models.CheckConstraint(condition=_after("resolved_at", "created_at"), name="ticket_resolved_after_creation"),
            models.CheckConstraint(condition=_after("escalated_at", "created_at"), name="ticket_escalated_after_creation"),
            models.CheckConstraint(condition=_not_negative("response_time_total_s"), name="ticket_no_negative_amounts"),
            models.CheckConstraint(
                condition=~Q(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]) | Q(resolved_at__isnull=False),
                name="ticket_resolved_status_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="ticket_org_created"),
            models.Index(fields=["organization", "resolved_at"], name="ticket_org_resolved"),
            models.Index(fields=["organization", "agent", "created_at"], name="ticket_org_agent_created"),
        ]

    def __str__(self):
        return self.external_id


class TicketTag(OrgScopedModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ticket_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="ticket_tags")

    class Meta(OrgScopedModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "ticket", "tag"], name="tickettag_uniq")]
        indexes = [models.Index(fields=["organization", "tag"], name="tickettag_org_tag")]


class CannedResponse(ExternalIdModel):
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    seconds_saved = models.FloatField(
        _("seconds saved per use"), null=True, blank=True,
        help_text=_("Empty: the time to type the text at 40 words per minute."),
    )

    class Meta(ExternalIdModel.Meta):
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        constraints = [
            external_id_unique("cannedresponse"),
            models.CheckConstraint(condition=_not_negative("seconds_saved"), name="canned_seconds_saved_not_negative"),
        ]

    def __str__(self):
        return self.title

    @property
    def effective_seconds_saved(self) -> float:
        if self.seconds_saved is not None:
            return self.seconds_saved
        return len(self.text.split()) * 60 / TYPING_WORDS_PER_MINUTE


class CannedResponseUse(ExternalIdModel):
    canned_response = models.ForeignKey(CannedResponse, on_delete=models.CASCADE, related_name="uses")
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="canned_uses")
    used_at = models.DateTimeField(_("used"), validators=[in_activity])
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_uses")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_uses")

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("canned response use")
        verbose_name_plural = _("canned response uses")
        constraints = [
            external_id_unique("cannedresponseuse"),
            models.CheckConstraint(
                condition=Q(chat__isnull=True) | Q(ticket__isnull=True), name="canned_use_one_conversation"
            ),
        ]
        indexes = [models.Index(fields=["organization", "used_at"], name="canned_use_org_time")]


class SessionStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")


class AgentSession(ExternalIdModel):
    """An interval of agent availability; reports split it at local midnight."""

    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="sessions")
    started_at = models.DateTimeField(_("started"), validators=[in_activity])
    ended_at = models.DateTimeField(_("ended"), validators=[in_activity])
    status = models.CharField(_("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.ONLINE)

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("agent session")
        verbose_name_plural = _("agent sessions")
        constraints = [
            external_id_unique("agentsession"),
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")), name="session_ends_after_start"),
        ]
        indexes = [models.Index(fields=["organization", "started_at"], name="session_org_started")]


class WebsiteTraffic(OrgScopedModel):
    """Visitors to the organization's website on one local day."""

    date = models.DateField(_("date"), validators=[in_activity])
    visitors = models.PositiveIntegerField(_("visitors"))

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("website traffic")
        verbose_name_plural = _("website traffic")
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="traffic_org_date_uniq")]


class QualityScorecard(OrgScopedModel):
    """The organization's review criteria: [{"key", "label", "weight", "max_score"}, ...]."""

    name = models.CharField(_("name"), max_length=200)
    criteria = models.JSONField(_("criteria"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("quality scorecard")
        verbose_name_plural = _("quality scorecards")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(active=True), name="scorecard_one_active_per_org"
            ),
        ]

    def __str__(self):
        return self.name


class QualityReview(ExternalIdModel):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, null=True, blank=True, related_name="quality_reviews")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="quality_reviews")
    agent = models.ForeignKey("accounts.Agent", on_delete=models.CASCADE, related_name="quality_reviews")
    scorecard = models.ForeignKey(QualityScorecard, on_delete=models.PROTECT, related_name="reviews")
    reviewed_at = models.DateTimeField(_("reviewed"), validators=[in_activity])
    reviewer = models.CharField(_("reviewer"), max_length=200, blank=True)
    scores = models.JSONField(_("scores"), help_text=_("{criterion key: score}"))

    class Meta(ExternalIdModel.Meta):
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        constraints = [
            external_id_unique("qualityreview"),
            models.CheckConstraint(
                condition=Q(chat__isnull=True) | Q(ticket__isnull=True), name="review_one_conversation"
            ),
        ]
        indexes = [models.Index(fields=["organization", "reviewed_at"], name="review_org_time")]
