"""Goals (issue 10 item 7): compute() puts each goal beside its figure, for the read's scope;
report cards say met or missed; trend charts draw the goal line; the service validates, audits
and never rebuilds a day.

On the hand-worked week of tests/reports/dataset.py (Monday 2026-03-02):
- chats c1..c5, c4 and c5 missed: missed rate 2/5 = 40 %;
- CSAT (1–5): c1 → 5 and c2 → 2 (Tier 1, agent Aino), c3 → 4 (Tier 2, agent Bo):
  organization 2 positive of 3 = 66.7 %, Tier 1 1 of 2 = 50 %, Tier 2 1 of 1 = 100 %.

Goals: the organization CSAT ≥ 85 % and missed rate ≤ 45 %; Tier 2 CSAT ≥ 90 %.
- the organization: CSAT 66.7 < 85 → missed; missed rate 40 ≤ 45 → met;
- grouped by team: Tier 1 has no goal of its own → the organization's 85: 50 → missed;
  Tier 2 its own 90: 100 → met;
- filtered to Tier 2: its goal, met; filtered to Tier 1: the organization's, missed;
- grouped by day: Monday 66.7 → missed; Tuesday has no answers → met is None.
"""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry, Role
from reports.goals import goal_create, goal_delete, goal_update
from reports.metrics import compute
from reports.models import DirtyDay, Goal
from reports.snapshots import snapshots_rebuild
from tests.factories import TeamFactory
from tests.reports.dataset import MONDAY, build_week
from tests.reports.pages.conftest import WEEK_QUERY
from tests.settings.conftest import client_for

pytestmark = pytest.mark.django_db
SUNDAY = MONDAY + dt.timedelta(days=6)


def read(org, **kwargs):
    return compute(organization=org, metric_ids=["csat", "chats_missed"], first=MONDAY, last=SUNDAY,
                   compare=False, **kwargs)


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))
    return objects


@pytest.fixture
def goals(org, week):
    return {
        "csat": goal_create(organization=org, actor=None, metric="csat", target=85),
        "missed": goal_create(organization=org, actor=None, metric="chats_missed", field="missed_rate",
                              at_least=False, target=45),
        "tier2": goal_create(organization=org, actor=None, metric="csat", team=week["t2"], target=90),
        "tier2_team": week["t2"],
    }


def test_the_organizations_goals_beside_its_figures(org, goals):
    m = read(org)["metrics"]
    assert m["csat"]["value"] == pytest.approx(200 / 3)
    assert m["csat"]["goals"] == {"value": {"target": 85.0, "at_least": True, "met": False, "team": None}}
    assert m["chats_missed"]["missed_rate"] == pytest.approx(40.0)
    assert m["chats_missed"]["goals"] == {"missed_rate": {"target": 45.0, "at_least": False, "met": True, "team": None}}


def test_grouped_by_team_each_team_has_its_own_goal_or_the_organizations(org, goals):
    groups = {g["label"]: g["metrics"]["csat"] for g in read(org, group_by="team")["groups"]}
    assert groups["Tier 1"]["value"] == pytest.approx(50.0)
    assert groups["Tier 1"]["goals"]["value"] == {"target": 85.0, "at_least": True, "met": False, "team": None}
    assert groups["Tier 2"]["value"] == pytest.approx(100.0)
    tier2 = goals["tier2_team"]
    assert groups["Tier 2"]["goals"]["value"] == {"target": 90.0, "at_least": True, "met": True,
                                                  "team": tier2.external_id or tier2.name}


def test_a_read_filtered_to_one_team_uses_that_teams_goal(org, goals):
    tier2 = goals["tier2_team"]
    mine = read(org, filters={"team": [tier2.external_id]})["metrics"]["csat"]
    assert mine["value"] == pytest.approx(100.0) and mine["goals"]["value"]["target"] == 90.0
    assert mine["goals"]["value"]["met"] is True
    other = read(org, filters={"team": ["Tier 1"]})["metrics"]["csat"]
    assert other["value"] == pytest.approx(50.0)
    assert other["goals"]["value"] == {"target": 85.0, "at_least": True, "met": False, "team": None}


def test_time_groups_compare_their_own_value(org, goals):
    days = {g["key"]: g["metrics"]["csat"] for g in read(org, group_by="day")["groups"]}
    assert days[MONDAY.isoformat()]["goals"]["value"]["met"] is False
    tuesday = days[(MONDAY + dt.timedelta(days=1)).isoformat()]
    assert tuesday["value"] is None and tuesday["goals"]["value"]["met"] is None


def test_without_goals_the_result_has_none(org, week):
    assert "goals" not in read(org)["metrics"]["csat"]


def test_another_organizations_goals_never_apply(org, other_org, week):
    goal_create(organization=other_org, actor=None, metric="csat", target=10)
    assert "goals" not in read(org)["metrics"]["csat"]


# --- the service ----------------------------------------------------------------------------

def test_the_service_validates_with_clear_messages(org, other_org, week):
    foreign = TeamFactory(organization=other_org, name="Theirs")
    cases = [
        ({"metric": "csat", "target": 120}, "target", "between 0 and 100"),
        ({"metric": "csat", "field": "bucket_dump", "target": 1}, "metric", "figures the report pages show"),
        ({"metric": "nope", "target": 1}, "metric", "figures the report pages show"),
        ({"metric": "csat", "target": "high"}, "target", "number"),
        ({"metric": "first_response_time", "field": "p50", "target": -1}, "target", "0 or more"),
        ({"metric": "nps", "target": -101}, "target", "−100 and 100"),
        ({"metric": "csat", "team": foreign, "target": 80}, "team", "this organization's teams"),
    ]
    for data, field, words in cases:
        with pytest.raises(ValidationError) as info:
            goal_create(organization=org, actor=None, **data)
        assert words in " ".join(info.value.message_dict[field]), data
    goal_create(organization=org, actor=None, metric="csat", target=85)
    with pytest.raises(ValidationError) as info:
        goal_create(organization=org, actor=None, metric="csat", target=90)
    assert "already a goal for Customer satisfaction (CSAT) (whole organization)" in info.value.messages[0]
    assert Goal.objects.for_org(org).count() == 1


def test_direction_defaults_to_the_figures_own(org, week):
    frt = goal_create(organization=org, actor=None, metric="first_response_time", field="p50", target=60)
    assert frt.at_least is False  # lower is better
    assert goal_create(organization=org, actor=None, metric="fcr_rate", target=70).at_least is True


def test_every_change_is_audited_and_no_day_is_rebuilt(org, member_factory, week):
    actor = member_factory(org, role=Role.ADMIN)
    DirtyDay.objects.for_org(org).delete()
    goal = goal_create(organization=org, actor=actor, metric="csat", target=85)
    goal_update(organization=org, actor=actor, goal=goal, target=80)
    goal_delete(organization=org, actor=actor, goal=goal)
    rows = list(AuditLogEntry.objects.for_org(org).filter(kind__startswith="goal.").order_by("pk"))
    assert [r.kind for r in rows] == [AuditKind.GOAL_CREATED, AuditKind.GOAL_UPDATED, AuditKind.GOAL_DELETED]
    assert rows[1].changes == {"target": [85.0, 80.0]} and rows[1].actor_id == actor.pk
    assert rows[0].target_label == "Customer satisfaction (CSAT) ≥ 85.0% (whole organization)"
    assert not DirtyDay.objects.for_org(org).exists()


# --- cards, charts and the settings page ------------------------------------------------------

def test_cards_say_met_or_missed_and_the_trend_chart_draws_the_goal(org, member_factory, goals):
    client = client_for(member_factory(org, role=Role.MANAGER))
    html = client.get(reverse("report_overview", kwargs={"org_slug": org.slug}), WEEK_QUERY).content.decode()
    csat_card = html[html.index('data-figure="csat"'):]
    csat_card = csat_card[:csat_card.index("</article>")]
    assert "Goal ≥ 85.0%" in csat_card and "missed" in csat_card
    missed_card = html[html.index('data-figure="chats_missed.missed_rate"'):]
    missed_card = missed_card[:missed_card.index("</article>")]
    assert "Goal ≤ 45.0%" in missed_card and "<strong>met</strong>" in missed_card
    start = html.index('id="chart-trend-csat"')
    spec = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    goal = [d for d in spec["datasets"] if d.get("goal")]
    assert len(goal) == 1 and goal[0]["data"] == [85.0] * len(spec["labels"])


def test_an_admin_sets_edits_and_removes_a_goal_on_the_settings_page(org, member_factory, week):
    client = client_for(member_factory(org, role=Role.ADMIN))
    url = reverse("settings_goals", kwargs={"org_slug": org.slug})
    response = client.post(url, {"figure": "chats_missed.missed_rate", "team": "", "direction": "", "target": "5"})
    assert response.status_code == 302
    goal = Goal.objects.for_org(org).get()
    assert (goal.metric, goal.field, goal.at_least, goal.target, goal.team) == ("chats_missed", "missed_rate", False, 5.0, None)
    page = client.get(url).content.decode()
    assert "Missed rate" in page and "≤ 5.0%" in page
    bad = client.post(url, {"figure": "chats_missed.missed_rate", "team": "", "direction": "", "target": "150"})
    assert bad.status_code == 200 and "A percentage goal is between 0 and 100." in bad.content.decode()
    edit = reverse("settings_goal_edit", kwargs={"org_slug": org.slug, "goal_id": goal.pk})
    assert client.post(edit, {"figure": "chats_missed.missed_rate", "team": "", "direction": "at_most",
                              "target": "4"}).status_code == 302
    goal.refresh_from_db()
    assert goal.target == 4.0
    delete = reverse("settings_goal_delete", kwargs={"org_slug": org.slug, "goal_id": goal.pk})
    assert "Remove the goal" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not Goal.objects.for_org(org).exists()


def test_another_organizations_goal_is_404(org, other_org, member_factory, week):
    theirs = goal_create(organization=other_org, actor=None, metric="csat", target=85)
    client = client_for(member_factory(org, role=Role.OWNER))
    for name in ("settings_goal_edit", "settings_goal_delete"):
        url = reverse(name, kwargs={"org_slug": org.slug, "goal_id": theirs.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"figure": "csat", "target": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.target == 85.0
