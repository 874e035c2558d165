"""The Tags page's view by category (issue 10 item 4): each tag under its category, named
categories A→Z and tags without one last, the same figures as the most-used table, and the
category as a column of the exports.

The week (tests/reports/dataset.py): billing on c1 and c2, vip on c2, of 5 chats; billing's
category is "Payments", vip has none. So: Payments → billing 2 chats (40 %), then No category →
vip 1 chat (20 %)."""

import pytest

from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.html import parse
from tests.reports.pages.test_figures import exported, rebuild
from tests.reports.pages.test_views import url

pytestmark = pytest.mark.django_db


def test_tags_are_listed_under_their_categories(org, week, manager_client):
    week["billing"].category = "Payments"
    week["billing"].save()
    rebuild(org)
    response = manager_client.get(url("report_tags", org), WEEK_QUERY)
    html = response.content.decode()
    rows = parse(response).tables["by_category"]
    assert [r["key"] for r in rows] == ["billing", "vip"]
    assert [c["value"] for c in rows[0]["cells"][:2]] == ["2", "40.0"]
    assert [c["value"] for c in rows[1]["cells"][:2]] == ["1", "20.0"]
    table = html[html.index('data-table="by_category"'):]
    table = table[:table.index("</table>")]
    assert table.index(">Payments<") < table.index('data-key="billing"') < table.index(">No category<") \
        < table.index('data-key="vip"')

    csv_rows, xlsx_rows = exported(manager_client, "report_tags", org, "by_category")
    for rows in (csv_rows, xlsx_rows):
        header = list(rows[0])
        assert header[:3] == ["Id [tag]", "Category [tag_category]", "Name [tag_name]"]
        body = {r[0]: r for r in rows[1:]}
        assert body["billing"][1] == "Payments" and body["vip"][1] in ("", None)
        assert str(body["billing"][3]) in ("2", "2.0")
