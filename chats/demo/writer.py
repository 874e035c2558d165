"""Fast bulk inserts for generated rows: COPY on PostgreSQL, executemany elsewhere (SQLite).

``Model.bulk_create`` spends most of its time building model instances and preparing every
field of every row; for hundreds of thousands of generated rows that dominates. Generated rows
are plain dicts of column values that are already valid, so this writer sends them straight to
the database. The database still checks every constraint (CHECK, NOT NULL, unique, foreign
keys), so a bad row fails the whole seed exactly as it would through the ORM.

On PostgreSQL the COPYs run in a background thread on the same connection (and so in the same
transaction) while the caller generates the next batch: the server's work (index updates and
foreign-key checks, made immediate for this) overlaps the Python work on the second core.

Rows that others point at get their primary keys up front (``next_id``), so children can be
generated before their parents are written.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from operator import itemgetter

from django.db import DatabaseError, connections, models

Batch = list[tuple[type[models.Model], list[dict]]]


def row_defaults(model: type[models.Model]) -> dict:
    """Column defaults by attribute name (primary key excluded), as the ORM would fill them."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


class RowWriter:
    """Use as a context manager: leaving it waits for every submitted batch (and re-raises the
    first database error), so the rows are all written when the ``with`` block ends."""

    ID_BLOCK = 10000

    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self._ids: dict[type[models.Model], Iterator[int]] = {}
        self._next_sqlite_id: dict[type[models.Model], int] = {}
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> RowWriter:
        if self.postgres:
            self.connection.ensure_connection()
            with self.connection.cursor() as cursor:
                # Check foreign keys row by row during COPY (in the background) rather than
                # all at once at commit (in the foreground).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self._thread = threading.Thread(target=self._drain, name="seed-writer", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        if exc_type is None:
            self._raise_pending()  # the transaction is aborted then: nothing more to run
            with self.connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default

    # -- primary keys -----------------------------------------------------------------------

    def next_id(self, model: type[models.Model]) -> int:
        """A fresh primary key for ``model``, reserved in blocks (the sequence on PostgreSQL)."""
        ids = self._ids.get(model)
        value = next(ids, None) if ids is not None else None
        if value is None:
            ids = iter(self.allocate_ids(model, self.ID_BLOCK))
            self._ids[model] = ids
            value = next(ids)
        return value

    def allocate_ids(self, model: type[models.Model], count: int) -> list[int]:
        try:
            return self._allocate_ids(model, count)
        except DatabaseError:
            self._raise_pending()  # the background insert's error is the one that matters
            raise

    def _allocate_ids(self, model: type[models.Model], count: int) -> list[int]:
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

    def submit(self, batch: Batch) -> None:
        """Insert the batch's rows (dicts: attribute name -> value; ``id`` written when present),
        in order; on PostgreSQL in the background, so the caller must not touch the lists again."""
        self._raise_pending()
        if self._thread is None:
            for model, rows in batch:
                self._insert(model, rows)
        else:
            self._queue.put(batch)

    def _drain(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep consuming so the producer never blocks; it raises on submit
            try:
                for model, rows in batch:
                    self._insert(model, rows)
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc

    def _raise_pending(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _insert(self, model: type[models.Model], rows: list[dict]) -> None:
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if model._meta.pk.attname in rows[0]:
            fields.insert(0, model._meta.pk)
        getter = itemgetter(*(f.attname for f in fields))
        adapters = [(i, adapter) for i, f in enumerate(fields) if (adapter := self._adapter(f)) is not None]
        quote = self.connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in fields)

        def values(row: dict) -> tuple:
            value = getter(row)
            if adapters:
                value = list(value)
                for i, adapt in adapters:
                    if value[i] is not None:
                        value[i] = adapt(value[i])
            return value

        if self.postgres:
            # The raw psycopg connection: Django's wrapper belongs to the caller's thread, and
            # psycopg serialises the two threads' use of the connection with its own lock.
            with (
                self.connection.wrap_database_errors,  # Django's IntegrityError & co., as usual
                self.connection.connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(values(row))
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            with self.connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                                   [values(row) for row in rows])

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
