"""The figures added to the pages for issue 16's page list, the team median, and the heatmap
under a filter: page numbers = export numbers = compute() numbers, worked out by hand on the
week of tests/reports/dataset.py (and a few rows added here, described beside each test)."""

import datetime as dt

import pytest

from reports import formatting
from reports.metrics import compute
from reports.pages.catalogue import AGENTS, SATISFACTION, TAGS
from reports.pages.renderer import team_median
from reports.snapshots import snapshots_rebuild
from schedules import content as contents
from schedules import services
from schedules.models import DeliveryKind
from schedules.periods import Period
from tests.factories import AgentFactory, SurveyAnswerFactory
from tests.reports.dataset import MONDAY, answered_chat, local, missed_chat
from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.html import parse
from tests.reports.pages.test_views import read_csv, read_xlsx, url

pytestmark = pytest.mark.django_db
SUNDAY = MONDAY + dt.timedelta(days=6)
TUESDAY = MONDAY + dt.timedelta(days=1)


def rebuild(org):
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))


def exported(client, name, org, section, params=WEEK_QUERY, **kwargs):
    path = url(name, org, **kwargs)
    return (read_csv(client.get(path, {**params, "export": section, "format": "csv"})),
            read_xlsx(client.get(path, {**params, "export": section, "format": "xlsx"})))


# --- the team median --------------------------------------------------------------------------

def test_team_median_by_hand():
    assert team_median([40, 90, None]) == 65  # null left out; even count: the mean of the middle two
    assert team_median([2, 1, 1]) == 1
    assert team_median([3, None, 1, 2]) == 2
    assert team_median([]) is None and team_median([None]) is None
    assert team_median([True, 5]) == 5  # not a number of the figure


@pytest.fixture
def tier1(org, week):
    """Tier 1 gets three more agents: Cai (a3) answers one chat on Tuesday 10:00 (wait 10 s,
    FRT 90 s, 2 min, wrap-up 30 s), Dana (a4) misses one on Tuesday 11:00 (visitor left), Eli (a5)
    does nothing in the week. Tier 1 is then Aino, Cai, Dana (and Eli, whom compute() does not list)."""
    t1 = week["t1"]
    a3 = AgentFactory(organization=org, team=t1, external_id="a3", name="Cai")
    a4 = AgentFactory(organization=org, team=t1, external_id="a4", name="Dana")
    AgentFactory(organization=org, team=t1, external_id="a5", name="Eli")
    answered_chat(org, a3, local(TUESDAY, 10), wait=10, frt=90, duration=120, wrap=30, outcome="resolved")
    missed_chat(org, a4, local(TUESDAY, 11), "visitor_left")
    rebuild(org)
    return {**week, "a3": a3, "a4": a4}


def test_the_agent_page_shows_the_median_of_the_agents_team(org, tier1, manager_client):
    response = manager_client.get(url("report_agent", org, agent_id=tier1["a1"].pk), WEEK_QUERY)
    page = parse(response)
    # First response (average): Aino (30 + 50) / 2 = 40 s, Cai 90 s, Dana none (no answered chat):
    # the median of 40 and 90 = 65 s. Chats: Aino 2, Cai 1, Dana 1 -> 1. Missed: 0, 0, 1 -> 0.
    assert page.cards["first_response_time.avg"]["value"] == "40 sec"
    assert page.cards["first_response_time.avg"]["median"] == f"Team median: {formatting.duration(65)}" \
        == "Team median: 1 min 5 sec"
    assert page.cards["chats_total"]["median"] == "Team median: 1"
    assert page.cards["chats_missed"]["median"] == "Team median: 0"
    assert "Median of team Tier 1 (3 agents)" in response.content.decode()
    cards = {c.id: c for c in response.context["report"].cards}
    by_agent = compute(organization=org, metric_ids=["first_response_time"], first=MONDAY, last=SUNDAY,
                       group_by="agent")["groups"]
    assert {g["key"]: g["metrics"]["first_response_time"]["avg"] for g in by_agent} == {
        "a1": 40.0, "a2": 70.0, "a3": 90.0, "a4": None}
    assert cards["first_response_time.avg"].median == 65


def test_the_leaderboard_median_row_is_the_same_function_in_the_page_and_its_exports(org, tier1, manager_client):
    page = parse(manager_client.get(url("report_agents", org), WEEK_QUERY))
    ids = [c.id for c in AGENTS.tables[0].columns]
    median = next(r for r in page.tables["leaderboard"] if r["key"] == "median")
    # FRT: Aino 40, Bo 70, Cai 90, Dana none -> 70 s. Chats: 2, 2, 1, 1 -> 1.5 (shown rounded: 2).
    frt, chats = ids.index("first_response_time.avg"), ids.index("chats_total")
    assert (median["cells"][frt]["value"], median["cells"][frt]["text"]) == ("70.0", "1 min 10 sec")
    assert (median["cells"][chats]["value"], median["cells"][chats]["text"]) == ("1.5", "2")
    csv_rows, xlsx_rows = exported(manager_client, "report_agents", org, "leaderboard")
    csv_median = next(r for r in csv_rows if r[0] == "median")
    xlsx_median = next(r for r in xlsx_rows if r[0] == "median")
    assert csv_median[1] == "Median of 4 agents"
    assert (csv_median[2 + frt], xlsx_median[2 + frt]) == ("70.0", 70.0)
    assert (csv_median[2 + chats], xlsx_median[2 + chats]) == ("2", 2)  # 1.5 to 0 decimals, half up: a whole number, as on the page


def test_the_personal_email_shows_the_same_team_median(org, tier1, member_factory):
    from accounts.models import Membership, Role

    manager = member_factory(org, role=Role.MANAGER)
    schedule = services.schedule_create(
        organization=org, created_by=None, now=dt.datetime(2026, 3, 8, 6, tzinfo=dt.UTC),
        data=services.ScheduleData(name="Weekly", member_recipients=list(
            Membership.objects.for_org(org).filter(user=manager)), send_personal_reports=True))
    content = contents.build_content(schedule=schedule, period=Period(MONDAY, SUNDAY), kind=DeliveryKind.PERSONAL,
                                     agent=tier1["a1"])
    rows = {r[2]: r for r in content.csv_rows}
    assert rows["first_response_time.avg"][6] == 65
    assert rows["chats_total"][6] == 1
    assert content.median_label == "Median of team Tier 1 (3 agents)"


# --- the leaderboard: every figure of the agent performance report the catalogue has ------------

def test_the_leaderboard_has_the_agent_report_figures_page_export_compute(org, week, manager_client):
    page = parse(manager_client.get(url("report_agents", org), WEEK_QUERY))
    ids = [c.id for c in AGENTS.tables[0].columns]
    rows = {r["key"]: r for r in page.tables["leaderboard"]}
    computed = {g["key"]: g["metrics"] for g in compute(
        organization=org, metric_ids=["tickets_total", "chat_duration", "csat"], first=MONDAY, last=SUNDAY,
        group_by="agent")["groups"]}
    # By hand: tickets resolved in the week: Aino t1 (Wed), Bo t2 (Mon). Chat time: Aino (600 + 900) / 2
    # = 750 s, Bo 300 s. Negative CSAT ratings: Aino's c2 scored 2; Bo none.
    expected = {"tickets_total.resolved": {"a1": ("1", "1"), "a2": ("1", "1")},
                "chat_duration.avg": {"a1": ("750.0", "12 min 30 sec"), "a2": ("300.0", "5 min")},
                "csat.negative": {"a1": ("1", "1"), "a2": ("0", "0")}}
    for figure, by_agent in expected.items():
        i = ids.index(figure)
        for agent, (value, text) in by_agent.items():
            assert (rows[agent]["cells"][i]["value"], rows[agent]["cells"][i]["text"]) == (value, text), figure
    assert computed["a1"]["tickets_total"]["resolved"] == 1 and computed["a2"]["tickets_total"]["resolved"] == 1
    assert (computed["a1"]["chat_duration"]["avg"], computed["a2"]["chat_duration"]["avg"]) == (750, 300)
    assert (computed["a1"]["csat"]["negative"], computed["a2"]["csat"]["negative"]) == (1, 0)

    csv_rows, xlsx_rows = exported(manager_client, "report_agents", org, "leaderboard")
    header = csv_rows[0]
    assert "Tickets resolved [tickets_total.resolved]" in header
    assert "Chat time [chat_duration.avg]" in header
    assert "Negative ratings [csat.negative]" in header
    csv_by, xlsx_by = {r[0]: r for r in csv_rows[1:]}, {r[0]: r for r in xlsx_rows[1:]}
    for column, a1, a2 in (("tickets_total.resolved", ("1", 1), ("1", 1)),
                           ("chat_duration.avg", ("750.0", 750.0), ("300.0", 300.0)),
                           ("csat.negative", ("1", 1), ("0", 0))):
        i = next(n for n, h in enumerate(header) if h.endswith(f"[{column}]"))
        assert (csv_by["a1"][i], xlsx_by["a1"][i]) == a1
        assert (csv_by["a2"][i], xlsx_by["a2"][i]) == a2


# --- satisfaction: answers per score ------------------------------------------------------------

def test_effort_answers_per_score_on_both_scales(org, week, manager_client):
    """CES answers: on 1-7, scores 2, 6, 6 (c1, c2, c3); on 1-5, scores 4 and 4 (c1, c2)."""
    from chats.models import Chat

    chats = list(Chat.objects.for_org(org).filter(accepted_at__isnull=False).order_by("requested_at"))
    for chat, score in zip(chats, (2, 6, 6), strict=True):
        SurveyAnswerFactory(organization=org, chat=chat, kind="ces", scale="1-7", score=score,
                            answered_at=chat.ended_at)
    for chat in chats[:2]:
        SurveyAnswerFactory(organization=org, chat=chat, kind="ces", scale="1-5", score=4, answered_at=chat.ended_at)
    rebuild(org)

    page = parse(manager_client.get(url("report_satisfaction", org), WEEK_QUERY))
    ces = compute(organization=org, metric_ids=["ces"], first=MONDAY, last=SUNDAY)["metrics"]["ces"]
    assert ces["distribution"]["1-7"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 0, "6": 2, "7": 0}
    assert ces["distribution"]["1-5"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 0}
    for section, scale in (("ces_distribution", "1-7"), ("ces5_distribution", "1-5")):
        assert SATISFACTION.section(section) is not None
        rows = page.tables[section]
        assert {r["key"]: r["cells"][0]["text"] for r in rows} == {k: str(v) for k, v in ces["distribution"][scale].items()}
        csv_rows, xlsx_rows = exported(manager_client, "report_satisfaction", org, section)
        assert {r[0]: r[2] for r in csv_rows[1:]} == {k: str(v) for k, v in ces["distribution"][scale].items()}
        assert {r[0]: r[2] for r in xlsx_rows[1:]} == ces["distribution"][scale]


# --- the heatmap under a filter ------------------------------------------------------------------

def test_the_heatmap_says_why_it_is_not_filtered_and_links_the_unfiltered_page(org, week, manager_client):
    response = manager_client.get(url("report_live_chat", org), {**WEEK_QUERY, "team": "Tier 1"})
    section = response.context["report"].section("heatmap")
    assert "The heatmap cannot be filtered by team" in section.error
    assert "kept for the whole organization only" in section.error
    assert section.export_urls == {}  # nothing to download
    unfiltered = section.extra["unfiltered_url"]
    assert "team=" not in unfiltered and f"from={MONDAY.isoformat()}" in unfiltered
    assert f'href="{unfiltered.replace("&", "&amp;")}"' in response.content.decode()
    # Unfiltered, the heatmap is there: Monday 10:00, 11:00, 14:00, 15:00 and 23:00 one chat each.
    whole = manager_client.get(unfiltered).context["report"].section("heatmap")
    assert whole.error is None
    monday = {(r.keys[0].value, r.keys[2].value): r.cells[0].value for r in whole.rows if r.keys[0].value == 0}
    assert [h for (_, h), chats in sorted(monday.items()) if chats] == [10, 11, 14, 15, 23]


# --- the figures added to the engine for the page list: page = export = compute() ----------------

def by_key(rows, column=0):
    return {r["key"]: (r["cells"][column]["value"], r["cells"][column]["text"]) for r in rows}


def test_csat_answers_per_score_on_the_organizations_scale(org, week, manager_client):
    """The week's CSAT answers on 1-5: c1 5, c2 2, c3 4. Negative: c2, 1 of 3 = 33.3%."""
    page = parse(manager_client.get(url("report_satisfaction", org), WEEK_QUERY))
    csat = compute(organization=org, metric_ids=["csat"], first=MONDAY, last=SUNDAY)["metrics"]["csat"]
    expected = {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert csat["distribution"]["1-5"] == expected
    assert by_key(page.tables["csat_distribution"]) == {k: (str(v), str(v)) for k, v in expected.items()}
    csv_rows, xlsx_rows = exported(manager_client, "report_satisfaction", org, "csat_distribution")
    assert csv_rows[0][2].endswith("[csat.distribution.1-5]")
    assert {r[0]: r[2] for r in csv_rows[1:]} == {k: str(v) for k, v in expected.items()}
    assert {r[0]: r[2] for r in xlsx_rows[1:]} == expected
    assert csat["negative_share"] == pytest.approx(100 / 3)
    assert page.cards["csat.negative_share"]["value"] == "33.3%"
    assert by_key(page.tables["csat_parts"])["negative_share"] == (str(csat["negative_share"]), "33.3%")


def test_an_organization_on_good_bad_sees_its_own_scale(org, week, manager_client):
    """Two good/bad answers, good and bad, on Tuesday; the 1-5 answers are not this scale's."""
    org.csat_scale = "good-bad"
    org.save()
    for score in (1, 0):
        SurveyAnswerFactory(organization=org, kind="csat", scale="good-bad", score=score, answered_at=local(TUESDAY, 9))
    rebuild(org)
    page = parse(manager_client.get(url("report_satisfaction", org), WEEK_QUERY))
    assert by_key(page.tables["csat_distribution"]) == {"0": ("1", "1"), "1": ("1", "1")}
    csv_rows, _xlsx = exported(manager_client, "report_satisfaction", org, "csat_distribution")
    assert csv_rows[0][2].endswith("[csat.distribution.good-bad]")
    # Negative: c2 (2 on 1-5) and the bad answer, of 5 answers = 40%.
    assert page.cards["csat.negative_share"]["value"] == "40.0%"


def test_ticket_times_by_priority_page_export_compute(org, week, manager_client):
    """t1 high: first response 2 h (7,200 s), resolved after 2 days (172,800 s); t2 urgent: 30 min
    (1,800 s), resolved after 3 h (10,800 s); t3 normal: no response, open; no low ticket."""
    page = parse(manager_client.get(url("report_tickets", org), WEEK_QUERY))
    result = compute(organization=org, metric_ids=["ticket_first_response_time", "resolution_time"],
                     first=MONDAY, last=SUNDAY)["metrics"]
    assert result["ticket_first_response_time"]["by_priority"] == {
        "urgent": {"avg": 1800.0, "n": 1}, "high": {"avg": 7200.0, "n": 1},
        "normal": {"avg": None, "n": 0}, "low": {"avg": None, "n": 0}}
    assert result["resolution_time"]["by_priority"] == {
        "urgent": {"avg": 10800.0, "n": 1}, "high": {"avg": 172800.0, "n": 1},
        "normal": {"avg": None, "n": 0}, "low": {"avg": None, "n": 0}}
    frt = page.tables["frt_by_priority"]
    assert by_key(frt) == {"urgent": ("1800.0", "30 min"), "high": ("7200.0", "2 hr"),
                           "normal": ("", "—"), "low": ("", "—")}
    assert by_key(frt, 1) == {"urgent": ("1", "1"), "high": ("1", "1"), "normal": ("0", "0"), "low": ("0", "0")}
    assert by_key(page.tables["resolution_by_priority"])["high"] == ("172800.0", formatting.duration(172800))
    csv_rows, xlsx_rows = exported(manager_client, "report_tickets", org, "resolution_by_priority")
    assert csv_rows[0][2].endswith("[resolution_time.by_priority.avg]")
    assert {r[0]: (r[2], r[3]) for r in csv_rows[1:]} == {
        "urgent": ("10800.0", "1"), "high": ("172800.0", "1"), "normal": ("", "0"), "low": ("", "0")}
    assert {r[0]: (r[2], r[3]) for r in xlsx_rows[1:]} == {
        "urgent": (10800.0, 1), "high": (172800.0, 1), "normal": (None, 0), "low": (None, 0)}


def test_calls_resolved_and_negative_share_on_the_leaderboard_and_the_agent_page(org, week, manager_client):
    """Calls resolved: t2 (phone, Bo) only. Negative share: Aino c1 5, c2 2 -> 50%; Bo c3 4 -> 0%.
    Median of the two agents: calls (0 + 1) / 2 = 0.5 (shown 1, half up), negative share 25%."""
    computed = {g["key"]: g["metrics"] for g in compute(
        organization=org, metric_ids=["tickets_total", "csat"], first=MONDAY, last=SUNDAY, group_by="agent")["groups"]}
    assert (computed["a1"]["tickets_total"]["calls_resolved"], computed["a2"]["tickets_total"]["calls_resolved"]) == (0, 1)
    assert (computed["a1"]["csat"]["negative_share"], computed["a2"]["csat"]["negative_share"]) == (50.0, 0.0)
    page = parse(manager_client.get(url("report_agents", org), WEEK_QUERY))
    ids = [c.id for c in AGENTS.tables[0].columns]
    rows = {r["key"]: r for r in page.tables["leaderboard"]}
    calls, share = ids.index("tickets_total.calls_resolved"), ids.index("csat.negative_share")
    assert [rows[k]["cells"][calls]["text"] for k in ("a1", "a2", "median")] == ["0", "1", "1"]
    assert [rows[k]["cells"][share]["text"] for k in ("a1", "a2", "median")] == ["50.0%", "0.0%", "25.0%"]
    assert rows["median"]["cells"][calls]["value"] == "0.5"
    csv_rows, xlsx_rows = exported(manager_client, "report_agents", org, "leaderboard")
    header = csv_rows[0]
    i = next(n for n, h in enumerate(header) if h == "Calls resolved [tickets_total.calls_resolved]")
    j = next(n for n, h in enumerate(header) if h == "Negative share [csat.negative_share]")
    csv_by, xlsx_by = {r[0]: r for r in csv_rows[1:]}, {r[0]: r for r in xlsx_rows[1:]}
    assert [csv_by[k][i] for k in ("a1", "a2", "median")] == ["0", "1", "1"]  # the median: 0.5 to 0 decimals, a whole number
    assert [xlsx_by[k][i] for k in ("a1", "a2", "median")] == [0, 1, 1]
    assert [csv_by[k][j] for k in ("a1", "a2", "median")] == ["50.0", "0.0", "25.0"]
    assert [xlsx_by[k][j] for k in ("a1", "a2", "median")] == [50.0, 0.0, 25.0]

    agent_page = parse(manager_client.get(url("report_agent", org, agent_id=week["a2"].pk), WEEK_QUERY))
    # Bo is alone in Tier 2: the team median is his own figure.
    assert agent_page.cards["tickets_total.calls_resolved"]["value"] == "1"
    assert agent_page.cards["tickets_total.calls_resolved"]["median"] == "Team median: 1"
    assert agent_page.cards["csat.negative_share"]["value"] == "0.0%"


def test_the_share_of_all_chats_per_tag(org, week, manager_client):
    """Five chats in the week; billing on c1 and c2 (2 / 5 = 40%), vip on c2 (1 / 5 = 20%): a chat
    with two tags counts under each, and the untagged ones count in the total."""
    groups = {g["key"]: g["metrics"]["chats_total"] for g in compute(
        organization=org, metric_ids=["chats_total"], first=MONDAY, last=SUNDAY, group_by="tag")["groups"]}
    assert {k: (v["value"], v["share"]) for k, v in groups.items()} == {"billing": (2, 40.0), "vip": (1, 20.0)}
    # Filtered to one tag, the share is still of every chat of the range.
    (vip,) = compute(organization=org, metric_ids=["chats_total"], first=MONDAY, last=SUNDAY, group_by="tag",
                     filters={"tag": ["vip"]})["groups"]
    assert vip["metrics"]["chats_total"]["share"] == 20.0
    page = parse(manager_client.get(url("report_tags", org), WEEK_QUERY))
    share = [c.id for c in TAGS.section("by_tag").columns].index("chats_total.share")
    assert {r["key"]: r["cells"][share]["text"] for r in page.tables["by_tag"]} == {"billing": "40.0%", "vip": "20.0%"}
    csv_rows, xlsx_rows = exported(manager_client, "report_tags", org, "by_tag")
    i = csv_rows[0].index("Share of all chats [chats_total.share]")
    assert {r[0]: r[i] for r in csv_rows[1:]} == {"billing": "40.0", "vip": "20.0"}
    assert {r[0]: r[i] for r in xlsx_rows[1:]} == {"billing": 40.0, "vip": 20.0}
