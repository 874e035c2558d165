"""Tag configuration: create, change, archive and merge tags (owners and admins, in the product).

Each write records its audit row in its transaction. A change that alters snapshots (the high
priority flag, a merge) marks the days of the tag's conversations dirty through
reports.freshness; the rebuild then recomputes those days' snapshots. No snapshot row is written
here.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record, field_changes
from accounts.models import AuditKind, Organization, User
from chats.models import CannedResponseUse, Chat, ChatTag, Tag, Ticket, TicketTag

TAG_NAME_EMPTY = _("Give the tag a name.")
TAG_NAME_TAKEN = _("A tag named “%(name)s” already exists.")
TAG_COLOR_INVALID = _("Write the colour as #rrggbb, for example #2458d6.")
MERGE_INTO_ITSELF = _("A tag cannot be merged into itself: choose another tag to keep.")
MERGE_INTO_MERGED = _("“%(name)s” was itself merged into another tag: choose a tag that is still in use.")
TAG_ALREADY_MERGED = _("“%(name)s” was already merged into “%(into)s”.")
TAG_MERGED_IS_FINAL = _("A merged tag cannot be changed.")

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
TAG_FIELDS = ("name", "color", "category", "high_priority", "archived")


def _clean(organization: Organization, *, name: str, color: str, exclude: int | None = None) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": TAG_NAME_EMPTY}, code="required")
    clash = Tag.objects.for_org(organization).filter(name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": TAG_NAME_TAKEN % {"name": name}}, code="duplicate")
    color = (color or "").strip().lower()
    if color and not COLOR_RE.match(color):
        raise ValidationError({"color": TAG_COLOR_INVALID}, code="invalid")
    return name, color


def tag_days(*, organization: Organization, tag_ids: list[int]) -> set[dt.date]:
    """The local days whose snapshots count a conversation carrying one of these tags: the
    chats' request days, the tickets' creation and resolution days, and the days of the survey
    answers and canned-response uses tied to those conversations (one grouped query each)."""
    from surveys.models import SurveyAnswer

    tz = organization.tzinfo
    chats = ChatTag.objects.for_org(organization).filter(tag_id__in=tag_ids).values("chat_id")
    tickets = TicketTag.objects.for_org(organization).filter(tag_id__in=tag_ids).values("ticket_id")

    def days(queryset, field: str) -> set[dt.date]:
        return set(queryset.filter(**{f"{field}__isnull": False}).annotate(day=TruncDate(field, tzinfo=tz))
                   .values_list("day", flat=True).distinct())

    linked = Q(chat_id__in=chats) | Q(ticket_id__in=tickets)
    return (
        days(Chat.objects.for_org(organization).filter(pk__in=chats), "requested_at")
        | days(Ticket.objects.for_org(organization).filter(pk__in=tickets), "created_at")
        | days(Ticket.objects.for_org(organization).filter(pk__in=tickets), "resolved_at")
        | days(SurveyAnswer.objects.for_org(organization).filter(linked), "answered_at")
        | days(CannedResponseUse.objects.for_org(organization).filter(linked), "used_at")
    )


def _snapshot(tag: Tag) -> dict:
    return {name: getattr(tag, name) for name in TAG_FIELDS}


@transaction.atomic
def tag_create(*, organization: Organization, actor: User | None, name: str, color: str = "", category: str = "",
               high_priority: bool = False) -> Tag:
    """A new tag (no conversation carries it yet: no day to rebuild)."""
    name, color = _clean(organization, name=name, color=color)
    tag = Tag(organization=organization, name=name, color=color, category=category.strip(),
              high_priority=high_priority)
    tag.full_clean()
    tag.save()
    audit_record(organization=organization, actor=actor, kind=AuditKind.TAG_CREATED, target=tag,
                 changes=field_changes({}, _snapshot(tag), TAG_FIELDS))
    return tag


@transaction.atomic
def tag_update(*, organization: Organization, actor: User | None, tag: Tag, name: str, color: str, category: str,
               high_priority: bool, archived: bool) -> tuple[Tag, set[dt.date]]:
    """Rename, recolour, categorize, flag or archive a tag; returns it and the days marked for
    rebuild. Only the high-priority flag is in the snapshots (chats with a high-priority tag), so
    only a change of it marks the tag's days; names, colours and categories are read when a
    report is shown. Archiving keeps the tag's history and links."""
    from reports.freshness import mark_dirty

    tag = Tag.objects.for_org(organization).select_for_update().get(pk=tag.pk)
    if tag.merged_into_id is not None:
        raise ValidationError(TAG_MERGED_IS_FINAL, code="merged")
    name, color = _clean(organization, name=name, color=color, exclude=tag.pk)
    before = _snapshot(tag)
    tag.name, tag.color, tag.category = name, color, category.strip()
    tag.high_priority, tag.archived = high_priority, archived
    tag.full_clean()
    changes = field_changes(before, _snapshot(tag), TAG_FIELDS)
    if not changes:
        return tag, set()
    tag.save(update_fields=list(changes))
    days: set[dt.date] = set()
    if "high_priority" in changes:
        days = mark_dirty(organization=organization, days=tag_days(organization=organization, tag_ids=[tag.pk]))
    audit_record(organization=organization, actor=actor, kind=AuditKind.TAG_UPDATED, target=tag, changes=changes)
    return tag, days


def _lock_tag_writers(organization: Organization) -> None:
    """Take the ingestion upsert locks of tags, chats and tickets (in the order a file import
    takes them), so no batch replaces tag links while they move."""
    from chats.ingestion.sql import lock_for_upsert

    for model in (Tag, Chat, Ticket):
        lock_for_upsert(model, organization_id=organization.pk)


@transaction.atomic
def tag_merge(*, organization: Organization, actor: User | None, source: Tag, target: Tag) -> tuple[Tag, set[dt.date]]:
    """Merge ``source`` into ``target``: every chat and ticket link of ``source`` moves to
    ``target``, except where the conversation already carries ``target`` (that link is dropped,
    so the conversation counts once); ``source`` stays as an archived tag pointing at ``target``.
    The days of ``source``'s conversations are marked dirty (tag_days); their rebuild moves the
    tag snapshots to ``target``. Organization totals do not change: no conversation gains or
    loses a day, an agent or a team. Returns ``target`` and the days marked."""
    from reports.freshness import mark_dirty

    if source.pk == target.pk:
        raise ValidationError({"target": MERGE_INTO_ITSELF}, code="into_itself")
    _lock_tag_writers(organization)
    tags = {t.pk: t for t in Tag.objects.for_org(organization).select_for_update().filter(pk__in=[source.pk, target.pk])
            .order_by("pk")}
    if len(tags) != 2:
        raise Tag.DoesNotExist("no such tag in this organization")
    source, target = tags[source.pk], tags[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError(TAG_ALREADY_MERGED % {"name": source.name, "into": source.merged_into.name},
                              code="already_merged")
    if target.merged_into_id is not None:
        raise ValidationError({"target": MERGE_INTO_MERGED % {"name": target.name}}, code="into_merged")
    days = tag_days(organization=organization, tag_ids=[source.pk])
    changes = {"merged_into": [None, target.name], "archived": [source.archived, True]}
    for through, owner, label in ((ChatTag, "chat_id", "chat"), (TicketTag, "ticket_id", "ticket")):
        links = through.objects.for_org(organization)
        has_target = links.filter(tag=target).values(owner)
        dropped = links.filter(tag=source, **{f"{owner}__in": has_target}).delete()[0]
        moved = links.filter(tag=source).update(tag=target)
        changes[f"{label}_links_moved"] = [None, moved]
        changes[f"{label}_links_dropped"] = [None, dropped]
    source.archived, source.merged_into = True, target
    source.save(update_fields=["archived", "merged_into"])
    # Tags merged into the source earlier now point at the target: merges stay one level deep,
    # so an old name sent by a client resolves in one step (chats.ingestion.fields.TagNames).
    Tag.objects.for_org(organization).filter(merged_into=source).update(merged_into=target)
    mark_dirty(organization=organization, days=days)
    audit_record(organization=organization, actor=actor, kind=AuditKind.TAG_MERGED, target=source, changes=changes)
    return target, days
