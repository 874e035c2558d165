"""The weekly e-mail as a mail client shows it: Debian's chromium, 600 px wide, scripts and
remote images off. Nothing may be wider than the window (mail clients do not scroll sideways
well), and the figures, the agents' table and the bars are there without images or scripts.
The screenshot is kept in the test's tmp_path (``--basetemp`` to look at it)."""

import shutil

import pytest
from django.core import mail

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine"), pytest.mark.django_db]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.parametrize("personal", [False, True], ids=["scope", "personal"])
def test_the_email_reads_well_at_600_px(org, week, make_schedule, manager, dispatch, tmp_path, personal):
    week["a1"].email = "aino@example.test"
    week["a1"].save()
    make_schedule(members=[manager], send_personal_reports=personal)
    dispatch()
    address = "aino@example.test" if personal else manager.email
    (message,) = [m for m in mail.outbox if address in m.to]
    html = next(body for body, mime in message.alternatives if mime == "text/html")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 600, "height": 900}, java_script_enabled=False)
            requests = []
            page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("data:") else None)
            page.set_content(html, wait_until="load")
            page.screenshot(path=str(tmp_path / "email.png"), full_page=True)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
            assert max(widths) <= 600, f"the e-mail is {max(widths)} px wide in a 600 px window"
            # Nothing is fetched: no remote images, fonts or stylesheets.
            assert requests == []
            body = page.inner_text("body")
            # The hand-worked week (tests/reports/dataset.py): 5 chats, Aino 2 of them, FRT 50 s (40 s for Aino).
            if personal:
                assert "Aino" in body and "Bo" not in body
                assert "40 sec" in body
            else:
                assert "Aino" in body and "Bo" in body
                assert "50 sec" in body
            # The bars are table cells with a height, readable without images.
            bars = page.locator("td [style*='height']").count() + page.locator("td[style*='height']").count()
            assert bars >= 7
            button = page.get_by_role("link", name="Open the report for this period")
            assert button.is_visible()
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 600
        finally:
            browser.close()
