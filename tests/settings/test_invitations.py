import datetime as dt
import re

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import (
    ALREADY_INVITED,
    ALREADY_MEMBER,
    LINK_EXPIRED,
    LINK_INVALID,
    LINK_REPLACED,
    LINK_USED,
    TOKEN_SALT,
)
from accounts.models import AuditKind, AuditLogEntry, Invitation, Membership, Role, User
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.settings.conftest import client_for

INVITE = {"email": "New.Person@Example.test", "role": Role.MANAGER}
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def invite(client, org, **data):
    return client.post(reverse("settings_member_invite", kwargs={"org_slug": org.slug}), {**INVITE, **data})


def link_in(message) -> str:
    return re.search(r"http://testserver(/invitations/[^\s\"]+/)", message.body).group(1)


@pytest.mark.django_db
def test_an_invitation_is_mailed_with_a_link_and_audited(org, org_admin, org_admin_client):
    assert invite(org_admin_client, org).status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert message.subject == "You are invited to Acme on Helpdesk metrics"
    assert "as Manager" in message.body and "7 days" in message.body
    assert link_in(message) in message.alternatives[0][0]
    invitation = Invitation.objects.for_org(org).get()
    assert invitation.is_pending and invitation.role == Role.MANAGER
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=7)
    entry = AuditLogEntry.objects.for_org(org).get()
    assert (entry.kind, entry.actor, entry.target_label) == (AuditKind.MEMBER_INVITED, org_admin, "new.person@example.test")


@pytest.mark.django_db
def test_a_new_person_sets_a_password_and_joins_once(org, org_admin_client):
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    guest = client_for_anonymous()
    page = guest.get(link)
    assert page.status_code == 200 and "Set password and join" in page.content.decode()
    response = guest.post(link, {"name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("org_home", kwargs={"org_slug": org.slug})
    user = User.objects.get(email="new.person@example.test")
    assert user.check_password(NEW_PASSWORD) and user.name == "New Person"
    assert Membership.objects.for_org(org).get(user=user).role == Role.MANAGER
    assert guest.get(reverse("org_home", kwargs={"org_slug": org.slug})).status_code == 200  # logged in
    assert AuditLogEntry.objects.for_org(org).filter(kind=AuditKind.INVITATION_ACCEPTED, actor=user).count() == 1
    # Single use: the same link again, by anyone, is refused.
    again = client_for_anonymous().get(link)
    assert again.status_code == 410 and str(LINK_USED) in again.content.decode()
    assert client_for_anonymous().post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 410


@pytest.mark.django_db
def test_password_rules_and_mismatch_are_explained(org, org_admin_client):
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    response = client_for_anonymous().post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    response = client_for_anonymous().post(link, {"password1": "123", "password2": "123"})
    assert response.status_code == 400 and response.context["form"].errors["password1"]
    assert Invitation.objects.for_org(org).get().is_pending


@pytest.mark.django_db
def test_someone_with_an_account_logs_in_and_joins(org, other_org, org_admin_client, member_factory):
    existing = member_factory(other_org, role=Role.VIEWER, user=UserFactory(email="new.person@example.test"))
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    page = client_for_anonymous().get(link)
    assert "Log in to join" in page.content.decode()
    client = client_for(existing)
    assert client.post(link).status_code == 302
    assert Membership.objects.for_org(org).get(user=existing).role == Role.MANAGER
    assert existing.check_password(DEFAULT_PASSWORD)  # the password was not touched


@pytest.mark.django_db
def test_a_different_logged_in_account_cannot_use_the_link(org, org_admin_client, member_factory):
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    someone_else = client_for(UserFactory(email="someone@example.test"))
    assert "This invitation is for new.person@example.test" in someone_else.get(link).content.decode()
    assert someone_else.post(link).status_code == 410
    assert Invitation.objects.for_org(org).get().is_pending
    assert not Membership.objects.for_org(org).filter(user__email="someone@example.test").exists()


@pytest.mark.django_db
def test_an_expired_link_is_refused(org, org_admin_client):
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    Invitation.objects.for_org(org).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_for_anonymous().get(link)
    assert response.status_code == 410 and str(LINK_EXPIRED) in response.content.decode()
    assert client_for_anonymous().post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 410
    assert not User.objects.filter(email="new.person@example.test").exists()


@pytest.mark.django_db
def test_a_token_older_than_the_validity_is_refused_by_its_signature(org, org_admin_client, monkeypatch):
    invite(org_admin_client, org)
    link = link_in(mail.outbox[0])
    later = timezone.now() + dt.timedelta(days=7, seconds=5)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    response = client_for_anonymous().get(link)
    assert response.status_code == 410 and str(LINK_EXPIRED) in response.content.decode()


@pytest.mark.django_db
def test_a_link_cannot_be_used_for_another_organization(org, other_org, org_admin_client):
    invite(org_admin_client, org)
    invitation = Invitation.objects.for_org(org).get()
    token = link_in(mail.outbox[0]).split("/")[2]
    payload = signing.loads(token, salt=TOKEN_SALT)
    assert payload["o"] == org.pk
    # The same invitation and secret, signed as if for the other organization: not found there.
    forged = signing.dumps({**payload, "o": other_org.pk}, salt=TOKEN_SALT, compress=True)
    response = client_for_anonymous().get(reverse("invitation_accept", kwargs={"token": forged}))
    assert response.status_code == 404 and str(LINK_INVALID) in response.content.decode()
    # A tampered token (organization changed without the key) fails its signature.
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client_for_anonymous().get(reverse("invitation_accept", kwargs={"token": tampered})).status_code == 404
    assert not Membership.objects.for_org(other_org).exists()
    assert Invitation.objects.for_org(org).get(pk=invitation.pk).is_pending


@pytest.mark.django_db
def test_resend_replaces_the_link_and_revoke_ends_it(org, owner, owner_client):
    invite(owner_client, org)
    invitation = Invitation.objects.for_org(org).get()
    first = link_in(mail.outbox[0])
    resend = reverse("settings_invitation_resend", kwargs={"org_slug": org.slug, "invitation_id": invitation.pk})
    assert owner_client.get(resend).status_code == 200
    assert owner_client.post(resend).status_code == 302
    assert len(mail.outbox) == 2
    second = link_in(mail.outbox[1])
    assert second != first
    old = client_for_anonymous().get(first)
    assert old.status_code == 410 and str(LINK_REPLACED) in old.content.decode()
    assert client_for_anonymous().get(second).status_code == 200
    revoke = reverse("settings_invitation_revoke", kwargs={"org_slug": org.slug, "invitation_id": invitation.pk})
    assert owner_client.post(revoke).status_code == 302
    assert client_for_anonymous().get(second).status_code == 410
    kinds = list(AuditLogEntry.objects.for_org(org).order_by("pk").values_list("kind", "actor"))
    assert kinds == [(AuditKind.MEMBER_INVITED, owner.pk), (AuditKind.INVITATION_RESENT, owner.pk),
                     (AuditKind.INVITATION_REVOKED, owner.pk)]
    # A revoked invitation cannot be resent: a clear message, nothing mailed.
    response = owner_client.post(resend)
    assert response.status_code == 400 and "already accepted or revoked" in response.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_inviting_a_member_or_a_pending_address_is_refused(org, org_admin_client, member_factory):
    member_factory(org, role=Role.VIEWER, user=UserFactory(email="member@example.test"))
    response = invite(org_admin_client, org, email="Member@example.test")
    assert response.context["form"].errors["email"] == [str(ALREADY_MEMBER % {"email": "member@example.test"})]
    invite(org_admin_client, org)
    response = invite(org_admin_client, org)
    assert response.context["form"].errors["email"] == [str(ALREADY_INVITED % {"email": "new.person@example.test"})]
    response = invite(org_admin_client, org, email="not-an-address")
    assert response.context["form"].errors["email"] == ["Enter a valid e-mail address."]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_admin_cannot_invite_an_owner(org, org_admin_client):
    response = invite(org_admin_client, org, role=Role.OWNER)
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert not Invitation.objects.for_org(org).exists() and not mail.outbox


@pytest.mark.django_db
def test_another_organizations_invitation_is_a_404(org, other_org, owner_client, member_factory):
    from accounts.invitations import invitation_create

    theirs = invitation_create(organization=other_org, actor=Membership.objects.for_org(other_org).get(
        user=member_factory(other_org, role=Role.OWNER)), email="x@example.test", role=Role.VIEWER,
        site_url="http://testserver/")
    for name in ("settings_invitation_resend", "settings_invitation_revoke"):
        url = reverse(name, kwargs={"org_slug": org.slug, "invitation_id": theirs.pk})
        assert owner_client.get(url).status_code == 404
        assert owner_client.post(url).status_code == 404
    assert Invitation.objects.for_org(other_org).get().is_pending


def client_for_anonymous():
    from django.test import Client

    return Client()
