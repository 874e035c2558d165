"""A real browser logs in and sees the organization home (skipped without Chromium/Playwright).

Uses Debian's chromium (never a browser Playwright downloads) against pytest-django's live
server.
"""

import shutil

import pytest

from accounts.models import Role
from tests.factories import DEFAULT_PASSWORD, ChatFactory, MembershipFactory

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser_page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 800})
        finally:
            browser.close()


@pytest.fixture
def two_org_manager(org, other_org):
    # Created before the browser starts: Playwright's event loop must not be running while
    # Django touches the database in this thread.
    ChatFactory(organization=org)
    membership = MembershipFactory(organization=org, role=Role.MANAGER)
    MembershipFactory(organization=other_org, user=membership.user, role=Role.VIEWER)
    return membership.user


@pytest.mark.django_db(transaction=True)
def test_a_manager_logs_in_and_switches_organization_in_a_browser(live_server, two_org_manager, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/o/acme/")  # not logged in: the login page, then back here
    page.fill("#id_username", two_org_manager.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_url(f"{live_server.url}/o/acme/")
    assert page.locator("h1").inner_text().startswith("Acme")
    assert page.locator('[data-key="chats"] .stat-value').inner_text() == "1"

    page.click("details.switcher summary")
    page.get_by_role("menuitem", name="Globex").click()
    page.wait_for_url(f"{live_server.url}/o/globex/")
    assert page.locator("h1").inner_text().startswith("Globex")
    assert page.get_by_text("No helpdesk data yet").is_visible()
