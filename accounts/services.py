"""Writes for organizations, members, teams, agents and API keys. Keyword-only, organization
first. Each configuration change writes its audit row (accounts.audit) in its own transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, field_changes
from accounts.models import (
    Agent,
    ApiKey,
    ApiScope,
    AuditKind,
    Membership,
    Organization,
    Role,
    Team,
    User,
)

UNKNOWN_SCOPE = _("Unknown scope “{scope}”: use read, write or read,write.")
UNKNOWN_ROLE = _("Unknown role “{role}”: use one of {roles}.")
LAST_OWNER = _("The organization needs an owner: make someone else owner first.")
ONLY_OWNERS_MANAGE_OWNERS = _("Only an owner can make someone an owner or change an owner's role.")
NOT_A_MEMBER = _("%(email)s is not a member of this organization.")
AGENT_ALREADY_LINKED = _("%(email)s is already linked to the agent “%(agent)s”.")
TEAM_INACTIVE = _("The team “%(team)s” is inactive: activate it before moving agents into it.")
TEAM_NAME_TAKEN = _("A team named “%(name)s” already exists.")
TEAM_EXTERNAL_ID_TAKEN = _("The external id “%(external_id)s” is already used by another team.")
UNKNOWN_LANGUAGE = _("Choose one of the languages offered.")

# The profile fields an owner or admin edits in the product.
PROFILE_FIELDS = ("name", "timezone", "week_start", "follow_up_window_hours", "min_sample_size",
                  "csat_scale", "gross_margin")


@transaction.atomic
def organization_create(*, slug: str, name: str, timezone_name: str = "UTC", **settings) -> Organization:
    org = Organization(slug=slug, name=name, timezone=timezone_name, **settings)
    org.full_clean()
    org.save()
    return org


def parse_scopes(raw: str | list[str]) -> set[str]:
    scopes = {s.strip().lower() for s in (raw.split(",") if isinstance(raw, str) else raw) if s.strip()}
    for scope in scopes:
        if scope not in ApiScope.values:
            raise ValidationError(UNKNOWN_SCOPE.format(scope=scope), code="unknown_scope")
    if not scopes:
        raise ValidationError(UNKNOWN_SCOPE.format(scope=""), code="unknown_scope")
    return scopes


@transaction.atomic
def api_key_create(
    *, organization: Organization, name: str, scopes: set[str], created_by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the raw secret, which is never stored and shown only once."""
    raw, prefix, key_hash = ApiKey.generate()
    key = ApiKey(
        organization=organization, name=name, prefix=prefix, key_hash=key_hash,
        can_read=ApiScope.READ in scopes, can_write=ApiScope.WRITE in scopes, created_by=created_by,
    )
    key.full_clean(exclude=["prefix", "key_hash"])
    key.save()
    audit_record(organization=organization, actor=created_by, kind=AuditKind.API_KEY_CREATED, target=key,
                 changes={"scopes": [None, ",".join(key.scopes)]})
    return key, raw


@transaction.atomic
def api_key_revoke(*, organization: Organization, key: ApiKey, actor: User | None = None) -> ApiKey:
    if key.organization_id != organization.pk:
        raise ValidationError(_("That key belongs to another organization."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(organization=organization, actor=actor, kind=AuditKind.API_KEY_REVOKED, target=key,
                     changes={"revoked_at": [None, key.revoked_at.isoformat()]})
    return key


@transaction.atomic
def member_create(
    *, organization: Organization, email: str, role: str, password: str | None = None, name: str = ""
) -> Membership:
    """Add a user (created if new) to the organization with the role, or change their role."""
    if role not in Role.values:
        raise ValidationError(UNKNOWN_ROLE.format(role=role, roles=", ".join(Role.values)), code="unknown_role")
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, name=name)
        user.set_password(password) if password else user.set_unusable_password()
        user.full_clean()
        user.save()
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, _ = Membership.unscoped.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


# --- Organization profile -------------------------------------------------------------------

@transaction.atomic
def organization_update(*, organization: Organization, actor: User | None, **values) -> tuple[Organization, set[dt.date]]:
    """Change profile fields (PROFILE_FIELDS); returns the organization and the days marked
    for rebuild. Settings baked into snapshots (reports.freshness.SNAPSHOT_SETTINGS: the time
    zone, the follow-up window, the CSAT scale) mark every day of the organization's data dirty;
    the others (week start, minimum sample, gross margin) are read when a report is computed
    and take effect at once."""
    from reports.freshness import SNAPSHOT_SETTINGS, mark_all_days_dirty

    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = {name: getattr(org, name) for name in PROFILE_FIELDS}
    for name, value in values.items():
        setattr(org, name, value)
    org.full_clean()
    changes = field_changes(before, {name: getattr(org, name) for name in PROFILE_FIELDS}, PROFILE_FIELDS)
    if not changes:
        return org, set()
    org.save(update_fields=list(changes))
    audit_record(organization=org, actor=actor, kind=AuditKind.ORGANIZATION_UPDATED, target=org, changes=changes)
    days: set[dt.date] = set()
    if any(name in changes for name in SNAPSHOT_SETTINGS):
        # After the save: the span is read in the new time zone, and the days already built in
        # the old one are in it too (their snapshot days), so both are rebuilt.
        days = mark_all_days_dirty(organization=org)
    return org, days


# --- Members --------------------------------------------------------------------------------

def _lock_owners(organization: Organization) -> list[int]:
    """Lock the organization's owner memberships (two demotions cannot both pass the last-owner
    check) and return their ids."""
    return list(Membership.objects.for_org(organization).filter(role=Role.OWNER).select_for_update()
                .order_by("pk").values_list("pk", flat=True))


def _check_owner_rules(*, organization: Organization, actor: Membership | None, membership: Membership,
                       new_role: str | None) -> None:
    """Only owners touch owners; the last owner stays an owner. ``new_role`` None: removal."""
    touches_owner = membership.role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and actor is not None and actor.role != Role.OWNER:
        raise ValidationError(ONLY_OWNERS_MANAGE_OWNERS, code="only_owners")
    if membership.role == Role.OWNER and new_role != Role.OWNER:
        owners = _lock_owners(organization)
        if owners == [membership.pk]:
            raise ValidationError(LAST_OWNER, code="last_owner")


@transaction.atomic
def member_role_change(*, organization: Organization, actor: Membership | None, membership: Membership,
                       role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError(UNKNOWN_ROLE.format(role=role, roles=", ".join(Role.values)), code="unknown_role")
    membership = Membership.objects.for_org(organization).select_for_update(of=("self",)).select_related("user").get(
        pk=membership.pk)
    if membership.role == role:
        return membership
    _check_owner_rules(organization=organization, actor=actor, membership=membership, new_role=role)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(organization=organization, actor=actor.user if actor else None, kind=AuditKind.MEMBER_ROLE_CHANGED,
                 target=membership, target_label=membership.user.email, changes={"role": [old, role]})
    return membership


@transaction.atomic
def member_remove(*, organization: Organization, actor: Membership | None, membership: Membership) -> None:
    """Remove the member; agents linked to them in this organization are unlinked (their
    figures stay, no login sees them as "own" any more)."""
    membership = Membership.objects.for_org(organization).select_for_update(of=("self",)).select_related("user").get(
        pk=membership.pk)
    _check_owner_rules(organization=organization, actor=actor, membership=membership, new_role=None)
    user = membership.user
    unlinked = list(Agent.objects.for_org(organization).filter(user=user).values_list("name", flat=True))
    Agent.objects.for_org(organization).filter(user=user).update(user=None)
    membership.delete()
    changes = {"role": [membership.role, None]}
    if unlinked:
        changes["agents"] = [sorted(unlinked), []]
    audit_record(organization=organization, actor=actor.user if actor else None, kind=AuditKind.MEMBER_REMOVED,
                 target_type="membership", target_label=user.email, changes=changes)


# --- Teams and agents -----------------------------------------------------------------------

def _team_name_check(organization: Organization, name: str, exclude: int | None = None) -> None:
    clash = Team.objects.for_org(organization).filter(name__iexact=name.strip())
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": TEAM_NAME_TAKEN % {"name": name.strip()}}, code="duplicate")


def _free_external_id(organization: Organization, name: str) -> str:
    """An external id for a team made in the product: its name slugified, numbered if taken."""
    base = slugify(name)[:100] or "team"
    taken = set(Team.objects.for_org(organization).filter(external_id__startswith=base)
                .values_list("external_id", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def team_create(*, organization: Organization, actor: User | None, name: str, external_id: str = "") -> Team:
    """A team; ``external_id`` (how the API names it) defaults to the slugified name."""
    name = name.strip()
    _team_name_check(organization, name)
    external_id = external_id.strip() or _free_external_id(organization, name)
    if Team.objects.for_org(organization).filter(external_id=external_id).exists():
        raise ValidationError({"external_id": TEAM_EXTERNAL_ID_TAKEN % {"external_id": external_id}}, code="duplicate")
    team = Team(organization=organization, name=name, external_id=external_id)
    team.full_clean()
    team.save()
    audit_record(organization=organization, actor=actor, kind=AuditKind.TEAM_CREATED, target=team,
                 changes={"name": [None, name], "external_id": [None, external_id]})
    return team


@transaction.atomic
def team_update(*, organization: Organization, actor: User | None, team: Team, name: str, active: bool) -> Team:
    """Rename or (de)activate a team. Neither changes a figure: reports read team names when
    they are shown, and an inactive team keeps its history."""
    team = Team.objects.for_org(organization).select_for_update().get(pk=team.pk)
    name = name.strip()
    _team_name_check(organization, name, exclude=team.pk)
    before = {"name": team.name, "active": team.active}
    team.name, team.active = name, active
    team.full_clean()
    changes = field_changes(before, {"name": name, "active": active}, ("name", "active"))
    if changes:
        team.save(update_fields=list(changes))
        audit_record(organization=organization, actor=actor, kind=AuditKind.TEAM_UPDATED, target=team, changes=changes)
    return team


def agent_activity_days(*, organization: Organization, agent: Agent) -> set[dt.date]:
    """Every local day from the agent's first to last activity (chats, tickets, sessions, canned
    responses, survey answers about them): the days whose team figures can fall back to the
    agent's team (a conversation without a team of its own counts for its agent's)."""
    from chats.models import AgentSession, CannedResponseUse, Chat, Ticket
    from reports.freshness import local_days
    from surveys.models import SurveyAnswer

    bounds = [
        Chat.objects.for_org(organization).filter(agent=agent).aggregate(a=Min("requested_at"), b=Max("requested_at")),
        Ticket.objects.for_org(organization).filter(agent=agent).aggregate(
            a=Min("created_at"), b=Max("created_at"), c=Max("resolved_at")),
        AgentSession.objects.for_org(organization).filter(agent=agent).aggregate(a=Min("started_at"), b=Max("ended_at")),
        CannedResponseUse.objects.for_org(organization).filter(agent=agent).aggregate(a=Min("used_at"), b=Max("used_at")),
        SurveyAnswer.objects.for_org(organization).filter(
            Q(agent=agent) | Q(chat__agent=agent) | Q(ticket__agent=agent)).aggregate(
            a=Min("answered_at"), b=Max("answered_at")),
    ]
    days = local_days(organization=organization, timestamps=[v for b in bounds for v in b.values()])
    if not days:
        return set()
    first, last = min(days), max(days)
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


@transaction.atomic
def agent_update(*, organization: Organization, actor: User | None, agent: Agent, team: Team | None,
                 user: User | None) -> tuple[Agent, set[dt.date]]:
    """Move the agent to ``team`` and link them to the member ``user`` (None: unlinked);
    returns the agent and the days marked for rebuild. A move marks the agent's activity days
    (agent_activity_days): the team figures of conversations without a team of their own
    follow their agent's team. Linking a member changes no figure (it decides whose "own
    figures" an agent-role login sees)."""
    from reports.freshness import mark_dirty

    agent = (Agent.objects.for_org(organization).select_for_update(of=("self",)).select_related("team", "user")
             .get(pk=agent.pk))
    if team is not None:
        team = Team.objects.for_org(organization).get(pk=team.pk)  # another organization's: DoesNotExist
        if not team.active and team.pk != agent.team_id:
            raise ValidationError({"team": TEAM_INACTIVE % {"team": team.name}}, code="team_inactive")
    if user is not None:
        if not Membership.objects.for_org(organization).filter(user=user).exists():
            raise ValidationError({"user": NOT_A_MEMBER % {"email": user.email}}, code="not_a_member")
        other = Agent.objects.for_org(organization).filter(user=user).exclude(pk=agent.pk).first()
        if other is not None:
            raise ValidationError({"user": AGENT_ALREADY_LINKED % {"email": user.email, "agent": other.name}},
                                  code="already_linked")
    # Compared by id (two teams may share a name), recorded by label.
    changes = {}
    if agent.team_id != getattr(team, "pk", None):
        changes["team"] = [agent.team and str(agent.team), team and str(team)]
    if agent.user_id != getattr(user, "pk", None):
        changes["user"] = [agent.user and agent.user.email, user and user.email]
    if not changes:
        return agent, set()
    days: set[dt.date] = set()
    if "team" in changes:
        days = mark_dirty(organization=organization, days=agent_activity_days(organization=organization, agent=agent))
    agent.team, agent.user = team, user
    agent.save(update_fields=["team", "user"])
    audit_record(organization=organization, actor=actor, kind=AuditKind.AGENT_UPDATED, target=agent, changes=changes)
    return agent, days


# --- Personal preferences ------------------------------------------------------------------


def user_set_language(*, user: User, language: str) -> User:
    """Save ``user``'s page and e-mail language (a code of settings.LANGUAGES, or "" to follow
    the browser). A personal preference, not organization configuration: no audit row."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": UNKNOWN_LANGUAGE}, code="unknown_language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
