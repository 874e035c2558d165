import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import OrgScopedModel

INVALID_TIMEZONE = _("“%(value)s” is not an IANA time zone name (for example Europe/Helsinki).")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(INVALID_TIMEZONE, code="invalid_timezone", params={"value": value})


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CsatScale(models.TextChoices):
    ONE_TO_FIVE = "1-5", _("1 to 5")
    ONE_TO_TEN = "1-10", _("1 to 10")
    GOOD_BAD = "good-bad", _("Good / bad")


class Organization(models.Model):
    """A tenant: one support team's account. Every tenant row points here."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone],
        help_text=_("Day boundaries of every report are local days in this time zone."),
    )
    week_start = models.PositiveSmallIntegerField(
        _("week starts on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    follow_up_window_hours = models.PositiveIntegerField(
        _("follow-up window (hours)"), default=72,
        help_text=_("A repeat contact within this window means the first contact was not resolved."),
    )
    min_sample_size = models.PositiveIntegerField(
        _("minimum sample size"), default=10,
        help_text=_("Ratios with fewer observations are flagged “low sample”."),
    )
    csat_scale = models.CharField(
        _("CSAT scale"), max_length=10, choices=CsatScale.choices, default=CsatScale.ONE_TO_FIVE
    )
    gross_margin = models.DecimalField(
        _("average gross margin"), max_digits=5, decimal_places=4, default=1,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Share of revenue kept, used by historical customer lifetime value."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(week_start__gte=0, week_start__lte=6), name="org_week_start_0_6"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The time zone decides every day boundary; a bad name must never reach the database.
        validate_timezone(self.timezone)
        super().save(*args, **kwargs)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address. Belongs to organizations via Membership."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text=_("Language of pages and e-mails; empty follows the browser."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    VIEWER = "viewer", _("Viewer")
    AGENT = "agent", _("Agent")


# What each role may do; pages and the API check these capabilities, never role names.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # manage_personal_data (erase a customer, export or delete the organization): owners only.
    Role.OWNER: frozenset({"view_reports", "manage_schedules", "configure", "manage_members", "manage_api_keys",
                           "manage_personal_data"}),
    Role.ADMIN: frozenset({"view_reports", "manage_schedules", "configure", "manage_members", "manage_api_keys"}),
    Role.MANAGER: frozenset({"view_reports", "manage_schedules"}),
    Role.VIEWER: frozenset({"view_reports"}),
    Role.AGENT: frozenset({"view_own_figures"}),
}


class Membership(OrgScopedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta(OrgScopedModel.Meta):
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_org_user_uniq"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.organization_id}"

    def can(self, capability: str) -> bool:
        return capability in ROLE_CAPABILITIES.get(self.role, frozenset())


class ExternalIdModel(OrgScopedModel):
    """A tenant row that clients name by their own id; unique per organization."""

    external_id = models.CharField(_("external id"), max_length=128)

    class Meta(OrgScopedModel.Meta):
        abstract = True


def external_id_unique(model_name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["organization", "external_id"], name=f"{model_name}_org_external_id_uniq"
    )


class Team(ExternalIdModel):
    name = models.CharField(_("name"), max_length=200)
    # db_default too: the bulk ingestion inserts teams with raw SQL naming only its own columns.
    active = models.BooleanField(
        _("active"), default=True, db_default=True,
        help_text=_("An inactive team keeps its history but is no longer offered for agents."),
    )

    class Meta(ExternalIdModel.Meta):
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [external_id_unique("team")]

    def __str__(self):
        return self.name


class Agent(ExternalIdModel):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents")
    active = models.BooleanField(_("active"), default=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="agent_profiles",
        help_text=_("The login whose “own figures” are this agent's."),
    )

    class Meta(ExternalIdModel.Meta):
        ordering = ["name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            external_id_unique("agent"),
            models.UniqueConstraint(
                fields=["organization", "user"], condition=models.Q(user__isnull=False),
                name="agent_org_user_uniq",
            ),
        ]

    def __str__(self):
        return self.name


class ApiScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")


API_KEY_PREFIX = "hm_"


def hash_api_key(raw_key: str) -> str:
    # Keys are 32 random bytes: a fast hash is safe here (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(OrgScopedModel):
    """A secret that acts for one organization. Only its hash and a short prefix are stored."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_read = models.BooleanField(_("read scope"), default=True)
    can_write = models.BooleanField(_("write scope"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta(OrgScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(can_read=True) | models.Q(can_write=True), name="apikey_has_a_scope"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw key, prefix, hash). The raw key is shown once and never stored."""
        prefix = secrets.token_hex(4)
        raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        return raw, prefix, hash_api_key(raw)

    @property
    def scopes(self) -> list[str]:
        return [s for s, on in ((ApiScope.READ, self.can_read), (ApiScope.WRITE, self.can_write)) if on]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


INVITATION_VALID_DAYS = 7


class Invitation(OrgScopedModel):
    """A pending invitation to join the organization with a role.

    The e-mailed link carries a signed token naming this row and a random secret; only the
    secret's hash is stored. Resending replaces the secret (older links stop working); accepting
    or revoking ends the invitation for good.
    """

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    secret_hash = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta(OrgScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # One open invitation per address: inviting again means resending.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self):
        return f"{self.email} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class AuditKind(models.TextChoices):
    ORGANIZATION_UPDATED = "organization.updated", _("Profile changed")
    MEMBER_INVITED = "member.invited", _("Member invited")
    INVITATION_RESENT = "invitation.resent", _("Invitation resent")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Member role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    TEAM_CREATED = "team.created", _("Team created")
    TEAM_UPDATED = "team.updated", _("Team changed")
    AGENT_UPDATED = "agent.updated", _("Agent changed")
    TAG_CREATED = "tag.created", _("Tag created")
    TAG_UPDATED = "tag.updated", _("Tag changed")
    TAG_MERGED = "tag.merged", _("Tag merged")
    API_KEY_CREATED = "api_key.created", _("API key created")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    SLA_TARGET_CREATED = "sla_target.created", _("SLA target created")
    SLA_TARGET_UPDATED = "sla_target.updated", _("SLA target changed")
    SLA_TARGET_DELETED = "sla_target.deleted", _("SLA target deleted")
    BUSINESS_HOURS_UPDATED = "business_hours.updated", _("Business hours changed")
    GOAL_CREATED = "goal.created", _("Goal created")
    GOAL_UPDATED = "goal.updated", _("Goal changed")
    GOAL_DELETED = "goal.deleted", _("Goal deleted")
    ADMIN_CREATED = "admin.created", _("Created in the operators' admin")
    ADMIN_CHANGED = "admin.changed", _("Changed in the operators' admin")
    ADMIN_DELETED = "admin.deleted", _("Deleted in the operators' admin")
    CUSTOMER_ERASED = "customer.erased", _("Customer's personal data erased")
    ORGANIZATION_EXPORTED = "organization.exported", _("Organization's data exported")


class AuditLogEntry(OrgScopedModel):
    """One configuration change: who made it, when, to what, and each field's old → new value.

    Written by the service that makes the change, in its transaction (accounts.audit.audit_record),
    so a change and its row commit or roll back together.
    """

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Kept as written: the log still says who it was after the user is deleted.
    actor_email = models.CharField(_("by"), max_length=254, blank=True)
    kind = models.CharField(_("kind"), max_length=40, choices=AuditKind.choices)
    target_type = models.CharField(_("object type"), max_length=40)
    target_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    target_label = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True,
                               help_text=_("{field: [old, new]}"))

    class Meta(OrgScopedModel.Meta):
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_time"),
            models.Index(fields=["organization", "kind", "-created_at"], name="audit_org_kind_time"),
            models.Index(fields=["organization", "actor", "-created_at"], name="audit_org_actor_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.target_label} by {self.actor_email or '-'}"
