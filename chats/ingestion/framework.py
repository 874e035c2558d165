"""Validate a batch of items, then upsert it set-based.

``prepare_batch`` checks every item (types, required fields, enums, order of timestamps, the
entity's own rules), rejects duplicate keys and resolves references with one query per
referenced model, collecting every problem as ``{"index", "field", "message"}``; any problem
raises :class:`BulkValidationError` before anything is written. ``write_batch`` loads the
existing rows with one query, upserts only new or changed rows with one set-based statement
(:mod:`chats.ingestion.sql`), replaces tag links of changed conversations, and marks the local
days touched by the old and the new values dirty. Re-sending a batch therefore writes nothing
and marks nothing.

Hot path (bench/RESULTS.md "Bulk ingestion"): an item is parsed by walking its own keys over a
prepared row of defaults; only an item with a problem is parsed again field by field, in the
contract's order, to report every problem exactly. Rows are compared with the stored ones as
tuples in column order.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.api.errors import BulkValidationError
from accounts.models import Organization
from chats.ingestion.fields import REQUIRED, UNKNOWN_FIELD, Field, FieldError, Ref, TagNames, echo
from chats.ingestion.sql import (
    delete_by_keys,
    insert_rows,
    lock_for_upsert,
    select_by_keys,
    upsert_rows,
)
from reports.freshness import mark_dirty

MAX_ITEMS = 1000

ITEMS_NOT_A_LIST = _("“items” must be a list of objects.")
NO_ITEMS = _("“items” must contain at least one item.")
TOO_MANY_ITEMS = _("At most %(max)d items per request, got %(count)d; split the batch.")
ITEM_NOT_AN_OBJECT = _("Each item must be a JSON object.")
DUPLICATE_KEY = _("“%(value)s” appears more than once in this batch.")
UNKNOWN_REFERENCE = _("Unknown %(entity)s “%(value)s”.")

Problem = tuple[str | None, str]  # (field, message)


@dataclass(frozen=True)
class Pending:
    """A reference to an item of the same batch that does not exist yet; resolved after the upsert."""

    key: str


@dataclass
class IngestResult:
    """What a batch did: items whose key was new, items whose stored row (or tags) changed, and
    items equal to what was stored; the three add up to the batch's items."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dirty_days: set[dt.date] = field(default_factory=set)

    def as_response(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class BatchContext:
    """What the entity checks may consult: the organization and the referenced rows."""

    organization: Organization
    references: dict[tuple[type, str], dict[str, tuple]] = field(default_factory=dict)
    extras: dict[tuple[type, str], tuple[str, ...]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def referenced(self, ref: Ref, key: str | None) -> dict | None:
        """The referenced row's pk and ``extra`` columns, or None."""
        if key is None:
            return None
        found = self.references.get((ref.model, ref.lookup), {}).get(key)
        if found is None:
            return None
        return dict(zip(("pk", *self.extras[(ref.model, ref.lookup)]), found, strict=True))


class EntitySpec:
    """One ingestible entity: its item fields, upsert key, rules and the days it touches.

    Subclasses override ``check`` (rules across fields; yields (field, message)), ``load_context``
    (per-batch data such as the active scorecard) and ``dirty_days``.
    """

    name: str
    model: type
    fields: list[Field]
    key = "external_id"
    tag_link: tuple[type, str] | None = None  # (through model, its FK attname to this model)
    extra_columns: tuple[str, ...] = ()  # model columns the checks fill in (not item fields)
    description = ""

    def __init__(self):
        for f in self.fields:
            f.bind(self.model)
        self.by_name = {f.name: f for f in self.fields}
        self.references = [f for f in self.fields if isinstance(f, Ref)]
        self.columns = [f.attname for f in self.fields if f.attname] + list(self.extra_columns)
        self.update_columns = [c for c in self.columns if c != self.key]
        self.has_tags = any(isinstance(f, TagNames) for f in self.fields)
        self.required = [f.name for f in self.fields if f.required]
        # The row of an item that gives no field: every field's empty value, references unresolved.
        self.empty_row: dict[str, Any] = {}
        for f in self.fields:
            self.empty_row[f.name] = f.empty
            if isinstance(f, Ref) and f.attname:
                self.empty_row[f.attname] = None
        getter = operator.itemgetter(*self.columns)
        self.values_of = getter if len(self.columns) > 1 else (lambda row: (getter(row),))
        self.may_be_pending = any(f.same_batch for f in self.references)

    def load_context(self, ctx: BatchContext) -> None:
        """Load per-batch data into ``ctx.data`` (one query at most)."""

    def check(self, row: dict, given: set[str], ctx: BatchContext) -> Iterator[Problem]:
        """Rules across fields; may fill derived columns into ``row``."""
        return iter(())

    def dirty_days(self, organization: Organization, rows: list[dict]) -> set[dt.date]:
        """Local days whose snapshots depend on these rows (old and new column values)."""
        return set()

    def fcr_days(self, organization: Organization, rows: list[dict]) -> set[dt.date]:
        """Local days whose first-contact resolution alone depends on these rows."""
        return set()


def _parse_valid_item(spec: EntitySpec, item) -> tuple[dict, set[str]] | None:
    """The row and given fields of an item without any problem; None at the first problem."""
    if not isinstance(item, dict):
        return None
    by_name = spec.by_name
    row = spec.empty_row.copy()
    given = set()
    for name, value in item.items():
        f = by_name.get(name)
        if f is None:
            return None
        if value is None:
            continue
        try:
            row[name] = f.parse(value)
        except FieldError:
            return None
        given.add(name)
    for name in spec.required:
        if name not in given:
            return None
    return row, given


def _parse_item(spec: EntitySpec, item) -> tuple[dict | None, set[str], list[Problem]]:
    """Every problem of one item, in the order of its unknown keys, then of the fields."""
    if not isinstance(item, dict):
        return None, set(), [(None, str(ITEM_NOT_AN_OBJECT))]
    problems: list[Problem] = [(echo(name), str(UNKNOWN_FIELD)) for name in item if name not in spec.by_name]
    row: dict[str, Any] = {}
    given: set[str] = set()
    for f in spec.fields:
        value = item.get(f.name)
        if value is None:
            if f.required:
                problems.append((f.name, str(REQUIRED)))
            row[f.name] = f.empty
            if isinstance(f, Ref) and f.attname:
                row[f.attname] = None
            continue
        try:
            row[f.name] = f.parse(value)
        except FieldError as exc:
            problems.append((exc.field or f.name, exc.message))
            continue
        given.add(f.name)
    return (None if problems else row), given, problems


def _resolve_references(spec: EntitySpec, rows: list[dict | None], ctx: BatchContext,
                        known_keys: frozenset[str]) -> dict[int, list[Problem]]:
    """Set each reference's pk (one query per referenced model and lookup); return problems."""
    valid = [(index, row) for index, row in enumerate(rows) if row is not None]
    wanted: dict[tuple[type, str], set[str]] = defaultdict(set)
    extras: dict[tuple[type, str], set[str]] = defaultdict(set)
    for ref in spec.references:
        target = (ref.model, ref.lookup)
        extras[target].update(ref.extra)
        name = ref.name
        if isinstance(ref, TagNames):
            for _index, row in valid:
                wanted[target].update(row[name])
        else:
            wanted[target].update({row[name] for _index, row in valid})
    for target, keys in wanted.items():
        keys.discard(None)
        model, lookup = target
        columns = tuple(sorted(extras[target]))
        ctx.extras[target] = columns
        found = select_by_keys(model, organization_id=ctx.organization.pk, key=lookup, keys=keys,
                               columns=("pk", *columns))
        ctx.references[target] = {r[0]: r[1:] for r in found}

    batch_keys: set | None = None
    problems: dict[int, list[Problem]] = defaultdict(list)
    for ref in spec.references:
        name, attname = ref.name, ref.attname
        table = ctx.references.get((ref.model, ref.lookup), {})
        entity = ref.model._meta.verbose_name
        if isinstance(ref, TagNames):
            for index, row in valid:
                value = row[name]
                if not value:
                    continue
                missing = [n for n in value if n not in table]
                if missing:
                    problems[index].extend((name, str(UNKNOWN_REFERENCE % {"entity": entity, "value": echo(n)}))
                                           for n in missing)
                # A merged tag's name links the tag it was merged into (chats.services.tag_merge
                # keeps merges one level deep); dict.fromkeys: an alias and its tag count once.
                row[name] = tuple(dict.fromkeys(table[n][1] or table[n][0] for n in value if n in table))
            continue
        for index, row in valid:
            value = row[name]
            if value is None:
                continue
            found = table.get(value)
            if found is not None:
                row[attname] = found[0]
                continue
            if ref.same_batch:
                if batch_keys is None:
                    batch_keys = {r[spec.key] for _index, r in valid} | known_keys
                if value in batch_keys:
                    row[attname] = Pending(value)
                    continue
            problems[index].append((name, str(UNKNOWN_REFERENCE % {"entity": entity, "value": echo(value)})))
    return problems


@dataclass
class PreparedBatch:
    spec: EntitySpec
    organization: Organization
    rows: list[dict]


def check_items(items) -> None:
    """The batch envelope: a list of 1..MAX_ITEMS items."""
    if not isinstance(items, list):
        raise BulkValidationError([{"field": "items", "message": str(ITEMS_NOT_A_LIST)}], str(ITEMS_NOT_A_LIST))
    if not items:
        raise BulkValidationError([{"field": "items", "message": str(NO_ITEMS)}], str(NO_ITEMS))
    if len(items) > MAX_ITEMS:
        message = str(TOO_MANY_ITEMS % {"max": MAX_ITEMS, "count": len(items)})
        raise BulkValidationError([{"field": "items", "message": message}], message)


def prepare_batch(*, organization: Organization, spec: EntitySpec, items: list,
                  known_keys: Iterable[str] = ()) -> PreparedBatch:
    """Validate every item; raise BulkValidationError listing every problem, or return the rows.

    ``known_keys``: keys of items already accepted earlier in the same import (a file's earlier
    lines), which same-batch references may point to.
    """
    check_items(items)
    problems: dict[int, list[Problem]] = defaultdict(list)
    rows: list[dict | None] = []
    givens: list[set[str]] = []
    for index, item in enumerate(items):
        parsed = _parse_valid_item(spec, item)
        if parsed is not None:
            row, given = parsed
        else:
            row, given, item_problems = _parse_item(spec, item)
            problems[index].extend(item_problems)
        rows.append(row)
        givens.append(given)

    first_index: dict[Any, int] = {}
    for index, row in enumerate(rows):
        if row is None:
            continue
        key = row[spec.key]
        if key in first_index:
            problems[index].append((spec.key, str(DUPLICATE_KEY % {"value": echo(key)})))
        else:
            first_index[key] = index

    ctx = BatchContext(organization=organization)
    spec.load_context(ctx)
    for index, ref_problems in _resolve_references(spec, rows, ctx, frozenset(known_keys)).items():
        problems[index].extend(ref_problems)
    check = spec.check
    for index, row in enumerate(rows):
        if row is not None:
            found = list(check(row, givens[index], ctx))
            if found:
                problems[index].extend(found)

    details = [
        {"index": index, **({"field": f} if f else {}), "message": message}
        for index in sorted(problems)
        for f, message in problems[index]
    ]
    if details:
        raise BulkValidationError(details)
    return PreparedBatch(spec=spec, organization=organization, rows=rows)


@transaction.atomic
def write_batch(batch: PreparedBatch) -> IngestResult:
    """Upsert a validated batch; count created and updated items against the rows that existed."""
    spec, organization, rows = batch.spec, batch.organization, batch.rows
    key, columns, values_of = spec.key, spec.columns, spec.values_of
    keys = [row[key] for row in rows]
    # Concurrent batches take turns from here to their commit, so each reads the rows the other
    # wrote: true counts, and tag links replaced rather than inserted twice.
    lock_for_upsert(spec.model, organization_id=organization.pk)
    # key -> (pk, *columns)
    existing = {
        old[0]: old[1:]
        for old in select_by_keys(spec.model, organization_id=organization.pk, key=key, keys=keys,
                                  columns=("pk", *columns))
    }
    old_tags: dict[int, frozenset[int]] = {}
    if spec.has_tags and existing:
        through, fk = spec.tag_link
        links = defaultdict(set)
        for owner, tag in select_by_keys(through, organization_id=organization.pk, key=fk,
                                         keys=[old[0] for old in existing.values()], columns=("tag_id",)):
            links[owner].add(tag)
        old_tags = {owner: frozenset(tags) for owner, tags in links.items()}

    upserts: list[tuple[dict, tuple]] = []
    tag_changes: list[dict] = []
    touched: list[dict] = []
    updated = 0
    has_tags = spec.has_tags
    no_tags: frozenset[int] = frozenset()
    for row in rows:
        values = values_of(row)
        old = existing.get(row[key])
        if old is None:
            changed = True
            tags_changed = has_tags and bool(row["tags"])
        else:
            # A Pending reference equals no stored value, so such a row always counts as changed.
            changed = old[1:] != values
            tags_changed = has_tags and frozenset(row["tags"]) != old_tags.get(old[0], no_tags)
        if changed:
            upserts.append((row, values))
        if tags_changed:
            tag_changes.append(row)
        if changed or tags_changed:
            touched.append(row)  # the row holds every column by name
            if old is not None:
                updated += 1
                touched.append(dict(zip(columns, old[1:], strict=True)))

    pks = {str(k): old[0] for k, old in existing.items()}
    if upserts:
        org_pk = organization.pk
        if spec.may_be_pending:
            written = [(org_pk, *(None if isinstance(v, Pending) else v for v in values)) for _row, values in upserts]
        else:
            written = [(org_pk, *values) for _row, values in upserts]
        pks.update(upsert_rows(
            spec.model, columns=["organization_id", *columns], key=key, update=spec.update_columns,
            unique=["organization_id", key], rows=written,
        ))
        if spec.may_be_pending:
            _resolve_pending(spec, organization, [row for row, _values in upserts], pks)
    if tag_changes:
        _replace_tags(spec, organization, tag_changes, pks, existing)

    created = sum(k not in existing for k in keys)
    result = IngestResult(created=created, updated=updated, unchanged=len(keys) - created - updated)
    result.dirty_days = mark_dirty(organization=organization, days=spec.dirty_days(organization, touched),
                                   fcr_days=spec.fcr_days(organization, touched))
    return result


def _resolve_pending(spec, organization, rows, pks) -> None:
    """Fill references to items of this batch (or of earlier lines already written)."""
    to_update: dict[str, list] = defaultdict(list)
    for row in rows:
        for ref in spec.references:
            pending = row.get(ref.attname)
            if isinstance(pending, Pending):
                to_update[ref.attname].append((pks[str(row[spec.key])], pending.key))
    if not to_update:
        return
    missing = {key for pairs in to_update.values() for _pk, key in pairs if key not in pks}
    if missing:
        pks.update(spec.model.objects.for_org(organization).filter(**{f"{spec.key}__in": missing})
                   .values_list(spec.key, "pk"))
    for attname, pairs in to_update.items():
        spec.model.objects.for_org(organization).bulk_update(
            [spec.model(pk=pk, **{attname: pks[key]}) for pk, key in pairs], [attname]
        )


def _replace_tags(spec, organization, rows, pks, existing) -> None:
    """The conversations' tag links become exactly the sent lists (one delete, one insert)."""
    through, fk = spec.tag_link
    owners = [pks[str(row[spec.key])] for row in rows]
    replaced = [pk for row, pk in zip(rows, owners, strict=True) if row[spec.key] in existing]
    delete_by_keys(through, organization_id=organization.pk, key=fk, keys=replaced)
    insert_rows(through, columns=["organization_id", fk, "tag_id"], rows=[
        (organization.pk, owner, tag) for row, owner in zip(rows, owners, strict=True) for tag in row["tags"]
    ])


def bulk_upsert(*, organization: Organization, spec: EntitySpec, items: list,
                known_keys: Iterable[str] = ()) -> IngestResult:
    """Validate and upsert one batch in one transaction; nothing is written if any item is bad."""
    with transaction.atomic():
        return write_batch(prepare_batch(organization=organization, spec=spec, items=items,
                                         known_keys=known_keys))
