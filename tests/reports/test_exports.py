import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import load_workbook

from reports import formatting
from reports.exports import Column, export_response

COLUMNS = [Column("agent", "Agent"), Column("chats_total", "Chats"), Column("frt", "First response time", digits=1),
           Column("day", "Day"), Column("requested_at", "Requested")]
HELSINKI = ZoneInfo("Europe/Helsinki")
ROWS = [["=HYPERLINK(\"x\")", 1234, 85.25, dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 10, 30, tzinfo=HELSINKI)],
        ["Anna", 0, None, dt.date(2026, 3, 30), None]]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_keeps_machine_readable_values_and_names_every_column_by_its_id():
    response = export_response(filename="agents 2026/03", columns=COLUMNS, rows=ROWS, fmt="csv")
    assert response["Content-Disposition"] == 'attachment; filename="agents-2026-03.csv"'
    header, first, second = _csv(response)
    assert header == ["Agent [agent]", "Chats [chats_total]", "First response time [frt]", "Day [day]", "Requested [requested_at]"]
    # Formula-looking text is defused; 85.25 rounds half up to one decimal as on the page.
    assert first == ["'=HYPERLINK(\"x\")", "1234", "85.3", "2026-03-29", "2026-03-29T10:30:00+03:00"]
    assert second == ["Anna", "0", "", "2026-03-30", ""]


def test_xlsx_has_real_numbers_and_dates():
    response = export_response(filename="agents", columns=COLUMNS, rows=ROWS, fmt="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Chats [chats_total]"
    assert rows[1][1:4] == (1234, 85.3, dt.datetime(2026, 3, 29))
    assert rows[1][4] == dt.datetime(2026, 3, 29, 10, 30)  # wall-clock time in the given zone
    assert rows[2][2] is None


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        export_response(filename="x", columns=COLUMNS, rows=[], fmt="pdf")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["85.3%", "1,234,567", "2 min 5 sec", "1 hr 2 min", "Nov 23, 2026"]),
    ("fi", ["85,3\xa0%", "1\xa0234\xa0567", "2 min 5 s", "1 t 2 min", "23.11.2026"]),
    ("bg", ["85,3%", "1\xa0234\xa0567", "2 мин 5 с", "1 ч 2 мин", "23.11.2026\xa0г."]),
    ("zh-hans", ["85.3%", "1,234,567", "2分钟5秒", "1小时2分钟", "2026年11月23日"]),
])
def test_formatting_follows_the_active_language(language, expected):
    with translation.override(language):
        got = [formatting.percent(85.25), formatting.number(1234567), formatting.duration(125),
               formatting.duration(3725), formatting.date(dt.date(2026, 11, 23))]
    # Babel writes CLDR's spaces (no-break or narrow no-break); compare them as no-break spaces.
    assert [g.replace("\u202f", "\xa0") for g in got] == expected


def test_empty_values_are_a_dash_and_changes_carry_their_sign():
    assert formatting.metric_value(None, "seconds") == formatting.EMPTY
    with translation.override("en"):
        assert formatting.signed_percent(0.125) == "+12.5%"
        assert formatting.signed_percent(-0.125) == "−12.5%"
        assert formatting.duration(45) == "45 sec"
        assert formatting.duration(90_061) == "1 day 1 hr"  # hours after days are not padded


def test_a_whole_number_column_writes_whole_numbers():
    """A count's median (messages per chat p50 = 2.0 from the histogram) is "2" in the file, as on
    the page; 2.5 rounds half up to 3."""
    columns = [Column("messages_per_chat.p50", "Messages per chat (median)", digits=0)]
    header, first, second = _csv(export_response(filename="m", columns=columns, rows=[[2.0], [2.5]], fmt="csv"))
    assert (first, second) == (["2"], ["3"])
    sheet = load_workbook(io.BytesIO(export_response(filename="m", columns=columns, rows=[[2.0]], fmt="xlsx").content)).active
    value = list(sheet.iter_rows(values_only=True))[1][0]
    assert value == 2 and isinstance(value, int)
