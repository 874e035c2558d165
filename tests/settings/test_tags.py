import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry
from chats.models import ChatTag, Tag, TicketTag
from chats.services import MERGE_INTO_ITSELF, tag_days, tag_merge
from reports.models import DaySnapshot, DirtyDay, TagDaySnapshot
from reports.snapshots import dirty_days_rebuild, range_rebuild
from tests.factories import ChatFactory, SurveyAnswerFactory, TagFactory, TicketFactory

UTC = dt.UTC
D = dt.date


def dirty_days(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


def tagged(chat_or_ticket, *tags):
    model = ChatTag if hasattr(chat_or_ticket, "requested_at") else TicketTag
    owner = "chat" if model is ChatTag else "ticket"
    for tag in tags:
        model.unscoped.create(organization=chat_or_ticket.organization, tag=tag, **{owner: chat_or_ticket})
    return chat_or_ticket


def at(day, hour=10):
    return dt.datetime(2026, 3, day, hour, tzinfo=UTC)  # Helsinki is UTC+2: the same local day


@pytest.mark.django_db
def test_create_edit_and_archive_a_tag_each_audited(org, org_admin, org_admin_client):
    slug = org.slug
    response = org_admin_client.post(reverse("settings_tag_create", kwargs={"org_slug": slug}),
                                     {"name": "Billing", "color": "#AA0000", "category": "Money"})
    assert response.status_code == 302
    tag = Tag.objects.for_org(org).get()
    assert (tag.name, tag.color, tag.category, tag.high_priority, tag.archived) == ("Billing", "#aa0000", "Money", False, False)
    edit = reverse("settings_tag_edit", kwargs={"org_slug": slug, "tag_id": tag.pk})
    org_admin_client.post(edit, {"name": "Invoices", "color": "#00aa00", "category": "Finance"})
    org_admin_client.post(edit, {"name": "Invoices", "color": "#00aa00", "category": "Finance", "archived": "on"})
    tag.refresh_from_db()
    assert (tag.name, tag.color, tag.category, tag.archived) == ("Invoices", "#00aa00", "Finance", True)
    rows = list(AuditLogEntry.objects.for_org(org).order_by("pk").values_list("kind", "actor", "changes"))
    assert rows == [
        (AuditKind.TAG_CREATED, org_admin.pk, {"name": [None, "Billing"], "color": [None, "#aa0000"],
                                               "category": [None, "Money"], "high_priority": [None, False],
                                               "archived": [None, False]}),
        (AuditKind.TAG_UPDATED, org_admin.pk, {"name": ["Billing", "Invoices"], "color": ["#aa0000", "#00aa00"],
                                               "category": ["Money", "Finance"]}),
        (AuditKind.TAG_UPDATED, org_admin.pk, {"archived": [False, True]}),
    ]
    assert dirty_days(org) == set()  # names, colours, categories and archiving are not in snapshots


@pytest.mark.django_db
def test_marking_a_tag_high_priority_rebuilds_its_days_and_counts(org, org_admin_client):
    tag = TagFactory(organization=org, name="outage")
    tagged(ChatFactory(organization=org, requested_at=at(2)), tag)
    tagged(TicketFactory(organization=org, created_at=at(4), resolved_at=at(6), status="resolved"), tag)
    ChatFactory(organization=org, requested_at=at(9))  # untagged: its day stays clean
    range_rebuild(organization=org, first=D(2026, 3, 2), last=D(2026, 3, 9))
    assert DaySnapshot.objects.for_org(org).get(day=D(2026, 3, 2)).chats_high_priority_tag == 0
    edit = reverse("settings_tag_edit", kwargs={"org_slug": org.slug, "tag_id": tag.pk})
    response = org_admin_client.post(edit, {"name": "outage", "color": "#000000", "high_priority": "on"}, follow=True)
    assert "3 days are being rebuilt" in response.content.decode()
    assert dirty_days(org) == {D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6)}
    dirty_days_rebuild(organization=org)
    assert DaySnapshot.objects.for_org(org).get(day=D(2026, 3, 2)).chats_high_priority_tag == 1


@pytest.mark.django_db
@pytest.mark.parametrize("data,field,message", [
    ({"name": "  "}, "name", "Give the tag a name."),
    ({"name": "BILLING"}, "name", "A tag named “BILLING” already exists."),
    ({"name": "New", "color": "red"}, "color", "Write the colour as #rrggbb, for example #2458d6."),
])
def test_tag_input_is_validated_with_clear_messages(org, org_admin_client, data, field, message):
    TagFactory(organization=org, name="billing")
    response = org_admin_client.post(reverse("settings_tag_create", kwargs={"org_slug": org.slug}), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Tag.objects.for_org(org).count() == 1


@pytest.mark.django_db
def test_a_tag_cannot_be_merged_into_itself(org, org_admin_client):
    tag = TagFactory(organization=org, name="billing")
    url = reverse("settings_tag_merge", kwargs={"org_slug": org.slug, "tag_id": tag.pk})
    response = org_admin_client.post(url, {"target": tag.pk})
    assert response.context["form"].errors["target"] == [str(MERGE_INTO_ITSELF)]
    with pytest.raises(ValidationError):
        tag_merge(organization=org, actor=None, source=tag, target=tag)
    assert not AuditLogEntry.objects.for_org(org).exists()


@pytest.mark.django_db
def test_a_tag_cannot_be_merged_into_another_organizations_tag(org, other_org, org_admin_client):
    tag, theirs = TagFactory(organization=org, name="billing"), TagFactory(organization=other_org, name="billing")
    url = reverse("settings_tag_merge", kwargs={"org_slug": org.slug, "tag_id": tag.pk})
    response = org_admin_client.post(url, {"target": theirs.pk})
    assert response.context["form"].errors["target"] == ["Choose a tag of this organization that is still in use."]
    with pytest.raises(Tag.DoesNotExist):
        tag_merge(organization=org, actor=None, source=tag, target=theirs)
    assert org_admin_client.get(reverse("settings_tag_merge", kwargs={"org_slug": org.slug, "tag_id": theirs.pk})
                                ).status_code == 404


@pytest.fixture
def merge_data(org):
    """invoice (source) and billing (target):
    03-02: chat1 [invoice], chat2 [invoice, billing]   03-03: chat3 [billing]
    03-04: ticket1 [invoice], resolved 03-06            03-05: chat4 [], a survey answer on 03-07 for chat1
    """
    source, target = TagFactory(organization=org, name="invoice"), TagFactory(organization=org, name="billing")
    chat1 = tagged(ChatFactory(organization=org, requested_at=at(2)), source)
    tagged(ChatFactory(organization=org, requested_at=at(2, 12)), source, target)
    tagged(ChatFactory(organization=org, requested_at=at(3)), target)
    tagged(TicketFactory(organization=org, created_at=at(4), resolved_at=at(6), status="resolved"), source)
    ChatFactory(organization=org, requested_at=at(5))
    SurveyAnswerFactory(organization=org, chat=chat1, answered_at=at(7))
    range_rebuild(organization=org, first=D(2026, 3, 1), last=D(2026, 3, 8))
    return source, target


def tag_totals(org, tag, field):
    return {row.day: getattr(row, field) for row in TagDaySnapshot.objects.for_org(org).filter(tag=tag)
            if getattr(row, field)}


def org_totals(org, *fields):
    return {row.day: tuple(getattr(row, f) for f in fields) for row in DaySnapshot.objects.for_org(org)}


@pytest.mark.django_db
def test_merge_moves_links_without_duplicates_marks_days_and_is_audited(org, org_admin, org_admin_client, merge_data):
    source, target = merge_data
    assert tag_days(organization=org, tag_ids=[source.pk]) == {D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6),
                                                                 D(2026, 3, 7)}
    url = reverse("settings_tag_merge", kwargs={"org_slug": org.slug, "tag_id": source.pk})
    response = org_admin_client.post(url, {"target": target.pk}, follow=True)
    assert "“invoice” was merged into “billing”; 4 days are being rebuilt." in response.content.decode()
    assert dirty_days(org) == {D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 7)}
    assert not ChatTag.objects.for_org(org).filter(tag=source).exists()
    assert not TicketTag.objects.for_org(org).filter(tag=source).exists()
    assert ChatTag.objects.for_org(org).filter(tag=target).count() == 3  # chat1 moved, chat2 once, chat3
    assert TicketTag.objects.for_org(org).filter(tag=target).count() == 1
    source.refresh_from_db()
    assert source.archived and source.merged_into == target
    entry = AuditLogEntry.objects.for_org(org).get()
    assert (entry.kind, entry.actor, entry.target_label) == (AuditKind.TAG_MERGED, org_admin, "invoice")
    assert entry.changes == {"merged_into": [None, "billing"], "archived": [False, True],
                             "chat_links_moved": [None, 1], "chat_links_dropped": [None, 1],
                             "ticket_links_moved": [None, 1], "ticket_links_dropped": [None, 0]}
    # A merged tag is final.
    again = org_admin_client.post(url, {"target": target.pk})
    assert again.status_code == 200 and "was already merged into" in again.content.decode()


@pytest.mark.django_db
def test_after_the_rebuild_tag_snapshots_move_to_the_survivor_and_org_totals_hold(org, merge_data):
    source, target = merge_data
    totals = ("chats_total", "chats_tagged", "tickets_created", "tickets_resolved", "csat_n")
    before_org = org_totals(org, *totals)
    assert tag_totals(org, source, "chats_total") == {D(2026, 3, 2): 2}
    assert tag_totals(org, target, "chats_total") == {D(2026, 3, 2): 1, D(2026, 3, 3): 1}
    assert tag_totals(org, source, "tickets_created") == {D(2026, 3, 4): 1}
    assert DaySnapshot.objects.for_org(org).get(day=D(2026, 3, 2)).tag_assignments == 3

    tag_merge(organization=org, actor=None, source=source, target=target)
    # Until the rebuild, the snapshots are those of before (nothing written by the merge).
    assert tag_totals(org, source, "chats_total") == {D(2026, 3, 2): 2}
    rebuilt = dirty_days_rebuild(organization=org)
    assert set(rebuilt) == {D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 7)}

    assert not TagDaySnapshot.objects.for_org(org).filter(tag=source).exists()
    # chat2 had both tags: it counts once under billing, so 03-02 has 2 chats (chat1, chat2), not 3.
    assert tag_totals(org, target, "chats_total") == {D(2026, 3, 2): 2, D(2026, 3, 3): 1}
    assert tag_totals(org, target, "tickets_created") == {D(2026, 3, 4): 1}
    assert tag_totals(org, target, "tickets_resolved") == {D(2026, 3, 6): 1}
    assert tag_totals(org, target, "csat_n") == {D(2026, 3, 7): 1}
    assert org_totals(org, *totals) == before_org
    # The one link dropped (chat2's second tag) is the only org-level change.
    assert DaySnapshot.objects.for_org(org).get(day=D(2026, 3, 2)).tag_assignments == 2


@pytest.mark.django_db
def test_a_merged_tags_name_keeps_working_in_ingestion_as_an_alias(org, merge_data):
    """A client still sending "invoice" after the merge links "billing"; sending both links it once;
    merging billing into a third tag later moves the alias along (merges stay one level deep)."""
    from chats.ingestion import bulk_upsert
    from chats.models import Chat

    source, target = merge_data
    tag_merge(organization=org, actor=None, source=source, target=target)
    bulk_upsert(organization=org, entity="chats", items=[
        {"external_id": "late-1", "requested_at": "2026-03-02T11:00:00+00:00", "tags": ["invoice"]},
        {"external_id": "late-2", "requested_at": "2026-03-02T11:30:00+00:00", "tags": ["invoice", "billing"]},
    ])
    for ext in ("late-1", "late-2"):
        chat = Chat.objects.for_org(org).get(external_id=ext)
        assert list(ChatTag.objects.for_org(org).filter(chat=chat).values_list("tag_id", flat=True)) == [target.pk]

    final = TagFactory(organization=org, name="payments")
    tag_merge(organization=org, actor=None, source=target, target=final)
    source.refresh_from_db()
    assert source.merged_into_id == final.pk
    bulk_upsert(organization=org, entity="chats", items=[
        {"external_id": "late-3", "requested_at": "2026-03-02T12:00:00+00:00", "tags": ["invoice"]}])
    chat = Chat.objects.for_org(org).get(external_id="late-3")
    assert list(ChatTag.objects.for_org(org).filter(chat=chat).values_list("tag_id", flat=True)) == [final.pk]
