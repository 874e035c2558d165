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


# --- responses sized for their use (issue 15) -------------------------------------------------

def test_groups_carry_a_summary_unless_detail_full(org, api_client, week):
    query = {"metrics": "first_response_time,chats_missed,sla_compliance", "from": "2026-03-02", "to": "2026-03-02",
             "group_by": "agent"}
    summary = api_client.get(URL, query).json()
    full = api_client.get(URL, {**query, "detail": "full"}).json()
    assert [g["key"] for g in summary["groups"]] == [g["key"] for g in full["groups"]] == ["a1", "a2"]
    for short, long in zip(summary["groups"], full["groups"], strict=True):
        frt = short["metrics"]["first_response_time"]
        assert set(frt) == {"value", "n", "p50", "p90", "low_sample"}
        assert frt["value"] == approx(long["metrics"]["first_response_time"]["value"], rel=1e-6)
        assert frt["p90"] == approx(long["metrics"]["first_response_time"]["p90"], rel=1e-6)
        assert set(short["metrics"]["chats_missed"]) == {"value", "n"}
        assert "by_reason" in long["metrics"]["chats_missed"] and "measures" in long["metrics"]["sla_compliance"]
    # The range totals are whole either way.
    assert summary["metrics"] == full["metrics"]
    assert api_client.get(URL, {**query, "detail": "all"}).status_code == 400


def test_a_year_by_hour_of_every_metric_is_bounded(org, api_client, week):
    ids = [m for m, d in REGISTRY.items() if "hour" in d.breakdowns]
    response = api_client.get(URL, {"metrics": ",".join(ids), "from": "2025-03-03", "to": "2026-03-02",
                                    "group_by": "hour"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["groups"]) == 365 * 24  # every local hour of every day
    # At most 70 bytes per metric and hour on average (the full form is ~170; 39 MB for 26 metrics).
    assert len(response.content) <= 70 * len(ids) * len(body["groups"])
    ten = next(g for g in body["groups"] if g["key"] == "2026-03-02T10:00")  # c1 alone
    assert ten["metrics"]["chats_total"] == {"value": 1, "n": 1}
    assert ten["metrics"]["first_response_time"] == {"value": 30.0, "n": 1, "p50": approx(30.0, rel=0.015),
                                                     "p90": approx(30.0, rel=0.015), "low_sample": True}


def test_the_catalogue_is_rendered_once_and_revalidated_by_etag(api_client, monkeypatch):
    from reports.api import views
    from reports.metrics.base import MetricDefinition

    views._catalogue_cache.clear()
    calls = []
    describe = MetricDefinition.describe
    monkeypatch.setattr(MetricDefinition, "describe", lambda self: calls.append(self.id) or describe(self))
    first = api_client.get(URL + "catalogue")
    assert first.status_code == 200 and len(calls) == len(REGISTRY)
    assert first["Cache-Control"] == "private, max-age=3600"
    etag = first["ETag"]
    second = api_client.get(URL + "catalogue")
    assert second.status_code == 200 and second.content == first.content and second["ETag"] == etag
    assert len(calls) == len(REGISTRY)  # served from the cache
    not_modified = api_client.get(URL + "catalogue", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified["ETag"] == etag
    assert api_client.get(URL + "catalogue", HTTP_IF_NONE_MATCH='"stale"').status_code == 200
    # Another language is its own rendering.
    finnish = api_client.get(URL + "catalogue", HTTP_ACCEPT_LANGUAGE="fi")
    assert finnish.status_code == 200 and len(calls) == 2 * len(REGISTRY)
    views._catalogue_cache.clear()


def test_the_schema_documents_the_detail_parameter():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/v1/metrics/"]["get"]
    detail = next(p for p in operation["parameters"] if p["name"] == "detail")
    assert set(detail["schema"]["enum"]) == {"summary", "full"}
