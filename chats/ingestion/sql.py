"""Set-based writes for ingestion: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per batch.

Why not ``bulk_create(update_conflicts=True)``: it builds a model instance per row and prepares
every value through the field API, and Django's psycopg cursor interpolates parameters into the
SQL text in Python; at 1,000 rows a request that cost several times the database's own work
(bench/RESULTS.md "Bulk ingestion"). On PostgreSQL the validated values are streamed with
``COPY`` (the driver's C path) into a temporary table, then upserted from it with one
statement. Other backends (SQLite, the embedded default) get one multi-row ``INSERT … VALUES``;
both support ``ON CONFLICT … DO UPDATE`` and ``RETURNING``. Values pass through a column's
``get_db_prep_save`` only where the backend needs it (JSON on PostgreSQL; everything on SQLite,
which stores datetimes as text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connection

# Bind parameters per statement, under SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMETERS = 30000
# Column types psycopg adapts exactly as Django would (aware datetimes, Decimal, …).
_POSTGRES_AS_IS = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField", "DateTimeField",
    "DecimalField", "EmailField", "FloatField", "ForeignKey", "IntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField", "URLField",
}


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


def _copy_upsert(model, columns, rows, suffix) -> list[tuple]:
    """COPY rows into a temporary table shaped like the target's columns, then INSERT … SELECT."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    staging = quote(f"ingest_{model._meta.db_table}")
    names = ", ".join(quote(c) for c in columns)
    preparers = _preparers(model, columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            if any(preparers):
                for row in rows:
                    copy.write_row([
                        value if prep is None or value is None else prep(value)
                        for prep, value in zip(preparers, row, strict=True)
                    ])
            else:
                for row in rows:
                    copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}{suffix}")
        returned = cursor.fetchall() if suffix else []
        cursor.execute(f"DROP TABLE {staging}")
    return returned


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
