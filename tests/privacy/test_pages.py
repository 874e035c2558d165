"""The owner's personal-data page (/o/<slug>/settings/privacy/): every role, every action, two
organizations."""

import io
import json
import logging
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry, Organization, Role
from chats.models import Chat, Customer
from tests.factories import MembershipFactory
from tests.privacy.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = ["privacy_home", "privacy_customer_erase", "privacy_export", "privacy_organization_delete"]
NOT_OWNERS = [Role.ADMIN, Role.MANAGER, Role.VIEWER, Role.AGENT]


def url(name, organization):
    return reverse(name, kwargs={"org_slug": organization.slug})


@pytest.fixture
def owner_client(filled):
    return client_for(filled.owner)


@pytest.mark.parametrize("name", PAGES)
def test_the_owner_opens_every_page(name, filled, owner_client):
    response = owner_client.get(url(name, filled.organization))
    assert response.status_code == 200
    assert (
        b"Erase a customer" in response.content and b"Delete the organization" in response.content
    )


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", NOT_OWNERS)
def test_other_roles_get_404_and_change_nothing(name, role, filled, other_filled, member_factory):
    org = filled.organization
    client = client_for(member_factory(org, role=role))
    audit_before = AuditLogEntry.objects.for_org(org).count()
    assert client.get(url(name, org)).status_code == 404
    data = {"erase-external_id": "jane@acme.test", "erase-confirm": "jane@acme.test"}
    if name == "privacy_organization_delete":
        data = {"delete-confirm": "acme"}
    assert client.post(url(name, org), data).status_code == 404
    assert Organization.objects.filter(pk=org.pk).exists()
    assert Customer.unscoped.get(pk=filled.customer.pk).name == "Jane acme"
    assert AuditLogEntry.objects.for_org(org).count() == audit_before


@pytest.mark.parametrize("name", PAGES)
def test_an_owner_of_another_organization_gets_404(name, filled, other_filled):
    outsider = client_for(other_filled.owner)
    assert outsider.get(url(name, filled.organization)).status_code == 404
    assert (
        outsider.post(url(name, filled.organization), {"delete-confirm": "acme"}).status_code == 404
    )
    assert Organization.objects.filter(pk=filled.organization.pk).exists()


def test_the_page_has_no_duplicate_ids(filled, owner_client):
    import re

    html = owner_client.get(url("privacy_home", filled.organization)).content.decode()
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert {"id_erase-external_id", "id_erase-confirm", "id_delete-confirm"} <= set(ids)


def test_the_settings_navigation_offers_the_page_to_owners_only(
    filled, member_factory, owner_client
):
    org = filled.organization
    link = f'href="{url("privacy_home", org)}"'.encode()
    assert link in owner_client.get(reverse("settings_home", kwargs={"org_slug": org.slug})).content
    admin = client_for(member_factory(org, role=Role.ADMIN))
    page = admin.get(reverse("settings_home", kwargs={"org_slug": org.slug}))
    assert page.status_code == 200 and link not in page.content


def test_actions_need_the_csrf_token(filled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(filled.owner)
    org = filled.organization
    assert (
        client.post(url("privacy_organization_delete", org), {"delete-confirm": "acme"}).status_code
        == 403
    )
    assert (
        client.post(
            url("privacy_customer_erase", org),
            {"erase-external_id": "jane@acme.test", "erase-confirm": "jane@acme.test"},
        ).status_code
        == 403
    )
    assert client.post(url("privacy_export", org)).status_code == 403
    assert Organization.objects.filter(pk=org.pk).exists()
    assert Customer.unscoped.get(pk=filled.customer.pk).name == "Jane acme"


# --- erase --------------------------------------------------------------------------------------


def test_the_owner_erases_a_customer(filled, other_filled, owner_client):
    org = filled.organization
    response = owner_client.post(
        url("privacy_customer_erase", org),
        {"erase-external_id": " jane@acme.test ", "erase-confirm": "jane@acme.test"},
        follow=True,
    )
    assert response.redirect_chain == [(url("privacy_home", org), 302)]
    customer = Customer.unscoped.get(pk=filled.customer.pk)
    assert customer.name == "" and customer.email == ""
    assert (
        f"(chats: 3, tickets: 1, survey answers: 4). The customer is now “{customer.external_id}”"
        in response.content.decode()
    )
    entry = AuditLogEntry.objects.for_org(org).get(kind=AuditKind.CUSTOMER_ERASED)
    assert entry.actor == filled.owner and entry.target_label == customer.external_id
    assert Customer.unscoped.get(pk=other_filled.customer.pk).name == "Jane globex"


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (
            {"erase-external_id": "jane@acme.test", "erase-confirm": "jane@acme"},
            "confirm",
            "The confirmation “jane@acme” does not match “jane@acme.test”.",
        ),
        (
            {"erase-external_id": "jane@acme.test", "erase-confirm": ""},
            "confirm",
            "This field is required.",
        ),
        # Another organization's customer is an unknown one.
        (
            {"erase-external_id": "jane@globex.test", "erase-confirm": "jane@globex.test"},
            "external_id",
            "No customer with the external id “jane@globex.test” in this organization.",
        ),
    ],
)
def test_a_refused_erasure_says_why_and_changes_nothing(
    filled, other_filled, owner_client, data, field, error
):
    org = filled.organization
    response = owner_client.post(url("privacy_customer_erase", org), data)
    assert response.status_code == 200
    assert response.context["erase_form"].errors[field] == [error]
    assert Customer.unscoped.get(pk=filled.customer.pk).name == "Jane acme"
    assert Customer.unscoped.get(pk=other_filled.customer.pk).name == "Jane globex"
    assert not AuditLogEntry.unscoped.filter(kind=AuditKind.CUSTOMER_ERASED).exists()


# --- export -------------------------------------------------------------------------------------


def test_the_owner_downloads_the_export(filled, other_filled, owner_client):
    org = filled.organization
    response = owner_client.post(url("privacy_export", org))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-export-')
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = set(archive.namelist())
        chats = [
            json.loads(line) for line in archive.read("chats.chat.jsonl").decode().splitlines()
        ]
        raw = b"".join(archive.read(n) for n in names)
    assert {
        "accounts.organization.jsonl",
        "accounts.user.jsonl",
        "chats.customer.jsonl",
        "accounts.apikey.jsonl",
        "schedules.reportschedule.jsonl",
        "accounts.auditlogentry.jsonl",
        "manifest.json",
    } <= names
    assert {c["organization_id"] for c in chats} == {org.pk} and len(chats) == 4
    assert b"globex" not in raw
    entry = AuditLogEntry.objects.for_org(org).get(kind=AuditKind.ORGANIZATION_EXPORTED)
    assert entry.actor == filled.owner
    assert (
        not AuditLogEntry.objects.for_org(other_filled.organization)
        .filter(kind=AuditKind.ORGANIZATION_EXPORTED)
        .exists()
    )


# --- delete -------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["", "Acme", "globex", "acme-"])
def test_deletion_needs_the_slug_typed(filled, owner_client, typed):
    org = filled.organization
    response = owner_client.post(url("privacy_organization_delete", org), {"delete-confirm": typed})
    assert response.status_code == 200
    assert response.context["delete_form"].errors["confirm"]
    assert Organization.objects.filter(pk=org.pk).exists()
    assert Chat.unscoped.filter(organization=org).count() == 4


def test_the_owner_deletes_the_organization(filled, other_filled, owner_client, caplog):
    org = filled.organization
    with caplog.at_level(logging.WARNING, logger="privacy.services"):
        response = owner_client.post(
            url("privacy_organization_delete", org), {"delete-confirm": "acme"}, follow=True
        )
    assert response.redirect_chain[0] == (reverse("home"), 302)
    assert "The organization “Acme” and all of its data were deleted." in response.content.decode()
    assert not Organization.objects.filter(pk=org.pk).exists()
    assert not AuditLogEntry.unscoped.filter(organization_id=org.pk).exists()
    [record] = [r for r in caplog.records if r.name == "privacy.services"]
    assert "organization deleted: slug=acme" in record.getMessage()
    assert f"by={filled.owner.email}" in record.getMessage()
    # The other organization is whole, and its owner still works there.
    assert Chat.unscoped.filter(organization=other_filled.organization).count() == 4
    other = client_for(other_filled.owner)
    assert other.get(url("privacy_home", other_filled.organization)).status_code == 200


def test_an_owner_in_two_organizations_keeps_the_other(filled, other_filled, owner_client):
    MembershipFactory(organization=other_filled.organization, user=filled.owner, role=Role.VIEWER)
    owner_client.post(
        url("privacy_organization_delete", filled.organization), {"delete-confirm": "acme"}
    )
    home = owner_client.get(reverse("org_home", kwargs={"org_slug": "globex"}))
    assert home.status_code == 200
