"""manage.py erase_customer, export_org_data and delete_org: the work, and clear errors that name
what is wrong (CommandError: exit status 1) with nothing changed."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditKind, AuditLogEntry, Organization
from chats.models import Chat, Customer

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_erase_customer(filled, other_filled):
    output = run("erase_customer", "--org", "acme", "--customer", "jane@acme.test")
    customer = Customer.unscoped.get(pk=filled.customer.pk)
    assert customer.name == "" and customer.external_id.startswith("erased-")
    assert f"now “{customer.external_id}”: 3 chats, 1 tickets, 4 survey answers" in output
    entry = AuditLogEntry.objects.for_org(filled.organization).get(kind=AuditKind.CUSTOMER_ERASED)
    assert entry.actor is None
    assert Customer.unscoped.get(pk=other_filled.customer.pk).name == "Jane globex"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--customer", "jane@acme.test"], "No organization with slug “nope”."),
        (
            ["--org", "acme", "--customer", "jane@globex.test"],
            "No customer with the external id “jane@globex.test” in this organization.",
        ),
    ],
)
def test_erase_customer_errors(filled, other_filled, args, message):
    with pytest.raises(CommandError) as error:
        run("erase_customer", *args)
    assert str(error.value) == message
    assert Customer.unscoped.get(pk=filled.customer.pk).name == "Jane acme"
    assert Customer.unscoped.get(pk=other_filled.customer.pk).name == "Jane globex"


def test_export_org_data(filled, other_filled, tmp_path):
    path = tmp_path / "acme.zip"
    output = run("export_org_data", "--org", "acme", "--output", str(path))
    assert f"Exported acme to {path}" in output
    with zipfile.ZipFile(path) as archive:
        chats = [
            json.loads(line) for line in archive.read("chats.chat.jsonl").decode().splitlines()
        ]
        manifest = json.loads(archive.read("manifest.json"))
    assert sorted(c["id"] for c in chats) == sorted(
        Chat.unscoped.filter(organization=filled.organization).values_list("pk", flat=True)
    )
    assert manifest["organization"] == "acme"
    assert not (tmp_path / "acme.zip.partial").exists()
    entry = AuditLogEntry.objects.for_org(filled.organization).get(
        kind=AuditKind.ORGANIZATION_EXPORTED
    )
    assert entry.changes == {"file": [None, "acme.zip"]}
    assert (
        not AuditLogEntry.objects.for_org(other_filled.organization)
        .filter(kind=AuditKind.ORGANIZATION_EXPORTED)
        .exists()
    )


@pytest.mark.parametrize(
    ("slug", "output", "message"),
    [
        ("nope", "{tmp}/x.zip", "No organization with slug “nope”."),
        ("acme", "{tmp}/x.tar", "--output “{tmp}/x.tar” must end in .zip."),
        (
            "acme",
            "{tmp}/missing/x.zip",
            "--output “{tmp}/missing/x.zip”: the directory “{tmp}/missing” does not exist.",
        ),
    ],
)
def test_export_org_data_errors(filled, tmp_path, slug, output, message):
    output = output.format(tmp=tmp_path)
    with pytest.raises(CommandError) as error:
        run("export_org_data", "--org", slug, "--output", output)
    assert str(error.value) == message.format(tmp=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert (
        not AuditLogEntry.objects.for_org(filled.organization)
        .filter(kind=AuditKind.ORGANIZATION_EXPORTED)
        .exists()
    )


def test_export_to_an_unwritable_place_says_why(filled, tmp_path):
    target = tmp_path / "dir.zip"
    target.mkdir()  # a directory where the file should go: the rename fails
    with pytest.raises(CommandError, match=f"Cannot write “{target}”"):
        run("export_org_data", "--org", "acme", "--output", str(target))
    assert not (tmp_path / "dir.zip.partial").exists()


def test_delete_org(filled, other_filled):
    output = run("delete_org", "--org", "acme", "--confirm", "acme")
    assert output.startswith("Deleted acme: ")
    assert "user accounts now in no organization" in output
    assert not Organization.objects.filter(slug="acme").exists()
    assert Organization.objects.filter(slug="globex").exists()
    assert Chat.unscoped.filter(organization=other_filled.organization).count() == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--confirm", "nope"], "No organization with slug “nope”."),
        (
            ["--org", "acme", "--confirm", "globex"],
            "--confirm: The confirmation “globex” does not match “acme”. Nothing was deleted.",
        ),
    ],
)
def test_delete_org_errors(filled, other_filled, args, message):
    with pytest.raises(CommandError) as error:
        run("delete_org", *args)
    assert str(error.value) == message
    assert Organization.objects.filter(slug__in=["acme", "globex"]).count() == 2
    assert Chat.unscoped.filter(organization=filled.organization).count() == 4


def test_a_missing_confirmation_is_an_error(filled):
    with pytest.raises(CommandError, match="--confirm"):
        run("delete_org", "--org", "acme")
    assert Organization.objects.filter(slug="acme").exists()
