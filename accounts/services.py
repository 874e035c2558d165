"""Writes for organizations, members and API keys. Keyword-only, organization first."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, ApiScope, Membership, Organization, Role, User

UNKNOWN_SCOPE = "Unknown scope “{scope}”: use read, write or read,write."
UNKNOWN_ROLE = "Unknown role “{role}”: use one of {roles}."


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
    return key, raw


def api_key_revoke(*, organization: Organization, key: ApiKey) -> ApiKey:
    if key.organization_id != organization.pk:
        raise ValidationError("That key belongs to another organization.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
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
