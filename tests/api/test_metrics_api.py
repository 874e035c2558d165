"""GET /api/v1/metrics/ and /api/v1/metrics/catalogue (API.md "Reading")."""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import REGISTRY
from reports.snapshots import snapshots_rebuild
from tests.reports.dataset import MONDAY, build_week

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/"


@pytest.fixture
def week(org, other_org):
    build_week(org)
    build_week(other_org)  # the same shape of data in another organization, never counted
    for organization in (org, other_org):
        snapshots_rebuild(organization=organization, first=MONDAY - dt.timedelta(days=3), last=MONDAY + dt.timedelta(days=3))


def test_the_response_has_the_api_md_shape(org, api_client, week):
    response = api_client.get(URL, {"metrics": "first_response_time,csat", "from": "2026-03-02", "to": "2026-03-02"})
    assert response.status_code == 200
    body = response.json()
    assert (body["organization"], body["timezone"], body["from"], body["to"]) == ("acme", "Europe/Helsinki", "2026-03-02", "2026-03-02")
    assert body["data_as_of"] is not None
    frt = body["metrics"]["first_response_time"]
    assert frt["unit"] == "seconds"
    assert (frt["value"], frt["avg"], frt["n"]) == (approx(50.0), approx(50.0), 3)
    assert set(frt) >= {"p50", "p90", "previous", "change"}
    assert frt["previous"]["value"] is None and frt["change"] is None
    csat = body["metrics"]["csat"]
    assert (csat["unit"], csat["value"], csat["n"], csat["low_sample"]) == ("percent", approx(200 / 3), 3, True)
    assert len(csat["ci95"]) == 2


def test_groups_and_filters_by_external_id_or_name(org, api_client, week):
    body = api_client.get(URL, {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-02",
                                "group_by": "agent"}).json()
    assert {g["key"]: g["metrics"]["chats_total"]["value"] for g in body["groups"]} == {"a1": 2, "a2": 2}
    by_name = api_client.get(URL, {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-02", "agent": "Aino"})
    by_id = api_client.get(URL, {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-02", "agent": "a1"})
    assert by_name.json()["metrics"]["chats_total"]["value"] == by_id.json()["metrics"]["chats_total"]["value"] == 2


def test_another_organizations_data_is_not_visible(org, other_org, api_client_for, week):
    mine = api_client_for(org).get(URL, {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-02"}).json()
    assert mine["metrics"]["chats_total"]["value"] == 5
    assert mine["organization"] == "acme"


def test_a_filter_naming_another_organizations_agent_is_unknown(org, other_org, api_client, week):
    from accounts.models import Agent

    theirs = Agent.objects.for_org(other_org).first()
    theirs.external_id = "only-theirs"
    theirs.save()
    response = api_client.get(URL, {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-02",
                                    "agent": "only-theirs"})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [{"field": "agent", "message": "Unknown agent “only-theirs”."}]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"from": "2026-03-01", "to": "2026-03-02"}, "metrics", "This field is required."),
    ({"metrics": "nope", "from": "2026-03-01", "to": "2026-03-02"}, "metrics", "Unknown metric “nope”"),
    ({"metrics": "csat", "from": "2026-03-05", "to": "2026-03-02"}, "from", "must not be after"),
    ({"metrics": "csat", "from": "March", "to": "2026-03-02"}, "from", "Date has wrong format"),
    ({"metrics": "csat", "from": "2026-03-01", "to": "2026-03-02", "group_by": "year"}, "group_by", "not a valid choice"),
    ({"metrics": "csat", "from": "2026-03-01", "to": "2026-03-02", "group_by": "agent", "team": "x"}, "team", "Unknown team"),
    ({"metrics": "csat", "from": "2026-03-01", "to": "2026-03-02", "group_by": "agent", "channel": "chat"},
     "group_by", "not supported"),
    ({"metrics": "traffic_heatmap", "from": "2026-03-01", "to": "2026-03-02", "group_by": "day"},
     "group_by", "cannot be grouped"),
])
def test_bad_questions_are_400_naming_the_parameter(api_client, params, field, message):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(d.get("field") == field and message in d["message"] for d in error["details"]), error


def test_catalogue_lists_every_metric(api_client):
    body = api_client.get(URL + "catalogue").json()
    assert [m["id"] for m in body["metrics"]] == list(REGISTRY)
    frt = next(m for m in body["metrics"] if m["id"] == "first_response_time")
    assert frt["unit"] == "seconds" and frt["higher_is_better"] is False and "requested_at" in frt["help"]


def test_a_write_only_key_cannot_read_metrics(org, api_client_for):
    response = api_client_for(org, scopes={"write"}).get(URL + "catalogue")
    assert response.status_code == 403
