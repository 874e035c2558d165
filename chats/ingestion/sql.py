"""Set-based reads and writes for ingestion: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per batch.

Why not ``bulk_create(update_conflicts=True)``: it builds a model instance per row and prepares
every value through the field API, and Django's psycopg cursor interpolates parameters into the
SQL text in Python; at 1,000 rows a request that cost several times the database's own work
(bench/RESULTS.md "Bulk ingestion"). On PostgreSQL the validated values are streamed with
``COPY`` (the driver's C path) into a temporary table, then upserted from it with one
statement. Other backends (SQLite, the embedded default) get one multi-row ``INSERT … VALUES``;
both support ``ON CONFLICT … DO UPDATE`` and ``RETURNING``. Values pass through a column's
``get_db_prep_save`` only where the backend needs it (JSON on PostgreSQL; everything on SQLite,
which stores datetimes as text).

Reads by key (existing rows, references, tag links) send the keys as one array parameter
(``= ANY(%s)``) rather than a 1,000-placeholder ``IN`` list that the driver must scan and Django
must prepare value by value, and load timestamps with psycopg's C loader instead of Django's
Python one (the values compare equal: both are aware datetimes of the same instant).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence

from django.db import connection
from psycopg.types.datetime import TimestamptzLoader

# Bind parameters per statement, under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMETERS = 30000
# Column types psycopg adapts exactly as Django would (aware datetimes, Decimal, …).
_POSTGRES_AS_IS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField", "DateTimeField",
    "DecimalField", "EmailField", "FloatField", "ForeignKey", "IntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField", "URLField",
}


def _column(model, name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _array(field) -> str:
    """An array placeholder of the column's own type: the driver would pick the smallest type that
    fits the values (``int2[]`` for small ids), and a cross-type comparison can miss the index."""
    return f"%s::{field.db_type(connection)}[]"


def select_by_keys(model, *, organization_id: int, key: str, keys: Collection, columns: Sequence[str]) -> list[tuple]:
    """``(key, *columns)`` of the organization's rows whose ``key`` is one of ``keys``.

    ``key`` and ``columns`` are field names or attnames (``"pk"`` allowed). Values are what
    ``values_list`` would give.
    """
    if not keys:
        return []
    if connection.vendor != "postgresql":
        return list(
            model.objects.for_org(organization_id).filter(**{f"{key}__in": list(keys)}).values_list(key, *columns)
        )
    quote = connection.ops.quote_name
    fields = [_column(model, name) for name in (key, *columns)]
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)}"
        f" WHERE organization_id = %s AND {quote(fields[0].column)} = ANY({_array(fields[0])})"
    )
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, [organization_id, list(keys)])
        rows = cursor.fetchall()
    converters = [(i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]  # JSON
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for i, f in converters:
                row[i] = f.from_db_value(row[i], None, connection)
        rows = [tuple(row) for row in rows]
    return rows


def lock_for_upsert(model, *, organization_id: int) -> None:
    """Hold, until the transaction ends, the organization's upsert lock on this table: batches of
    one entity and organization then write one after the other, each reading what the one
    before committed (true created/updated counts; tag links replaced, never inserted twice).

    One PostgreSQL transaction-level advisory lock per (table, organization), not one per key: a
    file import writes all its batches in one transaction, and a lock per key would fill the
    server's lock table. Little is lost by it: batches of one organization touch the same
    dirty-day rows and took turns there already. The single-key form never meets the snapshot
    builder's two-key day locks (the key spaces do not overlap). SQLite, the single-process
    embedded default, serializes writers by itself.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"upsert:{model._meta.db_table}:{organization_id}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [int.from_bytes(digest, "big", signed=True)])


def delete_by_keys(model, *, organization_id: int, key: str, keys: Collection) -> None:
    """Delete the organization's rows whose ``key`` is one of ``keys``. For link tables (tags of
    a conversation): on PostgreSQL it is one plain DELETE, without Django's cascade collection."""
    if not keys:
        return
    if connection.vendor != "postgresql":
        model.objects.for_org(organization_id).filter(**{f"{key}__in": list(keys)}).delete()
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} WHERE organization_id = %s"
            f" AND {quote(_column(model, key).column)} = ANY({_array(_column(model, key))})",
            [organization_id, list(keys)],
        )


def _preparers(model, columns: Sequence[str]) -> list[Callable | None]:
    preparers = []
    for column in columns:
        field = model._meta.get_field(column)
        if connection.vendor == "postgresql" and field.get_internal_type() in _POSTGRES_AS_IS:
            preparers.append(None)
        else:
            preparers.append(lambda value, field=field: field.get_db_prep_save(value, connection))
    return preparers


def _statements(model, columns: Sequence[str], rows: Sequence[Sequence], suffix: str):
    """(sql, params) per chunk of rows small enough for the backend's parameter limit."""
    quote = connection.ops.quote_name
    preparers = _preparers(model, columns)
    if any(preparers):
        rows = [
            [value if prep is None or value is None else prep(value) for prep, value in zip(preparers, row, strict=True)]
            for row in rows
        ]
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    placeholder = f"({', '.join(['%s'] * len(columns))})"
    chunk = max(1, MAX_PARAMETERS // len(columns))
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        yield head + ", ".join([placeholder] * len(part)) + suffix, [v for row in part for v in row]


def _prepared(model, columns, rows):
    preparers = _preparers(model, columns)
    if not any(preparers):
        return rows
    return (
        [value if prep is None or value is None else prep(value) for prep, value in zip(preparers, row, strict=True)]
        for row in rows
    )


def _copy_upsert(model, columns, rows, suffix) -> list[tuple]:
    """COPY rows into a temporary table shaped like the target's columns, then INSERT … SELECT."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    staging = quote(f"ingest_{model._meta.db_table}")
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        # One round trip (no parameters: Django's client-side-binding cursor sends it as a simple query).
        cursor.execute(
            f"DROP TABLE IF EXISTS {staging}; "
            f"CREATE TEMPORARY TABLE {staging} AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in _prepared(model, columns, rows):
                write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{suffix}")
        returned = cursor.fetchall()
        cursor.execute(f"DROP TABLE {staging}")
    return returned


def _copy_insert(model, columns, rows) -> None:
    """COPY straight into the table (plain inserts need no staging table)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    # The driver's own errors (e.g. a unique violation) reach callers as Django's.
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(
        f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    ) as copy:
        write_row = copy.write_row
        for row in _prepared(model, columns, rows):
            write_row(row)


def _values_upsert(model, columns, rows, suffix) -> list[tuple]:
    returned = []
    with connection.cursor() as cursor:
        for sql, params in _statements(model, columns, rows, suffix):
            cursor.execute(sql, params)
            if suffix:
                returned.extend(cursor.fetchall())
    return returned


def _write(model, columns, rows, suffix, use_copy) -> list[tuple]:
    if not rows:
        return []
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if use_copy and not suffix:
        _copy_insert(model, columns, rows)
        return []
    return (_copy_upsert if use_copy else _values_upsert)(model, columns, rows, suffix)


def upsert_rows(model, *, columns: Sequence[str], rows: Sequence[Sequence], unique: Sequence[str],
                update: Sequence[str], key: str, use_copy: bool | None = None) -> dict[str, int]:
    """Insert or update ``rows`` (values in ``columns`` order); returns {str(key value): pk}.

    ``use_copy``: stream through COPY (default on PostgreSQL) or send multi-row VALUES.
    """
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update)
    suffix = (
        f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO UPDATE SET {assignments}"
        f" RETURNING {quote(key)}, {quote(model._meta.pk.column)}"
    )
    return {str(k): pk for k, pk in _write(model, columns, rows, suffix, use_copy)}


def insert_rows(model, *, columns: Sequence[str], rows: Sequence[Sequence], use_copy: bool | None = None) -> None:
    _write(model, columns, rows, "", use_copy)
