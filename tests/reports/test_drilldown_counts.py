"""Each drill-down list counts exactly the figure it came from (issue 16, item 10).

For every figure that links to a list (reports.drilldown.links.FIGURES), on the hand-worked week
(tests/reports/dataset.py) through the list page itself, and on generated organizations in five
time zones across their DST changes (tests/reports/drilldown_dataset.py) through the list's
selector: the list's total equals compute()'s figure (a count, a duration's n, a ratio's counted
numerator, an SLA measure's breaches) for the whole organization and for each value of each
filter dimension.
"""

import datetime as dt
from urllib.parse import urlencode

import pytest

from reports.drilldown.links import FIGURES, drilldown_url
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.reports.dataset import MONDAY, build_week
from tests.reports.drilldown_cases import check_all_figures, figure_count

pytestmark = pytest.mark.django_db
WEEK = (MONDAY - dt.timedelta(days=7), MONDAY + dt.timedelta(days=7))


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=WEEK[0], last=WEEK[1])
    return objects


def page_count(client):
    def count(organization, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.context["paginator"].count
    return count


WEEK_FILTERS = [{}, {"agent": "a1"}, {"agent": "a2"}, {"team": "Tier 1"}, {"team": "Tier 2"}, {"channel": "chat"},
                {"channel": "email"}, {"channel": "phone"}, {"tag": "billing"}, {"tag": "vip"}]


@pytest.mark.parametrize("filters", WEEK_FILTERS, ids=lambda f: urlencode(f) or "org")
def test_every_list_page_counts_its_figure_on_the_hand_worked_week(org, week, manager_client, filters):
    for first, last in ((MONDAY, MONDAY), (MONDAY, MONDAY + dt.timedelta(days=2)), WEEK):
        assert check_all_figures(org, first, last, filters, count=page_count(manager_client)) == len(FIGURES)


def test_the_hand_worked_figures_themselves(org, week, manager_client):
    """The lists of the week, worked out by hand (dataset.py's table), so that the equality above
    cannot hold by both sides being empty."""
    result = compute(organization=org, metric_ids=["chats_missed", "first_response_time", "tickets_total", "csat",
                                                   "canned_usage", "transfer_rate", "sla_compliance"],
                     first=MONDAY, last=MONDAY + dt.timedelta(days=2), compare=False)["metrics"]
    query = {"from": MONDAY.isoformat(), "to": (MONDAY + dt.timedelta(days=2)).isoformat()}
    cases = {
        ("chats_missed", "value"): 2,                      # c4 visitor left, c5 no agent online
        ("chats_missed", "by_reason.visitor_left"): 1,
        ("first_response_time", "avg"): 3,                 # c1, c2, c3 (n)
        ("first_response_time", "above_target"): 1,        # c3: 70 s > the 60 s default
        ("tickets_total", "value"): 3,
        ("tickets_total", "resolved"): 2,                  # t2 Monday, t1 Wednesday
        ("tickets_total", "backlog"): 1,                   # t3, open at Wednesday's end
        ("csat", "value"): 3,
        ("csat", "negative"): 1,                           # c2 → 2
        ("canned_usage", "uses"): 2,
        ("canned_usage", "value"): 1,                      # c1
        ("transfer_rate", "value"): 1,                     # c2
    }
    for (metric, figure), want in cases.items():
        assert figure_count(result, metric, figure) == want, (metric, figure)
        url = drilldown_url(organization=org, metric_id=metric, query=query, figure=figure)
        assert manager_client.get(url).context["paginator"].count == want, (metric, figure)


def test_figures_a_list_cannot_reproduce_have_no_link(org):
    query = {"from": "2026-03-02", "to": "2026-03-08"}
    for metric, figure in (("first_response_time", "p50"), ("first_response_time", "p90"), ("handle_time", "p90"),
                           ("canned_usage", "time_saved_seconds"), ("chats_per_hour", "value"),
                           ("agent_utilization", "value"), ("messages_per_chat", "value"), ("sla_compliance", "value"),
                           ("sla_compliance", "breached")):
        assert drilldown_url(organization=org, metric_id=metric, query=query, figure=figure) is None
    # Two tags: the service counts a chat once per tag; no list does.
    assert drilldown_url(organization=org, metric_id="chats_total", query={**query, "tag": ["a", "b"]}) is None
    # Two dimensions at once: the service answers one at a time.
    assert drilldown_url(organization=org, metric_id="chats_total", query={**query, "agent": "a1", "team": "t"}) is None
    # Segments and touchpoints divide survey answers only.
    assert drilldown_url(organization=org, metric_id="chats_total", query={**query, "segment": "vip"}) is None
    assert drilldown_url(organization=org, metric_id="csat", query={**query, "segment": "vip"}) is not None


ZONES = ["Europe/Helsinki", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"]


@pytest.mark.parametrize("zone", ZONES)
def test_every_list_counts_its_figure_across_time_zones_and_dst(zone):
    """Generated rows crowd local midnights and DST changes (Lord Howe moves 30 minutes, Kathmandu
    is +05:45, Chatham +13:45/+12:45); ranges start or end on a change's day or cross them all."""
    from tests.factories import OrganizationFactory
    from tests.reports.drilldown_dataset import FIRST, LAST, build_generated, filter_cases

    org = OrganizationFactory(slug=f"gen-{ZONES.index(zone)}", timezone=zone)
    objects = build_generated(org, seed=ZONES.index(zone) + 1)
    snapshots_rebuild(organization=org, first=FIRST - dt.timedelta(days=2), last=LAST + dt.timedelta(days=7))
    change_days = sorted({t.astimezone(org.tzinfo).date() for t in objects["transitions"]})
    assert bool(change_days) == (zone != "Asia/Kathmandu"), change_days  # Kathmandu keeps +05:45
    ranges = [(FIRST, LAST)] + [(day, day) for day in change_days] + [(day - dt.timedelta(days=3), day) for day in change_days]
    checked = 0
    for filters in filter_cases(objects):
        for first, last in ranges:
            checked += check_all_figures(org, first, last, filters)
    assert checked > 500
