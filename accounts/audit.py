"""The audit log of configuration changes: written by each service inside its own transaction.

``audit_record`` is called by the service that makes the change, never by a view, so no path
changes configuration without a row (and a rolled-back change leaves none). ``audit_entries``
is the one read of the log (the page and its CSV export).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from accounts.models import AuditKind, AuditLogEntry, Organization, User

# The kinds grouped as the log page offers them in its filter.
KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "organization": (AuditKind.ORGANIZATION_UPDATED,),
    "members": (AuditKind.MEMBER_INVITED, AuditKind.INVITATION_RESENT, AuditKind.INVITATION_REVOKED,
                AuditKind.INVITATION_ACCEPTED, AuditKind.MEMBER_ROLE_CHANGED, AuditKind.MEMBER_REMOVED),
    "teams": (AuditKind.TEAM_CREATED, AuditKind.TEAM_UPDATED, AuditKind.AGENT_UPDATED),
    "tags": (AuditKind.TAG_CREATED, AuditKind.TAG_UPDATED, AuditKind.TAG_MERGED),
    "api_keys": (AuditKind.API_KEY_CREATED, AuditKind.API_KEY_REVOKED),
    "sla": (AuditKind.SLA_TARGET_CREATED, AuditKind.SLA_TARGET_UPDATED, AuditKind.SLA_TARGET_DELETED,
            AuditKind.BUSINESS_HOURS_UPDATED),
    "goals": (AuditKind.GOAL_CREATED, AuditKind.GOAL_UPDATED, AuditKind.GOAL_DELETED),
    "admin": (AuditKind.ADMIN_CREATED, AuditKind.ADMIN_CHANGED, AuditKind.ADMIN_DELETED),
    "personal_data": (AuditKind.CUSTOMER_ERASED, AuditKind.ORGANIZATION_EXPORTED),
}


def _plain(value):
    """A value as JSON keeps it: model rows by their label, decimals and instants as text."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def field_changes(before: dict, after: dict, fields: Iterable[str]) -> dict[str, list]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    changes = {}
    for name in fields:
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old != new:
            changes[name] = [old, new]
    return changes


# Who rows written without a User as actor are signed by (an API key's label), set by audit_signed_as.
_SIGNED_AS: ContextVar[str] = ContextVar("audit_signed_as", default="")


@contextmanager
def audit_signed_as(label: str) -> Iterator[None]:
    """Audit rows written inside with ``actor=None`` name ``label`` under “By” (the API signs
    with its key's name: services take a User as the actor, and a key is none)."""
    token = _SIGNED_AS.set(label)
    try:
        yield
    finally:
        _SIGNED_AS.reset(token)


def audit_record(
    *, organization: Organization, actor: User | None, kind: str, target: models.Model | None = None,
    target_type: str = "", target_label: str = "", changes: dict | None = None,
) -> AuditLogEntry:
    """Write one audit row (inside the caller's transaction). ``actor`` None: an API key (see
    :func:`audit_signed_as`) or a command outside the product (manage.py)."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_label = target_label or str(target)
    return AuditLogEntry.objects.for_org(organization).create(
        organization=organization, actor=actor, actor_email=(actor.email if actor else _SIGNED_AS.get())[:254], kind=kind,
        target_type=target_type, target_id=getattr(target, "pk", None), target_label=target_label[:300],
        changes=changes or {},
    )


def audit_entries(*, organization: Organization, kind: str = "", actor_id: int | None = None):
    """The organization's log, newest first; ``kind`` is one kind or a group of KIND_GROUPS."""
    entries = AuditLogEntry.objects.for_org(organization).select_related("actor")
    if kind in KIND_GROUPS:
        entries = entries.filter(kind__in=KIND_GROUPS[kind])
    elif kind:
        entries = entries.filter(kind=kind)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    return entries.order_by("-created_at", "-pk")


def audit_actors(*, organization: Organization):
    """The people who appear in the organization's log (for its filter), by e-mail."""
    ids = AuditLogEntry.objects.for_org(organization).filter(actor__isnull=False).values("actor_id")
    return User.objects.filter(pk__in=ids).order_by("email")
