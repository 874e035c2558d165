"""CSV and XLSX downloads of report tables and drill-down lists.

One function for both formats and every table: ``export_response(filename=, columns=, rows=,
fmt=)``. Columns are ``(stable id, header in the user's language)``; a header cell reads
``Header [id]`` so a person reads it and a script finds the id. Values stay machine-readable:
numbers as numbers (no thousands separators, no units: seconds are seconds, percentages are
percent points), dates and instants in ISO form in CSV and as real dates in XLSX; None is an
empty cell. The page shows the same values formatted (reports.formatting), rounded half up to
the digits given here per column, so page and file agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse, StreamingHttpResponse

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell a spreadsheet would run as a formula (tag names, comments and agent names come from
# clients): written with a leading apostrophe, as OWASP recommends for CSV injection.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


@dataclass(frozen=True)
class Column:
    id: str
    header: str
    digits: int | None = None  # round numbers to this many decimals (half up); None: as they are

    @property
    def heading(self) -> str:
        return self.header if not self.header or self.header == self.id else f"{self.header} [{self.id}]"


def _round(value, digits: int | None):
    if digits is None or not isinstance(value, float):
        return value
    from decimal import ROUND_HALF_UP, Decimal

    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    # No decimals (counts, and a count's median such as messages per chat): a whole number in the
    # file as on the page ("2", not "2.0").
    return int(rounded) if digits == 0 else float(rounded)


def _safe_text(value: str) -> str:
    return "'" + value if _FORMULA_START.match(value) else value


def _csv_cell(value, column: Column):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _round(value, column.digits)
    return _safe_text(str(value))


def _xlsx_cell(value, column: Column):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # XLSX has no time zones: the instant as its wall-clock time where it was given (the
        # organization's zone, as the page shows it).
        return value.replace(tzinfo=None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _round(value, column.digits)
    if isinstance(value, str):
        return _safe_text(value)
    return value


class _Echo:
    def write(self, value):
        return value


def _csv_stream(columns: Sequence[Column], rows: Iterable[Sequence]):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so spreadsheet programs read UTF-8
    yield writer.writerow([c.heading for c in columns])
    for row in rows:
        yield writer.writerow([_csv_cell(v, c) for v, c in zip(row, columns, strict=True)])


def xlsx_bytes(*, columns: Sequence[Column], rows: Iterable[Sequence], sheet: str = "Report") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Report")
    ws.freeze_panes = "A2"
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=c.heading)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_xlsx_cell(v, c) for v, c in zip(row, columns, strict=True)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_response(*, filename: str, columns: Sequence[Column], rows: Iterable[Sequence], fmt: str,
                    sheet: str = "Report"):
    """The download of ``rows`` as ``fmt`` ("csv" or "xlsx"); ``filename`` without extension.
    CSV streams (a long drill-down list is never held in memory); XLSX is built in memory."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "report"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(columns=columns, rows=rows, sheet=sheet), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}.{fmt}"'
    return response
