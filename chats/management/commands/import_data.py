"""``manage.py import_data --org SLUG --entity NAME FILE``: CSV or JSON Lines through the same
validation and upsert as ``POST /api/v1/<entity>/bulk``.

Two passes over the streamed file, 1,000 rows a batch:

1. validate every row (nothing is written): every check the write could fail is made here
   (types, windows of time, bounds, references, the entity's rules); a problem is reported as
   ``line N: field: message`` (CSV: the header is line 1; JSON Lines: lines count from 1, blank
   lines included). Any problem stops the import before anything is written;
2. upsert the batches, all in ONE transaction, so the file is imported whole or not at all:
   should anything still fail (a reference deleted between the passes, the database going
   away), nothing of the file is committed, and the error says so.
CSV: one column per field, ``;`` between the names of a ``tags`` cell, JSON in ``messages`` and
``scores`` cells, an empty cell is an absent field. A key that appears on two lines is an error.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from tqdm import tqdm

from accounts.api.errors import BulkValidationError
from accounts.api.parsers import loads_limited
from accounts.management.commands._helpers import organization_from_slug
from chats.ingestion import MAX_ITEMS, SPECS, EntitySpec, bulk_upsert, prepare_batch
from chats.ingestion.fields import FieldError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
MAX_REPORTED_ERRORS = 200


@dataclass
class Batch:
    lines: list[int] = field(default_factory=list)
    items: list = field(default_factory=list)


@dataclass
class Problem:
    line: int
    field: str | None
    message: str

    def __str__(self):
        return f"line {self.line}: {self.field}: {self.message}" if self.field else f"line {self.line}: {self.message}"


def decoded_lines(path: str) -> Iterator[str]:
    """The file's lines as text; invalid UTF-8 is a CommandError naming the line."""
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CommandError(f"line {number}: not valid UTF-8 (byte {exc.start + 1}: {exc.reason})") from exc
            yield text.removeprefix("\ufeff") if number == 1 else text


def jsonl_records(path: str, spec: EntitySpec) -> Iterator[tuple[int, object, list[Problem]]]:
    for number, text in enumerate(decoded_lines(path), start=1):
        if not text.strip():
            continue
        try:
            yield number, loads_limited(text), []
        except ValueError as exc:
            raise CommandError(f"line {number}: malformed JSON: {exc}") from exc


def csv_records(path: str, spec: EntitySpec) -> Iterator[tuple[int, object, list[Problem]]]:
    reader = csv.reader(decoded_lines(path), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        unknown = [name for name in header if name not in spec.by_name]
        if unknown or len(set(header)) != len(header):
            raise CommandError(
                f"line 1: the header must name each field once, from: {', '.join(spec.by_name)}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else " (a column is repeated)")
            )
        columns = [spec.by_name[name] for name in header]
        start = reader.line_num + 1
        for cells in reader:
            if not any(cells):
                start = reader.line_num + 1
                continue
            if len(cells) != len(columns):
                raise CommandError(f"line {start}: {len(cells)} cells, but the header has {len(columns)}")
            item, problems = {}, []
            for column, cell in zip(columns, cells, strict=True):
                if cell == "":
                    continue
                try:
                    item[column.name] = column.from_text(cell)
                except FieldError as exc:
                    problems.append(Problem(start, column.name, exc.message))
            yield start, item, problems
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CommandError(f"line {reader.line_num}: malformed CSV: {exc}") from exc


def batches(records, spec: EntitySpec, problems: list[Problem], first_lines: dict) -> Iterator[Batch]:
    """Batches of at most MAX_ITEMS well-formed rows; rows with a cell problem, or a key already
    seen on an earlier line, are reported into ``problems`` (only the first pass passes one)."""
    batch = Batch()
    for line, item, item_problems in records:
        if item_problems:
            problems.extend(item_problems)
            continue
        key = item.get(spec.key) if isinstance(item, dict) else None
        if isinstance(key, str | int) and first_lines.get(key, line) != line:
            problems.append(Problem(line, spec.key, f"“{key}” is already on line {first_lines[key]}."))
            continue
        if isinstance(key, str | int):
            first_lines[key] = line
        batch.lines.append(line)
        batch.items.append(item)
        if len(batch.items) == MAX_ITEMS:
            yield batch
            batch = Batch()
    if batch.items:
        yield batch


class Command(BaseCommand):
    help = "Import CSV or JSON Lines into one entity, with the validation of the bulk API."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--entity", required=True, choices=sorted(SPECS))
        parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file's extension")
        parser.add_argument("file")

    def handle(self, *args, org, entity, format, file, **options):
        organization = organization_from_slug(org)
        spec = SPECS[entity]
        fmt = format or FORMATS.get(os.path.splitext(file)[1].lower())
        if fmt is None:
            raise CommandError("Cannot tell the format from the file name; pass --format csv or --format jsonl.")
        if not os.path.isfile(file):
            raise CommandError(f"No such file: {file}")
        read = csv_records if fmt == "csv" else jsonl_records

        problems: list[Problem] = []
        first_lines: dict = {}
        rows = 0
        with tqdm(desc="validating", unit=" rows", disable=None) as progress:
            for batch in batches(read(file, spec), spec, problems, first_lines):
                problems.extend(self._check(organization, spec, batch, known_keys=first_lines.keys()))
                rows += len(batch.items)
                progress.update(len(batch.items))
        if problems:
            problems.sort(key=lambda p: p.line)
            for problem in problems[:MAX_REPORTED_ERRORS]:
                self.stderr.write(str(problem))
            if len(problems) > MAX_REPORTED_ERRORS:
                self.stderr.write(f"… and {len(problems) - MAX_REPORTED_ERRORS} more")
            raise CommandError(f"{len(problems)} problem(s) in {file}; nothing was written.")

        created = updated = unchanged = 0
        with tqdm(desc="writing", total=rows, unit=" rows", disable=None) as progress, transaction.atomic():
            for batch in batches(read(file, spec), spec, [], {}):
                try:
                    result = bulk_upsert(organization=organization, entity=spec.name, items=batch.items)
                except BulkValidationError as exc:
                    for problem in self._problems(batch, exc):
                        self.stderr.write(str(problem))
                    raise CommandError(
                        f"The data changed while importing: the batch from line {batch.lines[0]} is no "
                        f"longer valid; nothing was written."
                    ) from exc
                except DatabaseError as exc:
                    raise CommandError(
                        f"Writing the batch from line {batch.lines[0]} failed ({exc.__class__.__name__}: "
                        f"{(str(exc).strip().splitlines() or [''])[0][:300]}); nothing was written."
                    ) from exc
                created += result.created
                updated += result.updated
                unchanged += result.unchanged
                progress.update(len(batch.items))
        self.stdout.write(f"Imported {created + updated + unchanged} {spec.name} into {organization.slug}: "
                          f"{created} created, {updated} updated, {unchanged} unchanged.")

    def _check(self, organization, spec, batch: Batch, known_keys) -> list[Problem]:
        own = {item.get(spec.key) for item in batch.items if isinstance(item, dict)}
        try:
            prepare_batch(organization=organization, spec=spec, items=batch.items,
                          known_keys=[k for k in known_keys if k not in own])
        except BulkValidationError as exc:
            return self._problems(batch, exc)
        return []

    @staticmethod
    def _problems(batch: Batch, exc: BulkValidationError) -> list[Problem]:
        return [Problem(batch.lines[d["index"]], d.get("field"), d["message"]) for d in exc.details]
