"""A manager uses the report pages in a real browser (Debian's chromium against the live
server): presets, group by week, a team filter, an agent page, CSV and XLSX downloads that open,
and no console errors on the way."""

import csv
import datetime as dt
import io
import shutil

import pytest

from accounts.models import Role
from reports.snapshots import snapshots_rebuild
from tests.factories import DEFAULT_PASSWORD, MembershipFactory
from tests.reports.dataset import MONDAY, build_week

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def manager_with_week(org):
    build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))
    return MembershipFactory(organization=org, role=Role.MANAGER).user


@pytest.mark.django_db(transaction=True)
def test_a_manager_works_the_report_pages(live_server, manager_with_week, tmp_path):
    from openpyxl import load_workbook

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            errors = []
            # Failed requests are checked by URL below (the browser's own /favicon.ico is not ours).
            page.on("console", lambda m: errors.append(m.text)
                    if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and "favicon" not in r.url else None)
            week = f"from={MONDAY.isoformat()}&to={(MONDAY + dt.timedelta(days=6)).isoformat()}"
            page.goto(f"{live_server.url}/o/acme/reports/?{week}")
            page.fill("#id_username", manager_with_week.email)
            page.fill("#id_password", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector('[data-figure="chats_total"]')
            assert page.locator('[data-figure="chats_total"] [data-value]').inner_text() == "5"
            assert page.locator("canvas[data-chart]").count() == 4

            # A preset: the region is swapped by htmx and the URL follows.
            page.select_option("#ctl-preset", "last_7_days")
            page.wait_for_url("**preset=last_7_days**")
            assert "from=" not in page.url
            # Back to the week, grouped by week, then filtered by a team.
            page.goto(f"{live_server.url}/o/acme/reports/?{week}")
            page.select_option("#ctl-group", "week")
            page.wait_for_url("**group_by=week**")
            assert page.locator('table[data-table="trend"] tbody tr').count() == 1
            page.select_option("#ctl-team", label="Tier 2")
            page.wait_for_url("**team=**")
            page.wait_for_function("document.querySelector('[data-figure=\"chats_total\"] [data-value]').innerText === '2'")  # Bo's two chats

            # The leaderboard, then an agent's page.
            page.goto(f"{live_server.url}/o/acme/reports/agents/?{week}")
            page.get_by_role("link", name="Aino").click()
            page.wait_for_selector('[data-figure="chats_total"] [data-median]')
            assert page.locator("h1").inner_text().startswith("Aino")

            # Downloads open as CSV and XLSX with the page's numbers.
            page.goto(f"{live_server.url}/o/acme/reports/?{week}&group_by=day")
            with page.expect_download() as download:
                page.click('#section-trend a[data-export="csv"]')
            text = download.value.path().read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0][1] == "Total chats [chats_total]"
            assert next(r for r in rows if r[0] == MONDAY.isoformat())[1] == "5"
            with page.expect_download() as download:
                page.click('#section-trend a[data-export="xlsx"]')
            assert download.value.suggested_filename.endswith(".xlsx")
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            sheet = load_workbook(saved, read_only=True).active
            values = [list(r) for r in sheet.iter_rows(values_only=True)]
            assert next(r for r in values if r[0] == MONDAY.isoformat())[1] == 5
            assert errors == []
        finally:
            browser.close()
