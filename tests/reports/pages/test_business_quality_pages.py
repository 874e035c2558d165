"""The Business and Quality pages, the canned-response table and IQS/conversion on the agent page
(issue 11 item 10, issue 16 item 6): their figures are compute()'s, on the hand-worked week of
tests/reports/dataset.py plus reviews and a conversion worked out here."""

import datetime as dt
import decimal

import pytest

from chats.models import Chat
from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import QualityReviewFactory, QualityScorecardFactory
from tests.reports.dataset import MONDAY, build_week, local
from tests.reports.pages.conftest import WEEK_QUERY
from tests.reports.pages.html import parse
from tests.reports.pages.test_views import read_csv, url

pytestmark = pytest.mark.django_db
SUNDAY = MONDAY + dt.timedelta(days=6)


@pytest.fixture
def reviewed_week(org):
    """The week, with two reviews of Aino on one scorecard (tone weight 1, accuracy weight 2, both
    out of 5) and Aino's Monday 10:00 chat converted for 120.00 twenty minutes after it started."""
    objects = build_week(org)
    card = QualityScorecardFactory(organization=org, criteria=[
        {"key": "tone", "label": "Tone", "weight": 1, "max_score": 5},
        {"key": "accuracy", "label": "Accuracy", "weight": 2, "max_score": 5},
    ])
    for day, scores in ((MONDAY, {"tone": 4, "accuracy": 5}), (MONDAY + dt.timedelta(days=1), {"tone": 2, "accuracy": 3})):
        QualityReviewFactory(organization=org, agent=objects["a1"], scorecard=card, scores=scores,
                             reviewed_at=local(day, 16))
    first = Chat.objects.for_org(org).filter(agent=objects["a1"]).order_by("requested_at").first()
    first.converted_at = first.requested_at + dt.timedelta(minutes=20)
    first.conversion_value = decimal.Decimal("120.00")
    first.save()
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))
    return objects


def test_quality_page_iqs_in_total_per_agent_and_per_criterion(org, reviewed_week, manager_client):
    page = parse(manager_client.get(url("report_quality", org), WEEK_QUERY))
    # (1×4 + 2×5 + 1×2 + 2×3) ÷ (2 × (1×5 + 2×5)) = 22 ÷ 30; tone 6 ÷ 10; accuracy 16 ÷ 20.
    assert page.cards["iqs"]["value"] == "73.3%"
    assert page.cards["iqs.reviews"]["value"] == "2"
    criteria = {row["key"]: [c["text"] for c in row["cells"]] for row in page.tables["by_criterion"]}
    assert criteria == {"tone": ["60.0%", "2"], "accuracy": ["80.0%", "2"]}
    agents = {row["key"]: row["cells"][0]["text"] for row in page.tables["by_agent"]}
    assert agents["a1"] == "73.3%"
    computed = compute(organization=org, metric_ids=["iqs"], first=MONDAY, last=SUNDAY)["metrics"]["iqs"]
    assert computed["value"] == pytest.approx(100 * 22 / 30)

    exported = read_csv(manager_client.get(url("report_quality", org),
                                           {**WEEK_QUERY, "export": "by_criterion", "format": "csv"}))
    by_key = {r[0]: r for r in exported[1:]}
    assert by_key["tone"][2:] == ["60.0", "2"] and by_key["accuracy"][2:] == ["80.0", "2"]


def test_business_page_cards_are_computes_conversion_figures(org, reviewed_week, manager_client):
    page = parse(manager_client.get(url("report_business", org), WEEK_QUERY))
    # 1 conversion of 3 answered chats, worth 120.00, 20 minutes after the request.
    assert page.cards["conversion_rate"]["value"] == "33.3%"
    assert page.cards["conversion_rate.value_sum"]["value"] == "120.00"
    assert page.cards["conversion_rate.time_to_conversion.avg"]["value"] == "20 min"
    conversion = compute(organization=org, metric_ids=["conversion_rate"], first=MONDAY,
                         last=SUNDAY)["metrics"]["conversion_rate"]
    assert conversion["value"] == pytest.approx(100 / 3) and conversion["value_sum"] == 120
    initiator = {row["key"]: [c["text"] for c in row["cells"]] for row in page.tables["initiator"]}
    assert initiator["reactive"] == ["33.3%", "1", "3"]
    per_agent = {row["key"]: row["cells"][0]["text"] for row in page.tables["by_agent"]}
    assert per_agent == {"a1": "50.0%", "a2": "0.0%"}  # Aino 1 of 2 answered, Bo 0 of 1


def test_the_agent_page_shows_iqs_and_conversion(org, reviewed_week, manager_client):
    response = manager_client.get(url("report_agent", org, agent_id=reviewed_week["a1"].pk), WEEK_QUERY)
    page = parse(response)
    assert page.cards["iqs"]["value"] == "73.3%"
    assert page.cards["conversion_rate"]["value"] == "50.0%"
    assert "not in the metric catalogue" not in response.content.decode()


def test_canned_page_lists_each_response_with_its_chats_and_uses(org, reviewed_week, manager_client):
    page = parse(manager_client.get(url("report_canned", org), WEEK_QUERY))
    rows = page.tables["by_response"]
    # One response, used twice in Aino's Monday 10:00 chat: 1 of 3 answered chats, 2 uses, 60 s saved.
    assert len(rows) == 1
    assert [c["text"] for c in rows[0]["cells"][:5]] == ["1", "33.3%", "2", "2.00", "1 min"]
    grouped = compute(organization=org, metric_ids=["canned_usage"], first=MONDAY, last=SUNDAY,
                      group_by="canned_response")["groups"]
    assert [g["metrics"]["canned_usage"]["uses"] for g in grouped] == [2]


def test_the_live_chat_heatmap_has_agents_needed_beside_agents_online(org, reviewed_week, manager_client):
    response = manager_client.get(url("report_live_chat", org), WEEK_QUERY)
    staffing = response.context["report"].section("heatmap").extra["staffing"]
    monday = next(line for line in staffing["grid"] if line["weekday"] == 0)
    # Sessions: Aino 9-17, Bo 13-16 on Monday (local), the only Monday of the range.
    assert monday["cells"][10]["online_display"] == "1.0" and monday["cells"][14]["online_display"] == "2.0"
    forecast = compute(organization=org, metric_ids=["staffing_forecast"], first=MONDAY,
                       last=SUNDAY)["metrics"]["staffing_forecast"]
    needed = {(h["weekday"], h["hour"]): h["agents_needed"] for h in forecast["hours"]}
    assert [c["needed"] for c in monday["cells"]] == [needed[(0, hour)] for hour in range(24)]
    assert needed[(0, 10)] >= 1 and needed[(0, 3)] == 0  # a chat at 10:00, none at 03:00

    exported = read_csv(manager_client.get(url("report_live_chat", org),
                                           {**WEEK_QUERY, "export": "heatmap", "format": "csv"}))
    header = exported[0]
    assert "Agents needed [staffing_forecast.agents_needed]" in header
    row = next(r for r in exported[1:] if r[0] == "0" and r[2] == "14")
    assert row[header.index("Agents online [staffing_forecast.agents_online]")] == "2.0"
