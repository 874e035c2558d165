"""Body size cap (413), per-key rate limit (429 + Retry-After), and every error in one shape."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.api.errors import BODY_TOO_LARGE, exception_handler
from accounts.api.throttling import ApiKeyRateThrottle, parse_rate

ERROR_KEYS = {"code", "message", "details"}
LIST_URL = "/api/v1/teams/"
BULK_URL = "/api/v1/teams/bulk"


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.django_db
@override_settings(API_MAX_BODY_BYTES=200)
def test_a_body_over_the_cap_is_413_before_anything_reads_it(api_client):
    items = [{"external_id": f"t-{i}", "name": f"Team {i}"} for i in range(10)]
    assert len(json.dumps({"items": items})) > 200
    error = _error(api_client.post(BULK_URL, {"items": items}, format="json"), 413, "request_too_large")
    assert error["message"] == str(BODY_TOO_LARGE % {"limit": 200})


@pytest.mark.django_db
@override_settings(API_MAX_BODY_BYTES=200)
def test_the_cap_applies_to_the_api_only(client):
    # A page form post of the same size is not the API's business (Django's own limit applies).
    response = client.post("/accounts/login/", {"username": "x" * 300, "password": "y"})
    assert response.status_code == 200


def test_django_refusing_a_large_body_is_also_413_in_the_error_shape():
    response = exception_handler(RequestDataTooBig(), {})
    assert response.status_code == 413
    assert response.data["error"]["code"] == "request_too_large"


def test_the_default_cap_fits_a_full_batch_of_chats_with_messages(settings):
    """1,000 chats with 40 messages each is about 2.8 MB of JSON: more than Django's default
    upload limit (2.5 MiB), well under the 10 MiB cap."""
    chat = {
        "external_id": "chat-0000001", "requested_at": "2026-03-02T10:00:00+02:00",
        "accepted_at": "2026-03-02T10:00:20+02:00", "ended_at": "2026-03-02T10:20:00+02:00",
        "agent": "agent-0001", "team": "team-01", "customer": "customer-0000001", "channel": "chat",
        "outcome": "resolved", "tags": ["billing", "refund"], "page_url": "https://acme.test/pricing",
        "messages": [
            {"author": "visitor" if i % 2 else "agent", "sent_at": f"2026-03-02T10:{i:02d}:00+02:00"} for i in range(40)
        ],
    }
    size = len(json.dumps({"items": [chat] * 1000}))
    assert 2.5 * 1024 * 1024 < size < settings.API_MAX_BODY_BYTES == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 10 * 1024 * 1024


def test_rates_parse_by_the_first_letter_of_the_period():
    assert parse_rate("1200/min") == (1200, 60)
    assert parse_rate("5/s") == (5, 1)
    assert parse_rate("100/hour") == (100, 3600)


@pytest.fixture
def frozen_clock(monkeypatch):
    now = {"t": 1_000_030.0}  # 30 s into a minute window that ends at 1_000_080
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: now["t"]))
    return now


@pytest.mark.django_db
@override_settings(API_THROTTLE_RATE="2/min")
def test_the_third_request_in_a_minute_is_429_with_retry_after(org, api_client_for, frozen_clock):
    client, other_key = api_client_for(org), api_client_for(org)
    assert client.get(LIST_URL).status_code == 200
    assert client.get(LIST_URL).status_code == 200

    response = client.get(LIST_URL)

    _error(response, 429, "throttled")
    assert response["Retry-After"] == "50"
    assert other_key.get(LIST_URL).status_code == 200, "the limit is per API key"
    frozen_clock["t"] += 50  # the next window
    assert client.get(LIST_URL).status_code == 200


@pytest.mark.django_db
@override_settings(API_THROTTLE_RATE="")
def test_an_empty_rate_turns_the_limit_off(api_client, frozen_clock):
    assert all(api_client.get(LIST_URL).status_code == 200 for _ in range(5))


@pytest.mark.django_db
def test_401_and_403_are_in_the_error_shape(org, api_client_for):
    _error(APIClient().get(LIST_URL), 401, "not_authenticated")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer hm_nope_nope")
    _error(bad.get(LIST_URL), 401, "authentication_failed")
    _error(api_client_for(org, scopes={"write"}).get(LIST_URL), 403, "permission_denied")
    _error(api_client_for(org, scopes={"read"}).post(BULK_URL, {"items": []}, format="json"), 403, "permission_denied")


@pytest.mark.django_db
def test_404_405_and_415_are_in_the_error_shape(api_client):
    _error(api_client.get("/api/v1/teams/nope/"), 404, "not_found")
    _error(api_client.get("/api/nothing-here"), 404, "not_found")
    strict = Client(enforce_csrf_checks=True)  # as a browser-less caller without a CSRF cookie
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        _error(strict.generic(method, "/api/v1/nothing-here/", "{}", content_type="application/json"), 404, "not_found")
    _error(api_client.put(LIST_URL, {}, format="json"), 405, "method_not_allowed")
    _error(api_client.post(BULK_URL, "name=x", content_type="text/plain"), 415, "unsupported_media_type")
