"""Hostile and unlucky input (issue 9): each class gets a clear 4xx, nothing partial is written,
and nothing that is accepted can break a later snapshot rebuild."""

import base64
import datetime as dt
import json
import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from chats.ingestion.fields import ECHO_MAX_CHARS, MAX_SECONDS, TOO_LARGE
from chats.models import AgentSession, Chat, Customer, Ticket, WebsiteTraffic
from chats.windows import OFFSET_OUT_OF_RANGE
from reports.models import DaySnapshot, DirtyDay
from reports.snapshots import snapshots_rebuild
from surveys.models import SurveyAnswer
from tests.api.test_bulk_entities import post_bulk
from tests.factories import AgentFactory, ChatFactory

UTC = dt.UTC
CHAT = {"external_id": "c-1", "requested_at": "2026-03-02T10:00:00+02:00"}


def only_detail(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"]["code"] == "invalid_items"
    (detail,) = body["error"]["details"]
    return detail


def activity_start() -> str:
    from django.utils import timezone

    return f"{timezone.now().year - 5}-01-01T00:00:00+00:00"


# -- 1. instants and dates outside their window, offsets that do not exist -----------------------

@pytest.mark.django_db
@pytest.mark.parametrize("value", [
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2000-01-01T00:00:00Z",
])
def test_chat_instants_outside_the_activity_window_are_a_400_naming_the_field(org, api_client, value):
    detail = only_detail(post_bulk(api_client, "chats", [{**CHAT, "requested_at": value}]))
    assert detail["index"] == 0 and detail["field"] == "requested_at"
    assert detail["message"].startswith(f"Must be from {activity_start()} to ")
    assert not Chat.objects.for_org(org).exists() and not DirtyDay.objects.for_org(org).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("offset", ["+23:59", "-14:01", "+14:30"])
def test_offsets_beyond_fourteen_hours_are_refused(org, api_client, offset):
    detail = only_detail(post_bulk(api_client, "chats", [{**CHAT, "accepted_at": f"2026-03-02T10:00:20{offset}"}]))
    assert detail == {"index": 0, "field": "accepted_at", "message": str(OFFSET_OUT_OF_RANGE)}


@pytest.mark.django_db
def test_the_widest_real_offsets_are_accepted(org, api_client):
    response = post_bulk(api_client, "chats", [
        {"external_id": "east", "requested_at": "2026-03-02T10:00:00+14:00"},
        {"external_id": "west", "requested_at": "2026-03-02T10:00:00-12:00"},
    ])
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("entity, item, field", [
    ("website-traffic", {"date": "0001-01-01", "visitors": 5}, "date"),
    ("website-traffic", {"date": "2000-01-01", "visitors": 5}, "date"),
    ("website-traffic", {"date": "9999-12-31", "visitors": 5}, "date"),
    ("survey-answers", {"external_id": "s", "kind": "csat", "score": 5, "answered_at": "0001-01-01T00:00:00+14:00"},
     "answered_at"),
    ("tickets", {"external_id": "t", "created_at": "2026-03-02T10:00:00Z", "resolved_at": "9999-01-01T00:00:00Z"},
     "resolved_at"),
    ("chats", {**CHAT, "messages": [{"author": "agent", "sent_at": "9999-01-01T00:00:00Z"}]}, "messages[0].sent_at"),
    ("customers", {"external_id": "cu", "acquired_at": "0001-01-01T00:00:00+14:00"}, "acquired_at"),
    ("customers", {"external_id": "cu", "acquired_at": "1969-12-31T23:59:59Z"}, "acquired_at"),
])
def test_every_entity_checks_its_instants_and_dates(org, api_client, entity, item, field):
    detail = only_detail(post_bulk(api_client, entity, [item]))
    assert detail["field"] == field and detail["message"].startswith("Must be from ")
    assert not WebsiteTraffic.objects.for_org(org).exists()
    assert not SurveyAnswer.objects.for_org(org).exists() and not Customer.objects.for_org(org).exists()
    assert not Ticket.objects.for_org(org).exists() and not DirtyDay.objects.for_org(org).exists()


@pytest.mark.django_db
def test_customer_history_goes_back_to_1970_and_reads_back(org, api_client):
    response = post_bulk(api_client, "customers", [{"external_id": "cu", "acquired_at": "1970-01-01T00:00:00Z"}])
    assert response.status_code == 200, response.json()
    listed = api_client.get("/api/v1/customers/")
    assert listed.status_code == 200 and listed.json()["results"][0]["acquired_at"].startswith("1970-01-01")


@pytest.mark.django_db
def test_one_session_cannot_span_months_of_dirty_days(org, api_client):
    AgentFactory(organization=org, external_id="a-1")
    item = {"external_id": "s-1", "agent": "a-1", "started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-03-01T00:00:00Z"}
    detail = only_detail(post_bulk(api_client, "agent-sessions", [item]))
    assert detail["field"] == "ended_at" and "31 days" in detail["message"]
    assert not AgentSession.objects.for_org(org).exists() and not DirtyDay.objects.for_org(org).exists()


# -- 2. numbers that would overflow a year's sums ------------------------------------------------

@pytest.mark.django_db
def test_durations_past_ten_years_are_refused(org, api_client):
    detail = only_detail(post_bulk(api_client, "chats", [{**CHAT, "response_time_total_s": 1e308}]))
    assert detail == {"index": 0, "field": "response_time_total_s", "message": str(TOO_LARGE % {"max": MAX_SECONDS})}


@pytest.mark.django_db
def test_the_largest_accepted_values_still_rebuild(org, api_client):
    """Two chats of one day with every number at its bound: the day's rebuild succeeds."""
    from chats.ingestion.fields import MAX_COUNT

    big = {"messages_visitor": MAX_COUNT, "messages_agent": MAX_COUNT, "response_time_total_s": MAX_SECONDS,
           "response_count": MAX_COUNT, "transfers": MAX_COUNT, "time_on_site_before_chat_s": MAX_SECONDS,
           "conversion_value": "9999999999.99", "converted_at": "2026-03-02T11:00:00+02:00"}
    response = post_bulk(api_client, "chats", [{**CHAT, **big}, {**CHAT, "external_id": "c-2", **big}])
    assert response.status_code == 200, response.json()
    snapshots_rebuild(organization=org, first=dt.date(2026, 3, 2), last=dt.date(2026, 3, 2))
    day = DaySnapshot.objects.for_org(org).get(day=dt.date(2026, 3, 2))
    assert day.chats_total == 2


# -- 4. deep JSON --------------------------------------------------------------------------------

def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.django_db
@pytest.mark.parametrize("levels", [40, 1000, 5000])
def test_deeply_nested_bodies_are_a_400(org, api_client, levels):
    body = '{"items": [{"external_id": "c-1", "requested_at": "2026-03-02T10:00:00Z", "messages": ' + deep(levels) + "}]}"
    response = api_client.post("/api/v1/chats/bulk", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "JSON nested more than 32 levels deep."
    assert not Chat.objects.for_org(org).exists()


@pytest.mark.django_db
def test_deeply_nested_scores_are_a_400(org, api_client):
    body = ('{"items": [{"external_id": "q", "agent": "a", "reviewed_at": "2026-03-02T10:00:00Z", "scores": {"x": '
            + '{"a": ' * 2000 + "1" + "}" * 2000 + "}}]}")
    response = api_client.post("/api/v1/quality-reviews/bulk", body, content_type="application/json")
    assert response.status_code == 400 and "nested" in response.json()["error"]["message"]


# -- 5. NUL in paths and parameters --------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/chats/%00/", "/api/v1/tags/%00/", "/api/v1/website-traffic/%00/"])
def test_a_nul_in_an_api_path_is_a_json_404(org, api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("url, params", [
    ("/api/v1/metrics/", {"metrics": "chats_total", "from": "2026-03-01", "to": "2026-03-31"}),
    ("/api/v1/metrics/sla-breaches/", {"measure": "chat_wait", "from": "2026-03-01", "to": "2026-03-31"}),
])
@pytest.mark.parametrize("name", ["agent", "team", "tag", "segment", "touchpoint", "channel"])
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(org, api_client, url, params, name):
    response = api_client.get(url, {**params, name: "a\x00b"})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": name, "message": "The parameter contains a NUL character."}]


@pytest.mark.django_db
def test_a_nul_in_a_page_parameter_is_a_400(org, manager_client):
    assert manager_client.get(f"/o/{org.slug}/", {"q": "\x00"}).status_code == 400
    assert manager_client.get("/admin/", {"q": "\x00"}).status_code == 400


# -- 6. extreme ranges ---------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("start, end, field", [
    ("0001-01-01", "0001-01-31", "from"), ("9999-12-01", "9999-12-31", "from"), ("2026-01-01", "9999-12-31", "to"),
    ("1969-12-31", "1970-01-31", "from"),
])
def test_metrics_for_days_outside_the_report_window_are_a_400(org, api_client, start, end, field):
    response = api_client.get("/api/v1/metrics/", {"metrics": "chats_total,csat", "from": start, "to": end})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": field, "message": "Must be a day from 1970-01-01 to 2099-12-31."}]


@pytest.mark.django_db
def test_the_edges_of_the_report_window_are_answered(org, api_client):
    for start, end in (("1970-01-01", "1970-01-31"), ("2099-12-01", "2099-12-31")):
        response = api_client.get("/api/v1/metrics/", {"metrics": "chats_total", "from": start, "to": end,
                                                      "group_by": "day"})
        assert response.status_code == 200 and response.json()["metrics"]["chats_total"]["value"] == 0


# -- 7. tampered cursors -------------------------------------------------------------------------

def cursor(position: str) -> str:
    return base64.b64encode(urlencode({"p": position}).encode()).decode()  # as DRF encodes one


@pytest.mark.django_db
@pytest.mark.parametrize("entity", [
    "teams", "agents", "customers", "purchases", "tags", "chats", "tickets", "survey-answers", "canned-responses",
    "canned-response-uses", "agent-sessions", "website-traffic", "quality-reviews",
])
@pytest.mark.parametrize("position", ["abc", "2026-13-45", "a\x00b", "2026-03-02T10:00:00+14:00\x00"])
def test_a_tampered_cursor_is_a_404_on_every_list(org, api_client, entity, position):
    ChatFactory(organization=org)
    response = api_client.get(f"/api/v1/{entity}/", {"cursor": cursor(position)})
    assert response.status_code == 404, response.content
    assert response.json()["error"] == {"code": "not_found", "message": "Invalid cursor", "details": []}


@pytest.mark.django_db
@pytest.mark.parametrize("entity", ["teams", "chats", "website-traffic"])
def test_a_well_formed_position_beyond_every_row_is_an_empty_page(org, api_client, entity):
    position = {"teams": "9" * 30, "chats": "2099-01-01 00:00:00+00:00", "website-traffic": "2099-01-01"}[entity]
    response = api_client.get(f"/api/v1/{entity}/", {"cursor": cursor(position)})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.django_db
def test_the_issue_reproducer_cursor(org, api_client):
    response = api_client.get("/api/v1/chats/?cursor=cD1hYmM%3D")
    assert response.status_code == 404 and response.json()["error"]["message"] == "Invalid cursor"


# -- 9/10. counts are true: created, updated, unchanged -------------------------------------------

@pytest.mark.django_db
def test_a_mixed_batch_counts_created_updated_and_unchanged_and_marks_only_what_changed(org, api_client):
    post_bulk(api_client, "chats", [CHAT, {"external_id": "c-2", "requested_at": "2026-03-05T10:00:00Z"}])
    DirtyDay.objects.for_org(org).delete()
    response = post_bulk(api_client, "chats", [
        CHAT,  # unchanged
        {"external_id": "c-2", "requested_at": "2026-03-05T10:00:00Z", "transfers": 1},  # updated
        {"external_id": "c-3", "requested_at": "2026-03-09T10:00:00Z"},  # created
    ])
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 1}
    marked = set(DirtyDay.objects.for_org(org).filter(fcr_only=False).values_list("day", flat=True))
    assert marked == {dt.date(2026, 3, 5), dt.date(2026, 3, 9)}


# -- 12. an unexpected failure is JSON with a request id ----------------------------------------

@pytest.mark.django_db
def test_an_api_failure_is_a_json_500_with_the_request_id_it_was_logged_under(org, api_client, settings,
                                                                               monkeypatch, caplog):
    from reports.api import views

    settings.DEBUG = False

    def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.CatalogueView, "get", broken)
    api_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="helpdesk_metrics.api"):
        response = api_client.get("/api/v1/metrics/catalogue", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "server_error" and error["request_id"] == "req-12345678"
    assert response["X-Request-ID"] == "req-12345678"
    assert any("req-12345678" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.django_db
def test_a_failure_outside_a_view_under_api_is_json_too(org, settings, monkeypatch, caplog):
    from accounts.api import http

    settings.DEBUG = False

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(http.BodySizeLimitMiddleware, "_declared_length", staticmethod(broken))
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="helpdesk_metrics.api"):
        response = client.get("/api/v1/metrics/catalogue")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error" and body["error"]["request_id"] == response["X-Request-ID"]
    assert any(response["X-Request-ID"] in r.getMessage() for r in caplog.records)


# -- 13. errors never echo a huge value ------------------------------------------------------------

@pytest.mark.django_db
def test_error_messages_cut_the_values_they_quote(org, api_client):
    huge = "x" * 1_000_000
    response = post_bulk(api_client, "chats", [{**CHAT, huge: 1, "channel": huge},
                                               {**CHAT, "external_id": "c-2", "agent": huge}])
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert [(d["index"], d["message"][:8]) for d in details] == [(0, "Unknown "), (0, "“xxxxxxx"), (1, "Unknown ")]
    for detail in details:
        assert len(detail["message"]) < 300 and len(detail.get("field", "")) <= ECHO_MAX_CHARS
    assert len(response.content) < 2_000

    metrics = api_client.get("/api/v1/metrics/", {"metrics": huge, "from": "2026-03-01", "to": "2026-03-02"})
    assert metrics.status_code == 400 and len(metrics.content) < 1_000
    grouped = api_client.get("/api/v1/metrics/", {"metrics": "chats_total", "from": "2026-03-01", "to": "2026-03-02",
                                                  "group_by": huge})
    assert grouped.status_code == 400 and len(grouped.content) < 1_000


def test_json_with_nan_is_still_refused_by_the_api():
    from io import BytesIO

    from rest_framework.exceptions import ParseError

    from accounts.api.parsers import LimitedJSONParser

    with pytest.raises(ParseError):
        LimitedJSONParser().parse(BytesIO(json.dumps({"x": float("nan")}).encode()))


@pytest.mark.django_db
def test_a_nul_in_the_api_key_is_a_401(org):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer hm_ab\x00cd_ef")
    response = client.get("/api/v1/chats/")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid or revoked API key."


@pytest.mark.django_db
@pytest.mark.parametrize("command, option", [("seed_demo", "--end-date"), ("rebuild_snapshots", "--since")])
def test_command_dates_outside_the_report_window_are_an_error_naming_the_value(org, command, option):
    from django.core.management import CommandError, call_command

    args = [option, "0001-01-01"] + (["--org", org.slug] if command == "rebuild_snapshots" else [])
    with pytest.raises(CommandError, match="“0001-01-01” is outside 1970-01-01 to 2099-12-31."):
        call_command(command, *args)
