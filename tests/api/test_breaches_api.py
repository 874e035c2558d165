"""GET /api/v1/metrics/sla-breaches/: the breaches behind sla_compliance, in cursor pages.

The data is tests/reports/test_breaches.py's hand-built day (its docstring works out every row).
"""

import base64
import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest

from reports.breaches import MEASURE_IDS
from reports.metrics.service import MAX_RANGE_DAYS
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, ChatFactory
from tests.reports.dataset import MONDAY, local
from tests.reports.test_breaches import build

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/sla-breaches/"
RANGE = {"from": "2026-03-02", "to": "2026-03-04"}


@pytest.fixture
def data(org, other_org):
    built = build(org)
    build(other_org)
    return built


def get_all(client, params) -> list[dict]:
    """Every row, following `next`."""
    rows, response = [], client.get(URL, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def test_rows_are_listed_oldest_first_with_the_documented_fields(api_client, data):
    body = api_client.get(URL, {"measure": "chat_first_response", **RANGE}).json()
    assert [r["conversation"] for r in body["results"]] == ["ch-slow-frt", "ch-slow-wait", "ch-late", "ch-early"]
    assert body["next"] is None and body["previous"] is None
    assert body["results"][2] == {
        "measure": "chat_first_response", "conversation_type": "chat", "conversation": "ch-late",
        "agent": "a1", "agent_name": "Aino", "team": "t2", "team_name": "Tier 2", "channel": "chat",
        "priority": None, "at": "2026-03-02T23:59:30+02:00", "day": "2026-03-02",
        "actual_seconds": 90.0, "target_seconds": 60, "over_seconds": 30.0,
    }
    assert body["results"][3]["at"] == "2026-03-03T00:00:30+02:00" and body["results"][3]["day"] == "2026-03-03"


def test_ticket_rows_carry_priority_and_count_on_the_day_of_their_measure(api_client, data):
    rows = api_client.get(URL, {"measure": "ticket_resolution", **RANGE}).json()["results"]
    assert [(r["conversation"], r["conversation_type"], r["priority"], r["day"], r["target_seconds"]) for r in rows] == [
        ("tk-1", "ticket", "high", "2026-03-02", 7200), ("tk-4", "ticket", "low", "2026-03-04", 86400)]
    assert rows[0]["at"] == "2026-03-02T12:00:00+02:00"


def test_every_measure_lists_as_many_rows_as_the_metrics_api_counts_breached(api_client, org, data):
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=1), last=MONDAY + dt.timedelta(days=3))
    for params in (RANGE, {"from": "2026-03-02", "to": "2026-03-02"}, {"from": "2026-03-03", "to": "2026-03-04"}):
        metrics = api_client.get("/api/v1/metrics/", {"metrics": "sla_compliance", "compare": "none", **params}).json()
        breached = {m["measure"]: m["breached"] for m in metrics["metrics"]["sla_compliance"]["measures"]}
        assert set(breached) == set(MEASURE_IDS)
        for measure, expected in breached.items():
            rows = get_all(api_client, {"measure": measure, "page_size": 1, **params})
            assert len(rows) == expected, (measure, params)
    assert breached["ticket_resolution"] == 1  # the last range still has something to compare


@pytest.mark.parametrize(("params", "expected"), [
    ({"measure": "chat_first_response", "agent": "Bo"}, ["ch-slow-wait"]),
    ({"measure": "chat_first_response", "agent": "a1,a2"}, ["ch-slow-frt", "ch-slow-wait", "ch-late", "ch-early"]),
    ({"measure": "chat_first_response", "team": "t2"}, ["ch-slow-wait", "ch-late"]),
    ({"measure": "chat_wait", "channel": "social"}, ["ch-social"]),
    ({"measure": "ticket_first_response", "priority": "low"}, ["tk-4"]),
    ({"measure": "ticket_resolution", "priority": "high,low", "team": "Tier 1"}, ["tk-1"]),
])
def test_filters(api_client, data, params, expected):
    rows = api_client.get(URL, {**RANGE, **params}).json()["results"]
    assert [r["conversation"] for r in rows] == expected


def test_pages_cover_every_row_once_even_when_times_tie(api_client, org, data):
    agent = data["a1"]
    for i in range(5):  # five breaches at the very same instant
        ChatFactory(organization=org, agent=agent, external_id=f"tie-{i}", requested_at=local(MONDAY, 18),
                    accepted_at=local(MONDAY, 18), first_response_at=local(MONDAY, 18, 5))
    params = {"measure": "chat_first_response", **RANGE}
    everything = [r["conversation"] for r in api_client.get(URL, params).json()["results"]]
    assert len(everything) == 9
    for size in (1, 2, 4):
        paged = [r["conversation"] for r in get_all(api_client, {**params, "page_size": size})]
        assert paged == everything, size
    # And back again.
    first = api_client.get(URL, {**params, "page_size": 4}).json()
    second = api_client.get(first["next"]).json()
    assert [r["conversation"] for r in api_client.get(second["previous"]).json()["results"]] == everything[:4]


@pytest.mark.parametrize("cursor", [
    "not-a-cursor",
    base64.b64encode(b"p=yesterday").decode(),  # decodes, but its position is not a time
])
def test_a_bad_cursor_is_404(api_client, data, cursor):
    response = api_client.get(URL, {"measure": "chat_wait", **RANGE, "cursor": cursor})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_cursor_names_a_time_in_utc(api_client, data):
    body = api_client.get(URL, {"measure": "chat_first_response", **RANGE, "page_size": 1}).json()
    cursor = parse_qs(urlparse(body["next"]).query)["cursor"][0]
    assert parse_qs(base64.b64decode(cursor).decode())["p"] == ["2026-03-02 09:00:00+00:00"]  # ch-slow-frt, 11:00 local


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"from": "2026-03-01", "to": "2026-03-02"}, "measure", "This field is required."),
    ({"measure": "nope", "from": "2026-03-01", "to": "2026-03-02"}, "measure",
     "Unknown measure “nope”: use one of chat_first_response, chat_wait, ticket_first_response, ticket_resolution."),
    ({"measure": "chat_wait", "to": "2026-03-02"}, "from", "This field is required."),
    ({"measure": "chat_wait", "from": "March", "to": "2026-03-02"}, "from", "Date has wrong format"),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": "2026-02-30"}, "to", "Date has wrong format"),
    ({"measure": "chat_wait", "from": "2026-03-05", "to": "2026-03-02"}, "from", "“from” must not be after “to”."),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": (dt.date(2026, 3, 1) + dt.timedelta(days=MAX_RANGE_DAYS)).isoformat()},
     "to", f"The range is longer than {MAX_RANGE_DAYS} days."),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": "2026-03-02", "agent": "nobody"}, "agent", "Unknown agent “nobody”."),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": "2026-03-02", "team": "nobody"}, "team", "Unknown team “nobody”."),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": "2026-03-02", "channel": "fax"}, "channel", "Unknown channel “fax”."),
    ({"measure": "ticket_resolution", "from": "2026-03-01", "to": "2026-03-02", "priority": "asap"}, "priority",
     "Unknown priority “asap”."),
    ({"measure": "chat_wait", "from": "2026-03-01", "to": "2026-03-02", "priority": "high"}, "priority",
     "Only ticket measures have a priority; “chat_wait” is a chat measure."),
])
def test_bad_questions_are_400_naming_the_parameter(api_client, data, params, field, message):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert len(error["details"]) == 1 and error["details"][0]["field"] == field
    assert error["details"][0]["message"].startswith(message)


@pytest.mark.parametrize("start, end, field", [
    ("0001-01-01", "0001-12-31", "from"), ("9999-01-01", "9999-12-31", "from"), ("2026-03-01", "9999-12-31", "to"),
])
def test_days_outside_the_report_window_are_a_400_naming_the_field(api_client, data, start, end, field):
    # The metrics service's range rules (one check for every report read): 1970-01-01 to 2099-12-31.
    response = api_client.get(URL, {"measure": "chat_wait", "from": start, "to": end})
    assert response.status_code == 400
    detail, = response.json()["error"]["details"]
    assert detail == {"field": field, "message": "Must be a day from 1970-01-01 to 2099-12-31."}


def test_a_read_only_key_reads_and_a_write_only_key_or_no_key_do_not(org, api_client_for, data):
    params = {"measure": "chat_wait", **RANGE}
    assert len(api_client_for(org, scopes={"read"}).get(URL, params).json()["results"]) == 2
    response = api_client_for(org, scopes={"write"}).get(URL, params)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    from rest_framework.test import APIClient

    assert APIClient().get(URL, params).status_code == 401


def test_another_organizations_agent_is_unknown(api_client, other_org, data):
    AgentFactory(organization=other_org, external_id="only-theirs")
    response = api_client.get(URL, {"measure": "chat_wait", **RANGE, "agent": "only-theirs"})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [{"field": "agent", "message": "Unknown agent “only-theirs”."}]


def test_the_operation_is_documented_with_an_example_and_the_error_shape():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][URL]["get"]
    assert operation["security"] == [{"ApiKey": []}] and operation["summary"]
    assert "oldest first" in operation["description"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"measure", "from", "to", "agent", "team", "channel", "priority", "cursor", "page_size"} <= set(params)
    assert params["measure"]["required"] and params["measure"]["schema"]["enum"] == list(MEASURE_IDS)
    ok = operation["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/PaginatedSlaBreachList"}
    example = next(iter(ok["examples"].values()))["value"]["results"][0]
    assert set(example) == set(schema["components"]["schemas"]["SlaBreach"]["properties"])
    for status in ("400", "401", "403", "404", "429"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
