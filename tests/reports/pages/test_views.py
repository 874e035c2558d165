"""The report pages: who sees them, what they show (the same numbers as compute() and as their
exports, on the hand-worked week), friendly messages instead of errors, bounded queries."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from reports import formatting
from reports.metrics import compute
from reports.pages.catalogue import NAV_PAGES, PAGES
from tests.factories import AgentFactory, MembershipFactory
from tests.reports.dataset import MONDAY
from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.html import parse

pytestmark = pytest.mark.django_db

REPORT_ROLES = (Role.OWNER, Role.ADMIN, Role.MANAGER, Role.VIEWER)
DAY_QUERY = {"from": MONDAY.isoformat(), "to": MONDAY.isoformat()}


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", [p.url_name for p in NAV_PAGES])
@pytest.mark.parametrize("role", REPORT_ROLES)
def test_every_role_that_views_reports_sees_every_page(page, role, org, week, role_client):
    response = role_client(role).get(url(page, org), WEEK_QUERY)
    assert response.status_code == 200
    assert response.context["report"].error is None


@pytest.mark.parametrize("page", [p.url_name for p in NAV_PAGES])
def test_an_agent_member_and_an_outsider_get_404(page, org, week, role_client, outsider_client):
    assert role_client(Role.AGENT).get(url(page, org), WEEK_QUERY).status_code == 404
    assert outsider_client.get(url(page, org), WEEK_QUERY).status_code == 404
    assert role_client(Role.AGENT).get(url(page, org), {**WEEK_QUERY, "export": "trend"}).status_code == 404


def test_an_agent_member_sees_only_their_own_agent_page(org, other_org, week, member_factory):
    user = member_factory(org, role=Role.AGENT)
    own, other = week["a1"], week["a2"]
    own.user = user
    own.save()
    client = client_for(user)
    page = client.get(url("report_agent", org, agent_id=own.pk), WEEK_QUERY)
    assert page.status_code == 200
    assert page.context["agent"] == own
    assert client.get(url("report_agent", org, agent_id=other.pk), WEEK_QUERY).status_code == 404
    assert client.get(url("report_agent", org, agent_id=own.pk),
                      {**WEEK_QUERY, "export": "trend", "format": "csv"}).status_code == 200
    # No report navigation for them, and their home page links their own page.
    assert page.context.get("report_nav") == []
    home = client.get(url("org_home", org)).content.decode()
    assert url("report_agent", org, agent_id=own.pk) in home
    assert f'href="{url("report_overview", org)}"' not in home
    # Another organization's agent id is the same 404 as a missing one.
    foreign = AgentFactory(organization=other_org)
    assert client.get(url("report_agent", org, agent_id=foreign.pk)).status_code == 404
    assert client.get(url("report_agent", org, agent_id=10**9)).status_code == 404


@pytest.mark.parametrize("role", REPORT_ROLES)
def test_report_roles_see_any_agent_page_of_their_organization_only(role, org, other_org, week, role_client):
    client = role_client(role)
    assert client.get(url("report_agent", org, agent_id=week["a2"].pk), WEEK_QUERY).status_code == 200
    foreign = AgentFactory(organization=other_org)
    assert client.get(url("report_agent", org, agent_id=foreign.pk)).status_code == 404


def test_a_manager_of_another_organization_sees_no_agent_page(org, week, outsider_client):
    assert outsider_client.get(url("report_agent", org, agent_id=week["a1"].pk)).status_code == 404


# --- numbers ----------------------------------------------------------------------------------

def card_figures(org, ids, **query):
    return compute(organization=org, metric_ids=ids, first=MONDAY, last=MONDAY + dt.timedelta(days=6), **query)


def test_overview_cards_show_computes_numbers_formatted(org, week, manager_client):
    page = parse(manager_client.get(url("report_overview", org), WEEK_QUERY))
    m = card_figures(org, ["chats_total", "chats_missed", "first_response_time", "csat", "tickets_total"])["metrics"]
    # By hand (tests/reports/dataset.py): 5 chats, 2 missed = 40 %, FRT 30/50/70 s, CSAT 2 of 3 positive.
    assert page.cards["chats_total"]["value"] == "5" == formatting.number(m["chats_total"]["value"])
    assert page.cards["chats_missed.missed_rate"]["value"] == "40.0%"
    assert page.cards["first_response_time.avg"]["value"] == formatting.duration(50) == "50 sec"
    assert page.cards["csat"]["value"] == "66.7%" == formatting.percent(m["csat"]["value"])
    assert page.cards["csat"]["n"] == "n = 3"
    # Tickets: t1, t2 on Monday, t3 on Tuesday; t3 is still open at the end of the week.
    assert page.cards["tickets_total"]["value"] == "3"
    assert page.cards["tickets_total.backlog"]["value"] == "1" == str(m["tickets_total"]["backlog"])
    # The previous week had nothing: no change, the previous value shown.
    assert "from 0" in page.cards["chats_total"]["change"] or "Previous period: 0" in page.cards["chats_total"]["change"]


def test_a_card_carries_the_change_colour_by_direction(org, week, manager_client):
    # This week against the week with data: fewer chats and a lower missed rate (better).
    following = {"from": (MONDAY + dt.timedelta(days=7)).isoformat(), "to": (MONDAY + dt.timedelta(days=13)).isoformat()}
    report = manager_client.get(url("report_overview", org), following).context["report"]
    missed = next(c for c in report.cards if c.id == "chats_missed.missed_rate")
    chats = next(c for c in report.cards if c.id == "chats_total")
    assert (missed.value, missed.previous) == (None, pytest.approx(40.0))
    assert (chats.value, chats.previous, chats.change) == (0, 5, pytest.approx(-1.0))
    assert chats.direction == "neutral"  # chats_total: neither higher nor lower is better
    fcr = next(c for c in report.cards if c.id == "fcr_rate")
    assert fcr.change is None and fcr.direction == "neutral"


def test_card_changes_equal_computes_change_for_metric_values(org, week, manager_client):
    rng = {"from": MONDAY.isoformat(), "to": (MONDAY + dt.timedelta(days=13)).isoformat()}
    report = manager_client.get(url("report_overview", org), rng).context["report"]
    computed = compute(organization=org, metric_ids=["chats_total", "csat", "tickets_total"], first=MONDAY,
                       last=MONDAY + dt.timedelta(days=13))["metrics"]
    for card in report.cards:
        if card.field == "value" and card.metric in computed:
            assert card.change == computed[card.metric]["change"]
            assert card.previous == computed[card.metric]["previous"]["value"]


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_trend_table_page_export_and_compute_agree(org, week, manager_client):
    params = {**WEEK_QUERY, "group_by": "day"}
    page = parse(manager_client.get(url("report_overview", org), params))
    computed = compute(organization=org, metric_ids=["chats_total", "first_response_time", "csat"], first=MONDAY,
                       last=MONDAY + dt.timedelta(days=6), group_by="day")["groups"]
    rows = page.tables["trend"]
    assert [r["key"] for r in rows] == [g["key"] for g in computed]
    monday = rows[0]
    assert monday["header"] == "Mon, Mar 2, 2026"
    # Columns: chats, missed, FRT avg, FRT p50, CSAT, tickets, backlog, SLA.
    assert [c["text"] for c in monday["cells"][:3]] == ["5", "2", "50 sec"]
    assert monday["cells"][4]["text"] == formatting.percent(computed[0]["metrics"]["csat"]["value"]) == "66.7%"

    csv_rows = read_csv(manager_client.get(url("report_overview", org), {**params, "export": "trend", "format": "csv"}))
    header = csv_rows[0]
    assert header[:4] == ["Period [day]", "Total chats [chats_total]", "Missed chats [chats_missed]",
                          "First response time (average) [first_response_time.avg]"]
    assert "Customer satisfaction (CSAT) (previous period) [csat.previous]" in header
    by_key = {r[0]: r for r in csv_rows[1:]}
    assert by_key["2026-03-02"][1:4] == ["5", "2", "50.0"]
    assert by_key["2026-03-02"][header.index("Customer satisfaction (CSAT) [csat]")] == "66.7"  # 66.666… half up
    assert by_key["2026-03-03"][header.index("Ticket backlog [tickets_total.backlog]")] == "2"

    xlsx = read_xlsx(manager_client.get(url("report_overview", org), {**params, "export": "trend", "format": "xlsx"}))
    assert xlsx[0] == header
    monday_x = next(r for r in xlsx[1:] if r[0] == "2026-03-02")
    assert monday_x[1:4] == [5, 2, 50.0]
    assert monday_x[header.index("Customer satisfaction (CSAT) [csat]")] == 66.7
    assert len(xlsx) == len(csv_rows) == 8  # header + 7 days


def test_leaderboard_sorted_with_its_median_row_and_export(org, week, manager_client):
    params = {**WEEK_QUERY, "leaderboard_sort": "-first_response_time.avg"}
    response = manager_client.get(url("report_agents", org), params)
    page = parse(response)
    rows = page.tables["leaderboard"]
    # Aino (a1): FRT 30, 50 -> 40 s; Bo (a2): 70 s. Sorted by FRT, largest first; then the median.
    assert [r["key"] for r in rows] == ["a2", "a1", "median"]
    ids = [c.id for c in response.context["report"].section("leaderboard").columns]
    frt = ids.index("first_response_time.avg")
    assert [r["cells"][frt]["text"] for r in rows] == ["1 min 10 sec", "40 sec", "55 sec"]
    chats = ids.index("chats_total")
    # Chats routed to each agent: a1 2, a2 2 (one of them missed); median 2.
    assert [r["cells"][chats]["value"] for r in rows] == ["2", "2", "2.0"]
    exported = read_csv(manager_client.get(url("report_agents", org), {**params, "export": "leaderboard",
                                                                       "format": "csv"}))
    assert exported[0][:2] == ["Id [agent]", "Name [agent_name]"]
    assert [r[0] for r in exported[1:]] == ["a2", "a1", "median"]
    assert [r[2 + frt] for r in exported[1:]] == ["70.0", "40.0", "55.0"]
    grouped = compute(organization=org, metric_ids=["first_response_time"], first=MONDAY,
                      last=MONDAY + dt.timedelta(days=6), group_by="agent")["groups"]
    assert {g["key"]: g["metrics"]["first_response_time"]["avg"] for g in grouped} == {"a1": 40.0, "a2": 70.0}


def test_agent_page_figures_beside_the_team_median(org, week, manager_client):
    response = manager_client.get(url("report_agent", org, agent_id=week["a1"].pk), WEEK_QUERY)
    page = parse(response)
    agent = compute(organization=org, metric_ids=["chats_total", "first_response_time"], first=MONDAY,
                    last=MONDAY + dt.timedelta(days=6), filters={"agent": ["a1"]})["metrics"]
    assert page.cards["chats_total"]["value"] == "2" == str(agent["chats_total"]["value"])
    assert page.cards["first_response_time.avg"]["value"] == "40 sec"
    # Aino is alone in Tier 1: the team median is her own figure.
    assert page.cards["first_response_time.avg"]["median"] == "Team median: 40 sec"
    assert "Median of team Tier 1 (1 agent)" in response.content.decode()


# --- messages instead of errors ---------------------------------------------------------------

def test_an_unknown_filter_value_is_a_message_not_a_500(org, week, manager_client):
    response = manager_client.get(url("report_overview", org), {**WEEK_QUERY, "agent": "nobody"})
    assert response.status_code == 200
    assert "Unknown agent “nobody”." in response.content.decode()


def test_two_filters_explain_the_one_dimension_rule(org, week, manager_client):
    response = manager_client.get(url("report_overview", org), {**WEEK_QUERY, "agent": "a1", "team": "Tier 1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Filter by one of agent, team, channel or tag at a time." in body
    assert "Filter by one of team, agent, channel or tag at a time: the figures are counted per dimension" in body


def test_a_table_by_another_dimension_says_why_it_is_not_shown(org, week, manager_client):
    response = manager_client.get(url("report_live_chat", org), {**WEEK_QUERY, "team": "Tier 1"})
    assert response.status_code == 200
    report = response.context["report"]
    assert "cannot be shown while the page is filtered by team" in report.section("by_channel").error
    assert report.section("trend").error is None
    assert "hourly figures are not kept per team" in report.section("heatmap").error
    hourly = manager_client.get(url("report_live_chat", org), {**WEEK_QUERY, "team": "Tier 1", "group_by": "hour"})
    assert "Grouping by hour cannot be combined with a filter" in hourly.context["report"].section("trend").error


def test_filtered_cards_are_computes_filtered_numbers(org, week, manager_client):
    report = manager_client.get(url("report_overview", org), {**WEEK_QUERY, "team": "Tier 2"}).context["report"]
    chats = next(c for c in report.cards if c.id == "chats_total")
    assert chats.value == card_figures(org, ["chats_total"], filters={"team": ["Tier 2"]})["metrics"]["chats_total"]["value"]


def test_an_htmx_request_gets_the_report_region_only(org, week, manager_client):
    response = manager_client.get(url("report_overview", org), WEEK_QUERY, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="report"') and "<html" not in body


def test_an_unknown_export_is_404(org, week, manager_client):
    assert manager_client.get(url("report_overview", org), {"export": "nope"}).status_code == 404
    assert manager_client.get(url("report_overview", org), {"export": "trend", "format": "pdf"}).status_code == 404


# --- freshness and empty states ---------------------------------------------------------------

def test_freshness_shows_the_build_time_and_days_waiting(org, week, manager_client):
    from reports.freshness import mark_dirty

    mark_dirty(organization=org, days={MONDAY, MONDAY + dt.timedelta(days=1)}, enqueue=False)
    body = manager_client.get(url("report_overview", org), WEEK_QUERY).content.decode()
    assert "Data as of" in body
    assert "2 days waiting to be rebuilt" in body


def test_an_organization_without_data_is_told_how_to_send_it(org, role_client):
    body = role_client(Role.ADMIN).get(url("report_overview", org)).content.decode()
    assert "No helpdesk data yet" in body
    assert ".venv/bin/python manage.py create_api_key --org acme" in body
    assert "http://testserver/api/v1/chats/bulk" in body


def test_data_received_but_not_yet_built_is_not_called_missing(org, manager_client):
    """A first import whose days wait for the worker: "being processed", not "no data yet"."""
    from reports.freshness import mark_dirty
    from tests.reports.dataset import build_week

    build_week(org)
    mark_dirty(organization=org, days={MONDAY, MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)},
               enqueue=False)
    body = manager_client.get(url("report_overview", org), WEEK_QUERY).content.decode()
    assert "Your data is being processed" in body and "3 days of figures are waiting to be built" in body
    assert "No helpdesk data yet" not in body


def test_a_range_without_data_says_so(org, week, manager_client):
    body = manager_client.get(url("report_overview", org), {"from": "2025-01-01", "to": "2025-01-07"}).content.decode()
    assert "No chats, tickets or survey answers in this range." in body


# --- bounded queries --------------------------------------------------------------------------

@pytest.mark.parametrize("page", [*(p.url_name for p in NAV_PAGES), "report_agent"])
def test_each_page_renders_in_the_same_number_of_queries_for_a_day_or_a_year(
        page, org, week, manager_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kwargs = {"agent_id": week["a1"].pk} if page == "report_agent" else {}
    with CaptureQueriesContext(connection) as day:
        assert manager_client.get(url(page, org, **kwargs), {**DAY_QUERY, "group_by": "day"}).status_code == 200
    one_day = len(day.captured_queries)
    assert one_day <= 70
    # 365 days ending on the data's Monday, grouped by day and by week.
    year = {"from": (MONDAY - dt.timedelta(days=364)).isoformat(), "to": MONDAY.isoformat()}
    for group_by in ("day", "week"):
        with django_assert_max_num_queries(one_day):
            assert manager_client.get(url(page, org, **kwargs), {**year, "group_by": group_by}).status_code == 200


@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_calls_compute_a_fixed_small_number_of_times(page, org, week):
    from reports.pages.params import ReportQuery
    from reports.pages.renderer import render_page

    query = ReportQuery(preset="custom", first=MONDAY, last=MONDAY + dt.timedelta(days=6), group_by="day")
    rendered = render_page(page=PAGES[page], organization=org, query=query, agent=week["a1"],
                           fixed_filters={"agent": ["a1"]} if page == "agent" else None)
    # Totals and their previous period, the trend and its previous period, one per dimension table.
    assert rendered.compute_calls <= 7


def test_membership_in_two_organizations_shows_each_only_under_its_slug(org, other_org, week, member_factory):
    user = member_factory(org, role=Role.VIEWER)
    MembershipFactory(organization=other_org, user=user, role=Role.AGENT)
    client = client_for(user)
    assert client.get(url("report_overview", org), WEEK_QUERY).status_code == 200
    assert client.get(url("report_overview", other_org), WEEK_QUERY).status_code == 404


def test_a_report_member_lands_on_the_overview_once_there_is_data(org, week, member_factory, client):
    client.force_login(member_factory(org, role=Role.MANAGER))
    assert client.get(reverse("home"))["Location"] == url("report_overview", org)


def test_an_agent_member_still_lands_on_their_home(org, week, member_factory, client):
    client.force_login(member_factory(org, role=Role.AGENT))
    assert client.get(reverse("home"))["Location"] == url("org_home", org)


@pytest.mark.parametrize("page", [p.url_name for p in NAV_PAGES])
def test_a_one_day_range_groups_by_hour_and_renders(page, org, week, manager_client):
    day = MONDAY.isoformat()
    response = manager_client.get(url(page, org), {"from": day, "to": day})
    assert response.status_code == 200
    trend = response.context["report"].section("trend") if page == "report_overview" else None
    if trend is not None and trend.rows:
        assert trend.rows[0].keys[0].display == "Mar 2, 00:00", trend.rows[0].keys[0].display
