import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry, Role
from accounts.services import api_key_create, api_key_revoke, team_create
from chats.services import tag_create
from tests.factories import UserFactory


@pytest.fixture
def log(org, owner, org_admin):
    team_create(organization=org, actor=owner, name="Tier 1")
    tag_create(organization=org, actor=org_admin, name="=cmd|' /C calc'!A0")
    key, _raw = api_key_create(organization=org, name="loader", scopes={"write"}, created_by=org_admin)
    api_key_revoke(organization=org, key=key, actor=owner)


@pytest.mark.django_db
def test_api_key_changes_are_audited_too(org, owner, org_admin, log):
    rows = list(AuditLogEntry.objects.for_org(org).filter(kind__startswith="api_key").order_by("pk")
                .values_list("kind", "actor", "target_label"))
    assert [(k, a) for k, a, _label in rows] == [(AuditKind.API_KEY_CREATED, org_admin.pk),
                                                 (AuditKind.API_KEY_REVOKED, owner.pk)]


@pytest.mark.django_db
def test_the_log_page_filters_by_kind_and_person(org, owner, org_admin, owner_client, log):
    url = reverse("settings_audit", kwargs={"org_slug": org.slug})
    everything = owner_client.get(url).context["page"]
    assert [e.kind for e in everything] == [AuditKind.API_KEY_REVOKED, AuditKind.API_KEY_CREATED,
                                            AuditKind.TAG_CREATED, AuditKind.TEAM_CREATED]
    by_group = owner_client.get(url, {"kind": "api_keys"}).context["page"]
    assert [e.kind for e in by_group] == [AuditKind.API_KEY_REVOKED, AuditKind.API_KEY_CREATED]
    by_kind = owner_client.get(url, {"kind": AuditKind.TEAM_CREATED}).context["page"]
    assert [e.target_label for e in by_kind] == ["Tier 1"]
    by_person = owner_client.get(url, {"actor": org_admin.pk}).context["page"]
    assert [e.kind for e in by_person] == [AuditKind.API_KEY_CREATED, AuditKind.TAG_CREATED]
    both = owner_client.get(url, {"actor": owner.pk, "kind": "tags"}).context["page"]
    assert list(both) == []
    page = owner_client.get(url, {"kind": AuditKind.TEAM_CREATED}).content.decode()
    assert "name:</span> <strong>Tier 1</strong>" in page


@pytest.mark.django_db
def test_csv_export_has_one_line_per_changed_field_and_defuses_formulas(org, owner, owner_client, log):
    url = reverse("settings_audit_export", kwargs={"org_slug": org.slug})
    response = owner_client.get(url, {"kind": "tags"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="acme-audit-log.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    # (PostgreSQL's jsonb keeps the fields in its own order.)
    assert sorted((r["Field [field]"], r["Old value [old]"], r["New value [new]"]) for r in rows) == [
        ("archived", "", "false"), ("category", "", ""), ("color", "", ""), ("high_priority", "", "false"),
        ("name", "", "'=cmd|' /C calc'!A0"),
    ]
    assert {r["Kind [kind]"] for r in rows} == {"tag.created"}
    assert rows[0]["Object [object]"] == "'=cmd|' /C calc'!A0"
    xlsx = owner_client.get(url, {"format": "xlsx"})
    assert xlsx["Content-Disposition"].endswith('.xlsx"')


@pytest.mark.django_db
def test_the_log_shows_only_this_organizations_rows(org, other_org, owner_client, log, member_factory):
    team_create(organization=other_org, actor=member_factory(other_org, role=Role.OWNER), name="Theirs")
    url = reverse("settings_audit", kwargs={"org_slug": org.slug})
    labels = [e.target_label for e in owner_client.get(url).context["page"]]
    assert "Theirs" not in labels and len(labels) == 4
    export = owner_client.get(reverse("settings_audit_export", kwargs={"org_slug": org.slug}))
    assert "Theirs" not in b"".join(export.streaming_content).decode()


@pytest.mark.django_db
def test_a_deleted_actor_is_still_named(org, org_admin_client):
    actor = UserFactory(email="gone@example.test")
    team_create(organization=org, actor=actor, name="Tier 9")
    actor.delete()
    entry = AuditLogEntry.objects.for_org(org).get()
    assert entry.actor is None and entry.actor_email == "gone@example.test"


def test_every_kind_of_change_can_be_filtered_by_its_group():
    from accounts.audit import KIND_GROUPS
    from accounts.models import AuditKind
    from accounts.settings_forms import KIND_GROUP_LABELS

    grouped = [kind for kinds in KIND_GROUPS.values() for kind in kinds]
    assert sorted(grouped) == sorted(AuditKind.values), "each kind in exactly one group of the log's filter"
    assert set(KIND_GROUPS) == set(KIND_GROUP_LABELS)
