"""Invitations: signed, expiring, single-use links that let a person join an organization.

The link is ``/invitations/<token>/``; the token is signed with the site's secret key and names
the organization, the invitation and a random secret whose hash the row keeps. A link is good
only while its invitation is pending (neither accepted nor revoked), before ``expires_at``, and
only with the secret of the last sending (resending replaces it). Accepting claims the row with a
conditional UPDATE, so two clicks of one link cannot both join.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.models import (
    INVITATION_VALID_DAYS,
    AuditKind,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)

TOKEN_SALT = "accounts.invitation"
VALIDITY = timezone.timedelta(days=INVITATION_VALID_DAYS)

ALREADY_MEMBER = _("%(email)s is already a member of this organization.")
ALREADY_INVITED = _("%(email)s already has a pending invitation: resend it instead.")
ONLY_OWNERS_INVITE_OWNERS = _("Only an owner can invite another owner.")
INVITATION_NOT_PENDING = _("This invitation was already accepted or revoked.")
LINK_INVALID = _("This invitation link is not valid. Ask for a new invitation.")
LINK_EXPIRED = _("This invitation has expired. Ask an owner or admin of the organization to send it again.")
LINK_USED = _("This invitation was already used or has been withdrawn.")
LINK_REPLACED = _("A newer invitation was sent to this address: use the link in the latest e-mail.")
WRONG_ACCOUNT = _("This invitation is for %(email)s. Log out, then open the link again.")


class InvitationLinkError(Exception):
    """The link cannot be used: its message says why, for the person who clicked it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(invitation: Invitation, secret: str) -> str:
    return signing.dumps({"o": invitation.organization_id, "i": invitation.pk, "s": secret}, salt=TOKEN_SALT,
                         compress=True)


def accept_url(*, site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("invitation_accept", kwargs={"token": token})


def _send(invitation: Invitation, organization: Organization, token: str, site_url: str, invited_by: User | None) -> None:
    """The invitation e-mail through the configured backend, in the inviter's language (the
    invitee's is unknown until they join)."""
    context = {
        "organization": organization, "invitation": invitation, "role": invitation.get_role_display(),
        "url": accept_url(site_url=site_url, token=token), "invited_by": invited_by,
        "valid_days": INVITATION_VALID_DAYS,
    }
    with translation.override(getattr(invited_by, "language", "") or translation.get_language()):
        subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
        text = render_to_string("emails/invitation.txt", context)
        html = render_to_string("emails/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()


def _new_secret(invitation: Invitation, now) -> str:
    secret = secrets.token_urlsafe(24)
    invitation.secret_hash = _hash(secret)
    invitation.sent_at = now
    invitation.expires_at = now + VALIDITY
    return secret


def invitation_create(*, organization: Organization, actor: Membership, email: str, role: str,
                      site_url: str) -> Invitation:
    """Invite ``email`` with ``role`` and send the link (after the row and its audit entry are
    committed: a mail failure leaves a pending invitation to resend, and raises)."""
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")}, code="unknown_role")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise ValidationError({"role": ONLY_OWNERS_INVITE_OWNERS}, code="only_owners")
    if Membership.objects.for_org(organization).filter(user__email=email).exists():
        raise ValidationError({"email": ALREADY_MEMBER % {"email": email}}, code="already_member")
    if Invitation.objects.for_org(organization).filter(email=email, accepted_at__isnull=True,
                                                       revoked_at__isnull=True).exists():
        raise ValidationError({"email": ALREADY_INVITED % {"email": email}}, code="already_invited")
    try:
        with transaction.atomic():
            invitation = Invitation(organization=organization, email=email, role=role, invited_by=actor.user)
            secret = _new_secret(invitation, timezone.now())
            invitation.full_clean(exclude=["secret_hash"], validate_constraints=False)
            invitation.save()
            audit_record(organization=organization, actor=actor.user, kind=AuditKind.MEMBER_INVITED,
                         target=invitation, target_label=email, changes={"role": [None, role]})
    except IntegrityError as exc:  # the partial unique index: one pending invitation per address
        raise ValidationError({"email": ALREADY_INVITED % {"email": email}}, code="already_invited") from exc
    _send(invitation, organization, _token(invitation, secret), site_url, actor.user)
    return invitation


def _pending(organization: Organization, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.for_org(organization).select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(INVITATION_NOT_PENDING, code="not_pending")
    return invitation


def invitation_resend(*, organization: Organization, actor: User | None, invitation: Invitation,
                      site_url: str) -> Invitation:
    """A new link, valid for INVITATION_VALID_DAYS from now; links sent before stop working."""
    with transaction.atomic():
        invitation = _pending(organization, invitation)
        old_expiry = invitation.expires_at
        secret = _new_secret(invitation, timezone.now())
        invitation.save(update_fields=["secret_hash", "sent_at", "expires_at"])
        audit_record(organization=organization, actor=actor, kind=AuditKind.INVITATION_RESENT, target=invitation,
                     target_label=invitation.email,
                     changes={"expires_at": [old_expiry.isoformat(), invitation.expires_at.isoformat()]})
    _send(invitation, organization, _token(invitation, secret), site_url, actor)
    return invitation


@transaction.atomic
def invitation_revoke(*, organization: Organization, actor: User | None, invitation: Invitation) -> Invitation:
    invitation = _pending(organization, invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(organization=organization, actor=actor, kind=AuditKind.INVITATION_REVOKED, target=invitation,
                 target_label=invitation.email, changes={"status": ["pending", "revoked"]})
    return invitation


@dataclass(frozen=True)
class OpenedInvitation:
    """A link that checked out: its invitation, organization and secret hash (to claim with)."""

    invitation: Invitation
    organization: Organization
    secret_hash: str

    @property
    def existing_user(self) -> User | None:
        return User.objects.filter(email=self.invitation.email).first()


def invitation_open(*, token: str) -> OpenedInvitation:
    """The invitation a link names, if the link may still be used; InvitationLinkError if not."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=VALIDITY)
    except signing.SignatureExpired as exc:
        raise InvitationLinkError(LINK_EXPIRED) from exc
    except signing.BadSignature as exc:
        raise InvitationLinkError(LINK_INVALID) from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), t) for k, t in
                                                (("o", int), ("i", int), ("s", str))):
        raise InvitationLinkError(LINK_INVALID)
    # Looked up within the organization the token names: an invitation of another one is not found.
    invitation = (Invitation.objects.for_org(payload["o"]).select_related("organization")
                  .filter(pk=payload["i"]).first())
    if invitation is None:
        raise InvitationLinkError(LINK_INVALID)
    if not invitation.is_pending:
        raise InvitationLinkError(LINK_USED)
    if not secrets.compare_digest(invitation.secret_hash, _hash(payload["s"])):
        raise InvitationLinkError(LINK_REPLACED)
    if invitation.is_expired():
        raise InvitationLinkError(LINK_EXPIRED)
    return OpenedInvitation(invitation=invitation, organization=invitation.organization,
                            secret_hash=invitation.secret_hash)


@transaction.atomic
def invitation_accept(*, opened: OpenedInvitation, user: User | None = None, name: str = "",
                      password: str | None = None) -> Membership:
    """Join: ``user`` (logged in, with the invited address) or, for an address without an account,
    a new user with ``name`` and ``password``. The claim is one conditional UPDATE: a second use
    of the link, a revoke or a resend meanwhile, or expiry, and nothing is claimed."""
    invitation, organization = opened.invitation, opened.organization
    if user is not None and user.email.lower() != invitation.email:
        raise InvitationLinkError(WRONG_ACCOUNT % {"email": invitation.email})
    now = timezone.now()
    claimed = Invitation.objects.for_org(organization).filter(
        pk=invitation.pk, secret_hash=opened.secret_hash, accepted_at__isnull=True, revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(accepted_at=now)
    if not claimed:
        raise InvitationLinkError(LINK_USED)
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            # An account appeared since the page was shown: its owner must log in to join.
            raise InvitationLinkError(WRONG_ACCOUNT % {"email": invitation.email})
        user = User(email=invitation.email, name=name.strip())
        user.set_password(password)
        user.full_clean()
        user.save()
    membership, created = Membership.objects.for_org(organization).get_or_create(
        organization=organization, user=user, defaults={"role": invitation.role})
    Invitation.objects.for_org(organization).filter(pk=invitation.pk).update(accepted_by=user)
    audit_record(organization=organization, actor=user, kind=AuditKind.INVITATION_ACCEPTED, target=invitation,
                 target_label=invitation.email,
                 changes={"role": [None, membership.role]} if created else {})
    return membership
