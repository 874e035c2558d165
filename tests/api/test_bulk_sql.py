"""The set-based upsert behind ingestion, by COPY (PostgreSQL) and by multi-row VALUES (other
backends, e.g. SQLite, exercised here on PostgreSQL), including statements split by size."""

import pytest

from accounts.models import Team
from chats.ingestion import sql
from tests.factories import TeamFactory


@pytest.mark.django_db
@pytest.mark.parametrize("use_copy", [True, False])
def test_upsert_inserts_updates_and_returns_every_pk(org, other_org, use_copy, monkeypatch):
    monkeypatch.setattr(sql, "MAX_PARAMETERS", 7)  # 2 rows of 3 columns per VALUES statement
    existing = TeamFactory(organization=org, external_id="t-1", name="Old")
    theirs = TeamFactory(organization=other_org, external_id="t-1", name="Theirs")
    rows = [(org.pk, f"t-{i}", f"Team {i}") for i in range(1, 6)]

    pks = sql.upsert_rows(Team, columns=["organization_id", "external_id", "name"], rows=rows,
                          unique=["organization_id", "external_id"], update=["name"], key="external_id",
                          use_copy=use_copy)

    ours = dict(Team.objects.for_org(org).values_list("external_id", "pk"))
    assert pks == ours
    assert pks["t-1"] == existing.pk
    assert sorted(Team.objects.for_org(org).values_list("name", flat=True)) == [f"Team {i}" for i in range(1, 6)]
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
