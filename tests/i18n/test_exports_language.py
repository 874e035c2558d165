"""A Finnish reader's CSV/XLSX: headers in Finnish (with the stable ids), values machine-readable
(a dot for decimals, no thousands separators, no units), while the page shows them formatted.
Needs the compiled catalogs (``make install``)."""

import pytest

from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.html import parse
from tests.reports.pages.test_views import read_csv, read_xlsx, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]


def test_a_finnish_export_keeps_numbers_machine_readable(org, week, manager_client):
    manager_client.cookies["django_language"] = "fi"
    params = {**WEEK_QUERY, "group_by": "day"}

    page = parse(manager_client.get(url("report_overview", org), params))
    monday = page.tables["trend"][0]
    assert [c["text"] for c in monday["cells"][:3]] == ["5", "2", "50 s"]
    assert monday["cells"][4]["text"].replace("\xa0", " ") == "66,7 %"  # the parser folds spaces

    csv_rows = read_csv(
        manager_client.get(
            url("report_overview", org), {**params, "export": "trend", "format": "csv"}
        )
    )
    header = csv_rows[0]
    assert header[1] == "Chattien kokonaismäärä [chats_total]"
    assert header[3] == "Ensimmäisen vastauksen aika (keskiarvo) [first_response_time.avg]"
    csat = next(i for i, h in enumerate(header) if h.endswith("[csat]"))
    by_key = {r[0]: r for r in csv_rows[1:]}
    assert by_key["2026-03-02"][1:4] == ["5", "2", "50.0"]
    assert by_key["2026-03-02"][csat] == "66.7"

    xlsx = read_xlsx(
        manager_client.get(
            url("report_overview", org), {**params, "export": "trend", "format": "xlsx"}
        )
    )
    assert xlsx[0] == header
    monday_x = next(r for r in xlsx[1:] if r[0] == "2026-03-02")
    assert monday_x[1:4] == [5, 2, 50.0]
    assert monday_x[csat] == 66.7
