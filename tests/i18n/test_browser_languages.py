"""A manager whose language is Finnish, Bulgarian, Estonian or Chinese logs in and reads the
overview report in a real browser (Debian's chromium against the live server): the navigation,
the controls and the metric labels are the catalog's translations, and none of them is left in
English (each text differs from what the same element says in English, reached through the
header's language selector). The value axis of a percentage chart is written the language's way.
Screenshots go to the test's temporary directory. Needs the compiled catalogs (``make install``).
"""

import datetime as dt
import shutil

import pytest

from accounts.models import Role
from reports.snapshots import snapshots_rebuild
from tests.factories import DEFAULT_PASSWORD, MembershipFactory
from tests.reports.dataset import MONDAY, build_week

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine"),
    pytest.mark.usefixtures("compiled_catalogs"),
]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NBSP = "\xa0"

# Elements whose text must be translated: navigation, controls, metric labels.
CHECKED = {
    "navigation": "nav.mainnav a, nav.subnav a",
    "controls": "form[data-controls] label, #ctl-preset option, #ctl-group option, #ctl-compare option, "
    "form[data-controls] button",
    "metric labels": ".kpi-label > span:first-child, .report-section h2",
}

# What the catalogs say (the KPI guides' terms for the metrics), written out by hand.
EXPECTED = {
    "fi": {
        "navigation": ["Etusivu", "Raportit", "Yleiskatsaus"],
        "controls": ["Aikaväli", "Käytä"],
        "metric labels": ["Ensimmäisen vastauksen aika (keskiarvo)"],
        "percent_tick": f"100{NBSP}%",
    },
    "bg": {
        "navigation": ["Начало", "Отчети", "Обобщение"],
        "controls": ["Период", "Приложи"],
        "metric labels": ["Време на първи отговор (средно)"],
        "percent_tick": "100%",
    },
    "et": {
        "navigation": ["Avaleht", "Aruanded", "Ülevaade"],
        "controls": ["Vahemik", "Rakenda"],
        "metric labels": ["Esimese vastuse aeg (keskmine)"],
        "percent_tick": "100%",
    },
    "zh-hans": {
        "navigation": ["首页", "报告", "概览"],
        "controls": ["时间范围", "应用"],
        "metric labels": ["首次响应时间（平均）"],
        "percent_tick": "100%",
    },
}
# Texts that are the same in English by nature: abbreviations used as they are, and words the
# language writes as English does (Estonian "Agent", "Trend"; the Finnish KPI guides, seeds 000-001,
# call the channel "live chat").
SAME_IN_ENGLISH = {"CSAT", "NPS", "CES", "FCR", "SLA"}
SAME_IN_LANGUAGE = {"fi": {"Live chat"}, "et": {"Agent", "Trend"}}


@pytest.fixture
def manager_with_week(org):
    build_week(org)
    snapshots_rebuild(
        organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14)
    )
    return MembershipFactory(organization=org, role=Role.MANAGER).user


def texts(page) -> dict[str, list[str]]:
    return {
        name: [" ".join(t.split()) for t in page.locator(selector).all_text_contents()]
        for name, selector in CHECKED.items()
    }


@pytest.mark.parametrize("language", sorted(EXPECTED))
@pytest.mark.django_db(transaction=True)
def test_the_overview_has_no_english_leftovers(live_server, manager_with_week, language, tmp_path):
    user = manager_with_week
    user.language = language
    user.save(update_fields=["language"])
    week = f"from={MONDAY.isoformat()}&to={(MONDAY + dt.timedelta(days=6)).isoformat()}"
    expected = EXPECTED[language]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{live_server.url}/o/acme/reports/?{week}")
            page.fill("#id_username", user.email)
            page.fill("#id_password", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector('[data-figure="chats_total"]')
            assert page.locator("html").get_attribute("lang") == language
            page.screenshot(path=str(tmp_path / f"overview-{language}.png"), full_page=True)
            translated = texts(page)
            percent_ticks = page.evaluate(
                "Chart.getChart(document.querySelector('canvas[data-chart=\"chart-trend-csat\"]'))"
                ".scales.y.ticks.map((t) => t.label)"
            )

            # The same page in English, through the header's selector.
            page.select_option("#language-select", "en")
            page.wait_for_selector('html[lang="en"]')
            page.wait_for_selector('[data-figure="chats_total"]')
            english = texts(page)
        finally:
            browser.close()

    for part, wanted in expected.items():
        if part == "percent_tick":
            continue
        missing = [text for text in wanted if text not in translated[part]]
        assert not missing, f"{language} {part}: {missing} not among {translated[part]}"
    for part in CHECKED:
        assert len(translated[part]) == len(english[part]) > 0, part
        leftovers = [
            en
            for here, en in zip(translated[part], english[part], strict=True)
            if here == en
            and en not in SAME_IN_ENGLISH | SAME_IN_LANGUAGE.get(language, set())
            and any(c.isalpha() for c in en)
        ]
        assert not leftovers, f"{language} {part} still in English: {leftovers}"
    assert expected["percent_tick"] in percent_ticks, percent_ticks
