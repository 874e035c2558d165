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


@pytest.mark.django_db
def test_keyed_reads_and_deletes_stay_inside_the_organization(org, other_org):
    from chats.models import ChatTag
    from tests.factories import ChatFactory, TagFactory

    mine = TeamFactory(organization=org, external_id="t-1", name="Mine")
    TeamFactory(organization=org, external_id="t-2", name="Not asked for")
    TeamFactory(organization=other_org, external_id="t-1", name="Theirs")
    assert sql.select_by_keys(Team, organization_id=org.pk, key="external_id", keys={"t-1", "t-9"},
                              columns=("pk", "name")) == [("t-1", mine.pk, "Mine")]
    assert sql.select_by_keys(Team, organization_id=org.pk, key="external_id", keys=set(), columns=("pk",)) == []

    # Link rows by (bigint) owner id, of the organization only.
    chat, tag = ChatFactory(organization=org, agent=None), TagFactory(organization=org)
    their_chat, their_tag = ChatFactory(organization=other_org, agent=None), TagFactory(organization=other_org)
    ChatTag.unscoped.create(organization=org, chat=chat, tag=tag)
    ChatTag.unscoped.create(organization=other_org, chat=their_chat, tag=their_tag)
    both = [chat.pk, their_chat.pk]
    assert sql.select_by_keys(ChatTag, organization_id=org.pk, key="chat_id", keys=both,
                              columns=("tag_id",)) == [(chat.pk, tag.pk)]
    sql.delete_by_keys(ChatTag, organization_id=org.pk, key="chat_id", keys=both)
    assert not ChatTag.objects.for_org(org).exists()
    assert ChatTag.objects.for_org(other_org).count() == 1


@pytest.mark.django_db
def test_keyed_reads_give_json_columns_as_python_values(org):
    """So a re-sent quality review compares equal to the stored one (and writes nothing)."""
    from chats.models import QualityReview
    from tests.factories import QualityReviewFactory

    review = QualityReviewFactory(organization=org, scores={"tone": 4, "accuracy": 5})
    assert sql.select_by_keys(QualityReview, organization_id=org.pk, key="external_id", keys=[review.external_id],
                              columns=("scores",)) == [(review.external_id, {"tone": 4, "accuracy": 5})]
