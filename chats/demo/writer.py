"""Fast bulk inserts for generated rows: COPY on PostgreSQL, executemany elsewhere (SQLite).

``Model.bulk_create`` spends most of its time building model instances and preparing every
field of every row; for hundreds of thousands of generated rows that dominates. Generated rows
are plain dicts of column values that are already valid, so this writer sends them straight to
the database. The database still checks every constraint (CHECK, NOT NULL, foreign keys at
commit), so a bad row fails the whole seed exactly as it would through the ORM.

Rows that others point at get their primary keys up front (``allocate_ids``), so children can be
generated before their parents are written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from operator import itemgetter

from django.db import connections, models


def row_defaults(model: type[models.Model]) -> dict:
    """Column defaults by attribute name (primary key excluded), as the ORM would fill them."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


class RowWriter:
    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self._ids: dict[type[models.Model], Iterator[int]] = {}
        self._next_sqlite_id: dict[type[models.Model], int] = {}

    # -- primary keys -----------------------------------------------------------------------

    def next_id(self, model: type[models.Model], block: int = 5000) -> int:
        """A fresh primary key for ``model``, reserved in blocks (sequence on PostgreSQL)."""
        ids = self._ids.get(model)
        value = next(ids, None) if ids is not None else None
        if value is None:
            ids = iter(self.allocate_ids(model, block))
            self._ids[model] = ids
            value = next(ids)
        return value

    def allocate_ids(self, model: type[models.Model], count: int) -> list[int]:
        table = model._meta.db_table
        pk = model._meta.pk.column
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk, count],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the seeding transaction already holds the write lock (it created the
            # organization), so nobody else can take these ids before we insert them.
            first = self._next_sqlite_id.get(model)
            if first is None:
                cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) + 1 FROM "{table}"')
                first = cursor.fetchone()[0]
            self._next_sqlite_id[model] = first + count
            return list(range(first, first + count))

    # -- inserts ----------------------------------------------------------------------------

    def insert(self, model: type[models.Model], rows: list[dict]) -> int:
        """Insert dict rows (attribute name -> value); an ``id`` key is written when present."""
        if not rows:
            return 0
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if model._meta.pk.attname in rows[0]:
            fields.insert(0, model._meta.pk)
        getter = itemgetter(*(f.attname for f in fields))
        adapters = [(i, adapter) for i, f in enumerate(fields) if (adapter := self._adapter(f)) is not None]
        table = self.connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)

        def values(row: dict) -> tuple:
            value = getter(row)
            if adapters:
                value = list(value)
                for i, adapt in adapters:
                    if value[i] is not None:
                        value[i] = adapt(value[i])
            return value

        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(values(row))
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                                   [values(row) for row in rows])
        return len(rows)

    def _adapter(self, field: models.Field) -> Callable | None:
        if isinstance(field, models.JSONField):
            return json.dumps
        if self.postgres:
            return None
        ops = self.connection.ops
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        return None
