"""privacy.services: erase one customer, export an organization, delete an organization, each
with a second organization filled the same way that must come out untouched."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.db import IntegrityError, connection

from accounts.models import ApiKey, AuditKind, AuditLogEntry, Membership, Organization, User
from chats.models import Chat, Customer, Purchase, Ticket
from privacy import services
from privacy.services import (
    ERASED_TEXT,
    PrivacyError,
    customer_erase,
    customer_is_erased,
    customer_pseudonym,
    organization_delete,
    organization_export_stream,
    organization_export_write,
    tenant_models,
)
from reports.metrics import REGISTRY, compute
from reports.models import DaySnapshot, DirtyDay
from reports.snapshots import snapshots_rebuild
from surveys.models import SurveyAnswer
from tests.factories import ChatFactory, CustomerFactory, MembershipFactory
from tests.privacy.conftest import DIRTY_DAY

pytestmark = pytest.mark.django_db
FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 4)


def table_rows(organization) -> dict[str, list[tuple]]:
    """Every row of every tenant table of the organization, as tuples, by model."""
    return {
        m._meta.label_lower: sorted(
            m.unscoped.filter(organization=organization).values_list(), key=repr
        )
        for m in tenant_models()
    }


def counts(organization) -> dict[str, int]:
    """Rows per tenant table, and per many-to-many table of a tenant model (by its owner)."""
    found = {
        m._meta.label_lower: m.unscoped.filter(organization=organization).count()
        for m in tenant_models()
    }
    for through, owner_column in services.tenant_link_tables():
        found[through._meta.label_lower] = services._link_rows(
            through, owner_column, organization.pk
        ).count()
    return found


def all_metrics(organization) -> dict:
    result = compute(organization=organization, metric_ids=list(REGISTRY), first=FIRST, last=LAST)
    result.pop("data_as_of", None)
    return result


# --- the fixture itself -------------------------------------------------------------------------


def test_the_fixture_fills_every_tenant_table_of_both_organizations(filled, other_filled):
    for organization in (filled.organization, other_filled.organization):
        empty = [label for label, n in counts(organization).items() if n == 0]
        assert empty == [], f"fill() leaves these tenant tables empty: {empty}"


# --- erasure ------------------------------------------------------------------------------------


def test_erase_removes_every_personal_field_of_the_customer(filled, other_filled):
    org, customer = filled.organization, filled.customer
    erased = customer_erase(organization=org, actor=filled.owner, external_id="jane@acme.test")

    row = Customer.unscoped.get(pk=customer.pk)
    assert (row.name, row.email) == ("", "")
    assert row.external_id == erased.pseudonym
    assert row.external_id.startswith("erased-") and "jane" not in row.external_id
    assert (row.segment, row.acquired_at) == ("enterprise", customer.acquired_at)
    chats = Chat.unscoped.filter(customer=customer)
    assert chats.count() == 3 == erased.chats
    assert set(chats.values_list("page_url", flat=True)) == {""}
    assert list(Ticket.unscoped.filter(customer=customer).values_list("subject", flat=True)) == [""]
    assert erased.tickets == 1
    # Its own answers (chat, nps), the one on its ticket and the one on its chat without a customer.
    answers = SurveyAnswer.unscoped.filter(organization=org).exclude(customer=filled.bystander)
    assert erased.survey_answers == 4 == answers.count()
    assert sorted(answers.values_list("comment", flat=True)) == [
        "",
        ERASED_TEXT,
        ERASED_TEXT,
        ERASED_TEXT,
    ]
    # Nothing that names her is left anywhere in the organization's raw rows.
    dump = repr(table_rows(org))
    assert "Jane" not in dump and "jane@" not in dump and "+358" not in dump


def test_erase_leaves_the_other_customer_and_the_other_organization_alone(filled, other_filled):
    other_before = table_rows(other_filled.organization)
    bob = Customer.unscoped.filter(pk=filled.bystander.pk).values_list().get()
    bob_answers = list(
        SurveyAnswer.unscoped.filter(customer=filled.bystander).values_list("comment", flat=True)
    )
    customer_erase(organization=filled.organization, actor=None, external_id="jane@acme.test")
    assert table_rows(other_filled.organization) == other_before
    assert Customer.unscoped.filter(pk=filled.bystander.pk).values_list().get() == bob
    assert (
        list(
            SurveyAnswer.unscoped.filter(customer=filled.bystander).values_list(
                "comment", flat=True
            )
        )
        == bob_answers
    )
    assert (
        Chat.unscoped.filter(customer=filled.bystander).get().page_url
        == "https://acme.test/pricing"
    )


def test_erase_keeps_every_row_and_every_metric(filled, other_filled):
    org = filled.organization
    before_counts, before_metrics = counts(org), all_metrics(org)
    dirty_before = set(DirtyDay.objects.for_org(org).values_list("day", flat=True))
    snapshots_before = list(DaySnapshot.objects.for_org(org).order_by("day").values_list())
    assert before_metrics["metrics"]["csat"]["n"] == 4  # answers on 1-5 in the range: 2, 4, 5, 3

    customer_erase(organization=org, actor=filled.owner, external_id="jane@acme.test")

    after_counts = counts(org)
    after_counts["accounts.auditlogentry"] -= 1  # the erasure's own row
    assert after_counts == before_counts
    assert all_metrics(org) == before_metrics
    # No day was marked dirty (only the fixture's own mark), and the snapshots were not touched.
    assert (
        set(DirtyDay.objects.for_org(org).values_list("day", flat=True))
        == dirty_before
        == {DIRTY_DAY}
    )
    assert list(DaySnapshot.objects.for_org(org).order_by("day").values_list()) == snapshots_before
    # A rebuild from the erased raw rows gives the same numbers (comments counted as before).
    snapshots_rebuild(organization=org, first=FIRST, last=LAST)
    assert all_metrics(org) == before_metrics


def test_erase_writes_an_audit_row_without_the_erased_values(filled):
    erased = customer_erase(
        organization=filled.organization, actor=filled.owner, external_id="jane@acme.test"
    )
    entry = AuditLogEntry.objects.for_org(filled.organization).get(kind=AuditKind.CUSTOMER_ERASED)
    assert (entry.actor, entry.target_type, entry.target_id) == (
        filled.owner,
        "customer",
        filled.customer.pk,
    )
    assert entry.target_label == erased.pseudonym
    assert entry.changes == {"chats": [None, 3], "tickets": [None, 1], "survey_answers": [None, 4]}
    assert "jane" not in json.dumps(entry.changes) + entry.target_label


def test_the_pseudonym_is_stable_and_erasing_again_is_harmless(filled, other_filled):
    org = filled.organization
    pseudonym = customer_pseudonym(organization=org, external_id="jane@acme.test")
    assert pseudonym == customer_pseudonym(organization=org, external_id="jane@acme.test")
    # The same id in another organization is another pseudonym (no cross-tenant linking).
    assert pseudonym != customer_pseudonym(
        organization=other_filled.organization, external_id="jane@acme.test"
    )
    assert not customer_is_erased(organization=org, external_id="jane@acme.test")
    first = customer_erase(organization=org, actor=None, external_id="jane@acme.test")
    assert first.pseudonym == pseudonym
    assert customer_is_erased(organization=org, external_id="jane@acme.test")
    assert not customer_is_erased(organization=org, external_id="bob-acme")
    # Named by the old id or by the pseudonym: the same row, nothing new to erase.
    again = customer_erase(organization=org, actor=None, external_id="jane@acme.test")
    by_pseudonym = customer_erase(organization=org, actor=None, external_id=pseudonym)
    assert again.customer_id == by_pseudonym.customer_id == first.customer_id
    assert Customer.unscoped.get(pk=first.customer_id).external_id == pseudonym


def test_a_re_sent_customer_is_a_new_row_not_the_erased_one(filled):
    org = filled.organization
    erased = customer_erase(organization=org, actor=None, external_id="jane@acme.test")
    # What the ingestion's upsert by (organization, external_id) does with the next sync of her.
    again, created = Customer.objects.for_org(org).update_or_create(
        organization=org,
        external_id="jane@acme.test",
        defaults={
            "name": "Jane acme",
            "email": "jane@acme.test",
            "acquired_at": filled.customer.acquired_at,
        },
    )
    assert created and again.pk != erased.customer_id
    assert Customer.unscoped.get(pk=erased.customer_id).name == ""
    assert Chat.unscoped.filter(customer_id=again.pk).count() == 0


def test_erasing_an_unknown_customer_says_so_and_writes_nothing(filled, other_filled):
    before = table_rows(filled.organization)
    with pytest.raises(PrivacyError, match="“jane@globex.test”"):
        # Another organization's customer is the same unknown customer.
        customer_erase(organization=filled.organization, actor=None, external_id="jane@globex.test")
    assert table_rows(filled.organization) == before
    assert Customer.unscoped.get(pk=other_filled.customer.pk).name == "Jane globex"


# --- export -------------------------------------------------------------------------------------


def read_export(data: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        files = {}
        for name in archive.namelist():
            text = archive.read(name).decode()
            files[name] = (
                json.loads(text)
                if name.endswith(".json")
                else [json.loads(line) for line in text.splitlines()]
            )
        return files


def test_the_export_holds_every_raw_entity_of_the_organization_and_only_its(filled, other_filled):
    org = filled.organization
    files = read_export(b"".join(organization_export_stream(organization=org)))
    for model in tenant_models():
        name = f"{model._meta.label_lower}.jsonl"
        if services.is_derived(model):
            assert name not in files
            continue
        rows = files[name]
        assert len(rows) >= 1, name
        expected_ids = sorted(model.unscoped.filter(organization=org).values_list("pk", flat=True))
        assert sorted(r["id"] for r in rows) == expected_ids, name
        assert {r["organization_id"] for r in rows} == {org.pk}, name
    recipients = files["schedules.reportschedule_member_recipients.jsonl"]
    assert len(recipients) == 1
    assert Membership.unscoped.get(pk=recipients[0]["membership_id"]).organization_id == org.pk
    assert files["accounts.organization.jsonl"] == [
        {
            **{
                f.attname: getattr(org, f.attname)
                for f in Organization._meta.concrete_fields
                if f.attname not in ("created_at", "gross_margin")
            },
            "created_at": org.created_at.isoformat(),
            "gross_margin": str(Organization.objects.get(pk=org.pk).gross_margin),
        }
    ]
    member_user_ids = set(
        Membership.unscoped.filter(organization=org).values_list("user_id", flat=True)
    )
    assert {u["id"] for u in files["accounts.user.jsonl"]} == member_user_ids
    assert (
        files["manifest.json"]["files"]["chats.chat.jsonl"]
        == Chat.unscoped.filter(organization=org).count()
        == 4
    )
    # Nothing of the other organization: no row, no personal value.
    raw = json.dumps(files)
    assert "globex" not in raw
    customers = {r["external_id"]: r for r in files["chats.customer.jsonl"]}
    assert customers["jane@acme.test"]["name"] == "Jane acme"
    assert customers["bob-acme"]["referred_by_id"] == filled.customer.pk


def test_the_export_has_no_secrets(filled):
    org = filled.organization
    key = ApiKey.objects.for_org(org).get()
    files = read_export(b"".join(organization_export_stream(organization=org)))
    raw = json.dumps(files)
    assert [set(r) & {"key_hash"} for r in files["accounts.apikey.jsonl"]] == [set()]
    assert files["accounts.apikey.jsonl"][0]["prefix"] == key.prefix
    assert key.key_hash not in raw
    assert "5" * 64 not in raw and not any(
        "secret_hash" in r for r in files["accounts.invitation.jsonl"]
    )
    assert not any("password" in r for r in files["accounts.user.jsonl"])
    for user in User.objects.filter(memberships__organization=org):
        assert user.password and user.password not in raw


def test_the_file_and_the_stream_are_the_same_archive(filled, tmp_path):
    path = tmp_path / "out.zip"
    with path.open("wb") as fileobj:
        organization_export_write(organization=filled.organization, fileobj=fileobj)
    from_file = read_export(path.read_bytes())
    from_stream = read_export(
        b"".join(organization_export_stream(organization=filled.organization))
    )
    for files in (from_file, from_stream):
        files["manifest.json"].pop("exported_at")
    assert from_file == from_stream


def test_the_stream_comes_in_pieces_as_rows_are_read(filled, monkeypatch):
    org = filled.organization
    ChatFactory.create_batch(30, organization=org, agent=None)
    monkeypatch.setattr(services, "EXPORT_CHUNK_ROWS", 10)
    pieces = list(organization_export_stream(organization=org))
    # One piece at least per 10 chats, and no piece is the whole archive.
    assert len(pieces) > 4
    assert max(map(len, pieces)) < sum(map(len, pieces)) / 2
    assert len(read_export(b"".join(pieces))["chats.chat.jsonl"]) == 34


# --- deletion -----------------------------------------------------------------------------------


def test_delete_leaves_no_row_of_the_organization_and_the_other_intact(filled, other_filled):
    org, other = filled.organization, other_filled.organization
    other_before = table_rows(other)
    member_ids = set(Membership.unscoped.filter(organization=org).values_list("user_id", flat=True))
    before = counts(org)

    deleted = organization_delete(organization=org, actor=filled.owner)

    assert not Organization.objects.filter(pk=org.pk).exists()
    left = {label: n for label, n in counts(org).items() if n}
    assert left == {}
    assert table_rows(other) == other_before
    assert Organization.objects.filter(pk=other.pk).exists()
    assert deleted.rows == {label: n for label, n in before.items() if n} | {
        "accounts.organization": 1
    }
    # Logins stay, listed as in no organization.
    assert set(User.objects.filter(pk__in=member_ids).values_list("pk", flat=True)) == member_ids
    assert set(deleted.users_without_organization) == member_ids


def test_delete_names_users_still_in_another_organization_apart(filled, other_filled):
    shared = filled.owner
    MembershipFactory(organization=other_filled.organization, user=shared)
    deleted = organization_delete(organization=filled.organization)
    assert shared.pk not in deleted.users_without_organization
    assert Membership.unscoped.filter(user=shared, organization=other_filled.organization).exists()


def test_the_deletion_order_puts_every_referencing_table_first():
    order = services.deletion_order()
    assert set(order) == set(tenant_models())
    position = {m: i for i, m in enumerate(order)}
    for model in order:
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model in position and f.related_model is not model:
                assert position[model] < position[f.related_model], (
                    f"{model} before {f.related_model}"
                )


def test_no_table_outside_the_tenant_tables_points_at_one():
    from django.apps import apps

    tenant = set(tenant_models()) | {through for through, _column in services.tenant_link_tables()}
    pointing = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models(include_auto_created=True)
        if m not in tenant
        for f in m._meta.concrete_fields
        if f.many_to_one and f.related_model in tenant
    ]
    assert pointing == [], "organization_delete would leave these rows dangling"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="deferred foreign keys checked by PostgreSQL"
)
def test_a_row_of_another_organization_pointing_in_rolls_the_deletion_back(filled, other_filled):
    org, other = filled.organization, other_filled.organization
    # A cross-tenant link validation never allows, forced: the deletion must refuse, not cut it.
    ChatFactory(organization=other, agent=None, customer=CustomerFactory(organization=other))
    Chat.unscoped.filter(organization=other, customer__isnull=False).update(
        customer=filled.customer
    )
    before = counts(org)
    with pytest.raises(IntegrityError):
        organization_delete(organization=org)
    assert counts(org) == before
    assert Purchase.unscoped.filter(organization=org).count() == 1
