"""Personal data: erase one customer, export an organization's data, delete an organization.

Erasure (:func:`customer_erase`) — the personal fields, decided from chats/models.py and
surveys/models.py:

* ``Customer.name`` and ``Customer.email`` -> ``""``.
* ``Customer.external_id`` -> a stable pseudonym (:func:`customer_pseudonym`). The client's id of a
  customer is often an e-mail address or a CRM key, which identifies the person as much as the
  name does, so it is always replaced, not only when it looks like an address. The pseudonym is
  an HMAC of (organization, old id) under the SECRET_KEY: it cannot be reversed or guessed from a
  list of addresses, it is the same every time for the same customer (erasing twice changes
  nothing), and it keeps the (organization, external_id) key unique. Why not keep the id: the
  ingestion upserts customers by it, so the client's next full sync of that customer would
  silently write the name and e-mail back onto the erased row and re-attach the person to every
  old conversation. With the pseudonym the sync finds no such row and makes a new customer (a
  visible +1 in the customer count) while the old history stays anonymous. What still needs the
  ingestion's help: a re-sent *old* conversation naming the real id would be re-pointed at the new
  row; :func:`customer_is_erased` is the check for the ingestion to refuse such rows (not wired in
  yet, see the report).
* ``Chat.page_url`` -> ``""`` (a page address may carry the visitor's e-mail or a token in its
  query string).
* ``Ticket.subject`` -> ``""`` (free text written by or about the customer).
* ``SurveyAnswer.comment`` -> :data:`ERASED_TEXT` when it was not empty. Not ``""``: a comment's
  presence is counted (the survey builders' ``commented``/``replied`` components, feedback
  metrics), so emptying it would change those metrics. The answers erased are the customer's own
  and those of the customer's chats and tickets (an answer's customer may be unset).

Kept: every timestamp, count, score, amount, segment, touchpoint, channel and link (customer,
agent, team, referral, purchases): they are what the metrics count, and without the fields above
they no longer identify the person. Conversation external ids (``chat-123``) are the helpdesk's
ids of conversations, not of people, and stay. Agents and members are the organization's staff,
not its customers. Snapshots hold only counts and sums per day and dimension (no personal field
reaches them), so erasure marks no day dirty and every metric is unchanged.

Export (:func:`organization_export_write`, :func:`organization_export_stream`): one JSON Lines file
per entity in a zip, written as it is read (never the whole archive in memory; see the stream's
docstring). Deletion (:func:`organization_delete`): every tenant row, set-based, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import decimal
import graphlib
import json
import logging
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.models import ApiKey, AuditKind, Invitation, Membership, Organization, User
from chats.models import Chat, Customer, Ticket
from surveys.models import SurveyAnswer

logger = logging.getLogger(__name__)

# What an erased non-empty free-text field holds (a comment's presence is counted by metrics).
ERASED_TEXT = "[erased]"
PSEUDONYM_PREFIX = "erased-"

CUSTOMER_NOT_FOUND = _("No customer with the external id “%(external_id)s” in this organization.")
CONFIRMATION_MISMATCH = _("The confirmation “%(typed)s” does not match “%(expected)s”.")


class PrivacyError(ValueError):
    """A request the privacy services refuse; the message names what is wrong (translated)."""


# --- tenant tables ----------------------------------------------------------------------------


def tenant_models() -> list[type[models.Model]]:
    """Every concrete model with a foreign key ``organization`` to Organization, in a stable order."""
    found = []
    for model in apps.get_models():
        try:
            org_field = model._meta.get_field("organization")
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: not a tenant model
            continue
        if org_field.many_to_one and org_field.related_model is Organization:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label_lower)


def tenant_link_tables() -> list[tuple[type[models.Model], str]]:
    """The auto-created many-to-many tables of tenant models (a schedule's member recipients):
    they have no organization column; each is given with the column naming its tenant owner."""
    found = []
    for model in tenant_models():
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created:
                found.append((through, m2m.m2m_column_name()))
    return sorted(found, key=lambda t: t[0]._meta.label_lower)


def _link_rows(through: type[models.Model], owner_column: str, org_id: int) -> models.QuerySet:
    owner = through._meta.get_field(owner_column.removesuffix("_id")).related_model
    return through.objects.filter(
        **{f"{owner_column}__in": owner.unscoped.filter(organization_id=org_id).values("pk")}
    )


def is_derived(model: type[models.Model]) -> bool:
    """Rows computed from other rows and rebuilt from them at will: day snapshots, month
    roll-ups, dirty-day marks, the materialised business calendar."""
    from reports import models as rm

    return issubclass(
        model, rm.SnapshotComponents | rm.MonthComponents | rm.MonthSums
    ) or model in (rm.DirtyDay, rm.BusinessCalendar, rm.BusinessPeriod)


# Secrets never exported: only their hashes are stored, and a hash of a key or of an invitation
# secret is useless to the organization and a gift to an attacker.
SECRET_FIELDS: dict[type[models.Model], frozenset[str]] = {
    ApiKey: frozenset({"key_hash"}),
    Invitation: frozenset({"secret_hash"}),
}
# A member's login as exported beside the memberships (never the password hash).
USER_EXPORT_FIELDS = ("id", "email", "name", "language", "is_active", "date_joined", "last_login")


# --- erasure ----------------------------------------------------------------------------------


def customer_pseudonym(*, organization: Organization, external_id: str) -> str:
    """The stable pseudonym an erased customer's external id becomes (see the module docstring)."""
    if external_id.startswith(PSEUDONYM_PREFIX):
        return external_id
    digest = salted_hmac(
        "privacy.customer_pseudonym", f"{organization.pk}:{external_id}", algorithm="sha256"
    )
    return PSEUDONYM_PREFIX + digest.hexdigest()[:32]


def customer_is_erased(*, organization: Organization, external_id: str) -> bool:
    """Whether a customer known to the client by ``external_id`` was erased here (for the
    ingestion, to refuse rows that would re-identify erased history)."""
    pseudonym = customer_pseudonym(organization=organization, external_id=external_id)
    return Customer.objects.for_org(organization).filter(external_id=pseudonym).exists()


@dataclass(frozen=True)
class CustomerErasure:
    customer_id: int
    pseudonym: str
    chats: int
    tickets: int
    survey_answers: int


@transaction.atomic
def customer_erase(
    *, organization: Organization, actor: User | None, external_id: str
) -> CustomerErasure:
    """Remove the personal fields of the customer ``external_id`` (or of its pseudonym: erasing
    again is harmless) and of its chats, tickets and survey answers. Every row stays (so every
    count stays); no metric changes, no day is marked dirty. Writes one audit row that names the
    pseudonym, never the erased values. Raises PrivacyError when there is no such customer."""
    customers = Customer.objects.for_org(organization).select_for_update()
    customer = (
        customers.filter(external_id=external_id).first()
        or customers.filter(
            external_id=customer_pseudonym(organization=organization, external_id=external_id)
        ).first()
    )
    if customer is None:
        raise PrivacyError(CUSTOMER_NOT_FOUND % {"external_id": external_id})
    pseudonym = customer_pseudonym(organization=organization, external_id=customer.external_id)
    Customer.objects.for_org(organization).filter(pk=customer.pk).update(
        name="", email="", external_id=pseudonym
    )
    chats = Chat.objects.for_org(organization).filter(customer=customer)
    tickets = Ticket.objects.for_org(organization).filter(customer=customer)
    n_chats = chats.update(page_url="")
    n_tickets = tickets.update(subject="")
    answers = SurveyAnswer.objects.for_org(organization).filter(
        Q(customer=customer) | Q(chat__in=chats.values("pk")) | Q(ticket__in=tickets.values("pk"))
    )
    n_answers = answers.count()
    answers.exclude(comment="").update(comment=ERASED_TEXT)
    audit_record(
        organization=organization,
        actor=actor,
        kind=AuditKind.CUSTOMER_ERASED,
        target=customer,
        target_label=pseudonym,
        changes={
            "chats": [None, n_chats],
            "tickets": [None, n_tickets],
            "survey_answers": [None, n_answers],
        },
    )
    return CustomerErasure(
        customer_id=customer.pk,
        pseudonym=pseudonym,
        chats=n_chats,
        tickets=n_tickets,
        survey_answers=n_answers,
    )


# --- export -----------------------------------------------------------------------------------


def export_entities() -> list[type[models.Model]]:
    """The tenant models an export holds: all but the derived ones (snapshots and roll-ups are
    computed from the raw rows and rebuilt from them; they are our metrics engine's cache, not
    data the organization gave us, and they would be most of the archive's size)."""
    return [m for m in tenant_models() if not is_derived(m)]


def entity_file(model: type[models.Model]) -> str:
    return f"{model._meta.label_lower}.jsonl"


def _exported_columns(model: type[models.Model]) -> list[str]:
    secret = SECRET_FIELDS.get(model, frozenset())
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in secret and f.attname not in secret
    ]


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _line(columns: list[str], values) -> bytes:
    row = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
    return (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode()


class _Collector:
    """A write-only, unseekable file: what the zip writes is kept until the stream takes it.

    zipfile accepts it (no tell/seek: it writes data descriptors after each member instead of
    seeking back to fill in sizes), so the archive goes out piece by piece."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


# Rows read per database round trip, and written between two hand-overs to the stream.
EXPORT_CHUNK_ROWS = 2000


def _export(organization: Organization, fileobj: IO[bytes]) -> Iterator[None]:
    """Write the archive to ``fileobj``, yielding after every chunk of rows (the stream hands the
    bytes on there). All tables are read in one transaction: on PostgreSQL a repeatable-read
    snapshot, so the files agree with each other while ingestion goes on."""
    org_id = organization.pk
    counts: dict[str, int] = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Only possible as the transaction's first statement (not inside a test's transaction).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            org_columns = [f.attname for f in Organization._meta.concrete_fields]
            with archive.open("accounts.organization.jsonl", "w") as member:
                member.write(
                    _line(
                        org_columns,
                        Organization.objects.filter(pk=org_id).values_list(*org_columns).get(),
                    )
                )
            counts["accounts.organization.jsonl"] = 1
            for model in export_entities():
                columns = _exported_columns(model)
                rows = (
                    model.unscoped.filter(organization_id=org_id)
                    .order_by("pk")
                    .values_list(*columns)
                )
                n = 0
                with archive.open(entity_file(model), "w", force_zip64=True) as member:
                    for values in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
                        member.write(_line(columns, values))
                        n += 1
                        if n % EXPORT_CHUNK_ROWS == 0:
                            yield
                counts[entity_file(model)] = n
                yield
            for through, owner_column in tenant_link_tables():
                columns = [f.attname for f in through._meta.concrete_fields]
                rows = (
                    _link_rows(through, owner_column, org_id).order_by("pk").values_list(*columns)
                )
                with archive.open(entity_file(through), "w") as member:
                    n = 0
                    for values in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
                        member.write(_line(columns, values))
                        n += 1
                counts[entity_file(through)] = n
            users = (
                User.objects.filter(
                    pk__in=Membership.unscoped.filter(organization_id=org_id).values("user_id")
                )
                .order_by("pk")
                .values_list(*USER_EXPORT_FIELDS)
            )
            n = 0
            with archive.open("accounts.user.jsonl", "w") as member:
                for values in users.iterator(chunk_size=EXPORT_CHUNK_ROWS):
                    member.write(_line(list(USER_EXPORT_FIELDS), values))
                    n += 1
            counts["accounts.user.jsonl"] = n
            manifest = {
                "organization": organization.slug,
                "exported_at": timezone.now().isoformat(),
                "format": "One JSON object per line; columns are the database's (foreign keys as <name>_id).",
                "files": counts,
                "not_included": {
                    "derived": sorted(
                        m._meta.label_lower for m in tenant_models() if is_derived(m)
                    ),
                    "why": "Snapshots, roll-ups and the business calendar are computed from the files above.",
                    "secrets": sorted(
                        f"{m._meta.label_lower}.{f}" for m, fs in SECRET_FIELDS.items() for f in fs
                    )
                    + ["accounts.user.password"],
                },
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    yield


def organization_export_write(*, organization: Organization, fileobj: IO[bytes]) -> None:
    """Write the organization's export archive to ``fileobj`` (a file, seekable or not)."""
    for _chunk in _export(organization, fileobj):
        pass


def organization_export_stream(*, organization: Organization) -> Iterator[bytes]:
    """The export archive as a stream of byte chunks, for a StreamingHttpResponse.

    Why streamed and not a temporary file: nothing is held but one chunk of rows (a large
    organization's archive is hundreds of megabytes), no disk is needed on the web host, and the
    first bytes leave at once (no proxy time-out while the archive is built). The cost: a failure
    half-way cannot become an error page any more; the client gets a truncated archive, which
    every unzip tool rejects (the central directory is written last), and the server log has the
    error."""
    sink = _Collector()
    for _chunk in _export(organization, sink):
        data = sink.take()
        if data:
            yield data
    data = sink.take()
    if data:
        yield data


# --- deletion ---------------------------------------------------------------------------------


@dataclass
class OrganizationDeletion:
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    # Logins left in no organization: kept (see organization_delete).
    users_without_organization: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def deletion_order() -> list[type[models.Model]]:
    """Tenant models, each before every tenant model it points to (children before parents)."""
    models_ = tenant_models()
    referenced_by: dict[type[models.Model], set[type[models.Model]]] = {m: set() for m in models_}
    for model in models_:
        for f in model._meta.concrete_fields:
            target = f.related_model if f.many_to_one else None
            if target in referenced_by and target is not model:
                referenced_by[target].add(model)
    # static_order puts a node after its predecessors: the models pointing to it come first.
    return list(graphlib.TopologicalSorter(referenced_by).static_order())


@transaction.atomic
def organization_delete(
    *, organization: Organization, actor: User | None = None
) -> OrganizationDeletion:
    """Delete every row of the organization (raw data, settings, snapshots, roll-ups, dirty days,
    keys, schedules, deliveries, invitations, memberships, its audit log) and the organization,
    with one DELETE per table, in one transaction, children before parents. Rows of other
    organizations are never read or written: a row of another organization pointing at one of
    these (which validation never lets happen) makes the foreign-key check fail and the whole
    deletion roll back.

    User accounts are kept, also those left in no organization: a login is the person's, not the
    organization's (it may be invited again or join another), and other organizations' rows may
    name it (audit actor, key creator). Their ids are returned and logged, so an operator can
    delete an account when its owner asks. The audit log goes with the organization: the
    deletion is logged to the server log instead."""
    org_id = organization.pk
    Organization.objects.select_for_update().filter(
        pk=org_id
    ).first()  # writers referencing it wait
    result = OrganizationDeletion(slug=organization.slug)
    member_ids = list(
        Membership.unscoped.filter(organization_id=org_id).values_list("user_id", flat=True)
    )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for through, owner_column in tenant_link_tables():
            owner = through._meta.get_field(owner_column.removesuffix("_id")).related_model
            cursor.execute(
                f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(owner_column)} IN "
                f"(SELECT id FROM {quote(owner._meta.db_table)} WHERE organization_id = %s)",
                [org_id],
            )
            if cursor.rowcount:
                result.rows[through._meta.label_lower] = cursor.rowcount
        for model in deletion_order():
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE organization_id = %s", [org_id]
            )
            if cursor.rowcount:
                result.rows[model._meta.label_lower] = cursor.rowcount
        cursor.execute(f"DELETE FROM {quote(Organization._meta.db_table)} WHERE id = %s", [org_id])
        result.rows[Organization._meta.label_lower] = cursor.rowcount
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred: check them now, inside, not at some outer commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    still_members = set(
        Membership.unscoped.filter(user_id__in=member_ids).values_list("user_id", flat=True)
    )
    result.users_without_organization = sorted(set(member_ids) - still_members)
    logger.warning(
        "organization deleted: slug=%s id=%s by=%s rows=%s total=%s users_left_without_organization=%s",
        result.slug,
        org_id,
        actor.email if actor else "manage.py",
        json.dumps(result.rows, sort_keys=True),
        result.total,
        result.users_without_organization,
    )
    return result


def check_confirmation(*, typed: str, expected: str) -> None:
    """A destructive action goes ahead only when the person typed ``expected`` exactly."""
    if typed.strip() != expected:
        raise PrivacyError(CONFIRMATION_MISMATCH % {"typed": typed, "expected": expected})
