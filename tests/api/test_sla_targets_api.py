"""``/api/v1/sla-targets/``: list, create, retrieve, PATCH, DELETE with the API key's scopes;
the service's messages per field in the one error shape; another organization's id is 404;
each write is audited (signed by the key) and marks the affected local days dirty.

Organization "acme", Europe/Helsinki (UTC+2 in March). One chat requested 2026-03-05 23:30 UTC,
01:30 on 2026-03-06 in Helsinki: a chat target marks that local day only.
"""

import datetime as dt

import pytest

from accounts.models import ApiKey, AuditKind, AuditLogEntry
from reports.models import DirtyDay, SlaTarget
from tests.factories import ChatFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/sla-targets/"
CHAT_DAY = dt.date(2026, 3, 6)


def detail(target_id):
    return f"{LIST}{target_id}/"


def dirty_days(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


def sla_audit(org):
    """The SLA target rows of the log (creating the test's key wrote one too)."""
    return AuditLogEntry.objects.for_org(org).filter(kind__startswith="sla_target.")


def target_of(org, **fields):
    return SlaTarget.objects.for_org(org).create(organization=org, **{"metric": "chat_first_response",
                                                                      "target_seconds": 60, **fields})


@pytest.fixture
def chat(org):
    return ChatFactory(organization=org, channel="chat", requested_at=dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC))


def test_create_retrieve_change_and_delete_each_audited_and_marking_the_chats_day(org, api_client, chat):
    response = api_client.post(LIST, {"measure": "chat_first_response", "target_seconds": 90, "business_hours": True},
                               format="json")
    assert response.status_code == 201
    body = response.json()
    target = SlaTarget.objects.for_org(org).get()
    assert body == {"id": target.pk, "measure": "chat_first_response", "channel": None, "priority": None,
                    "target_seconds": 90, "business_hours": True,
                    "description": "Chat first response, any channel ≤ 1 min 30 sec (business hours)"}
    assert dirty_days(org) == {CHAT_DAY}
    assert api_client.get(detail(target.pk)).json() == body

    DirtyDay.objects.for_org(org).delete()
    response = api_client.patch(detail(target.pk), {"target_seconds": 120, "channel": "chat"}, format="json")
    assert response.status_code == 200
    assert (response.json()["target_seconds"], response.json()["channel"], response.json()["business_hours"]) == (
        120, "chat", True)
    assert dirty_days(org) == {CHAT_DAY}

    DirtyDay.objects.for_org(org).delete()
    response = api_client.delete(detail(target.pk))
    assert response.status_code == 204 and not response.content
    assert not SlaTarget.objects.for_org(org).exists()
    assert dirty_days(org) == {CHAT_DAY}
    assert api_client.get(detail(target.pk)).status_code == 404

    key = ApiKey.objects.for_org(org).get()
    rows = list(sla_audit(org).order_by("pk").values_list("kind", "actor", "actor_email",
                                                                              "changes"))
    by_key = f"API key “{key.name}” ({key.prefix})"
    assert rows == [
        (AuditKind.SLA_TARGET_CREATED, None, by_key, {
            "metric": [None, "chat_first_response"], "channel": [None, ""], "priority": [None, ""],
            "target_seconds": [None, 90], "business_hours": [None, True]}),
        (AuditKind.SLA_TARGET_UPDATED, None, by_key, {"channel": ["", "chat"], "target_seconds": [90, 120]}),
        (AuditKind.SLA_TARGET_DELETED, None, by_key, {
            "metric": ["chat_first_response", None], "channel": ["chat", None], "priority": ["", None],
            "target_seconds": [120, None], "business_hours": [True, None]}),
    ]


def test_the_list_has_the_keys_own_targets_in_id_order(org, other_org, api_client):
    first = target_of(org, metric="ticket_resolution", priority="urgent", target_seconds=3600)
    second = target_of(org)
    target_of(other_org, metric="chat_wait")
    response = api_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert [(r["id"], r["measure"], r["priority"]) for r in body["results"]] == [
        (first.pk, "ticket_resolution", "urgent"), (second.pk, "chat_first_response", None)]
    assert body["next"] is None


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_organizations_target_is_the_same_404_as_a_missing_one(method, org, other_org, api_client):
    theirs = target_of(other_org, target_seconds=30)
    response = getattr(api_client, method)(detail(theirs.pk), {"target_seconds": 5}, format="json")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": []}}
    missing = getattr(api_client, method)(detail(theirs.pk + 1000), {"target_seconds": 5}, format="json")
    assert missing.json() == response.json()
    assert SlaTarget.objects.for_org(other_org).get().target_seconds == 30
    assert not AuditLogEntry.objects.for_org(other_org).exists()


def test_an_overlapping_target_is_400_naming_the_clash(org, api_client, chat):
    target_of(org, channel="chat")
    response = api_client.post(LIST, {"measure": "chat_first_response", "channel": "chat", "target_seconds": 30},
                               format="json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": "The request is invalid.", "details": [
        {"message": "This target overlaps the existing target “Chat first response, Chat ≤ 1 min "
                    "(calendar hours)” (the same measure, channel and priority): change that one instead."}]}}
    assert SlaTarget.objects.for_org(org).count() == 1
    assert dirty_days(org) == set() and not sla_audit(org).exists()


@pytest.mark.parametrize("body,details", [
    ({"measure": "chat_speed", "target_seconds": 60},
     [{"field": "measure", "message": "Choose one of the measures: chat_first_response, chat_wait, "
                                      "ticket_first_response, ticket_resolution."}]),
    ({"measure": "chat_first_response", "priority": "high", "target_seconds": 60},
     [{"field": "priority", "message": "Chats have no priority: leave the priority empty for a chat measure."}]),
    ({"measure": "ticket_resolution", "channel": "fax", "target_seconds": 0},
     [{"field": "channel", "message": "“fax” is not a channel: use one of chat, email, phone, social, web, other, "
                                      "or leave it empty for any channel."},
      {"field": "target_seconds", "message": "Give a target between 1 second and 366 days."}]),
    ({"measure": "ticket_resolution"},
     [{"field": "target_seconds", "message": "Give a target between 1 second and 366 days."}]),
    ({"measure": "ticket_resolution", "target_seconds": "soon"},
     [{"field": "target_seconds", "message": "Give the target as a whole number of seconds."}]),
    ({"metric": "ticket_resolution", "target_seconds": 60},
     [{"field": "metric", "message": "Unknown field “metric”: the fields are measure, channel, priority, "
                                     "target_seconds, business_hours."}]),
    ([{"measure": "chat_wait"}], [{"message": "The body must be a JSON object with the target's fields."}]),
])
def test_bad_bodies_are_400_per_field_with_the_services_messages(body, details, org, api_client):
    response = api_client.post(LIST, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == details
    assert not SlaTarget.objects.for_org(org).exists() and not sla_audit(org).exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("segment", ["null,null", "-1", "1.5", "99999999999999999999999", "٣"])
def test_an_id_that_is_no_id_is_a_json_404(method, segment, org, api_client):
    response = getattr(api_client, method)(detail(segment), {"target_seconds": 5}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_bad_patch_changes_nothing(org, api_client):
    target = target_of(org, metric="ticket_first_response")
    target_of(org, metric="ticket_first_response", priority="urgent", target_seconds=30)
    response = api_client.patch(detail(target.pk), {"priority": "urgent", "target_seconds": 10}, format="json")
    assert response.status_code == 400
    assert "overlaps the existing target “Ticket first response, any channel, Urgent ≤ 30 sec" in (
        response.json()["error"]["details"][0]["message"])
    target.refresh_from_db()
    assert (target.priority, target.target_seconds) == ("", 60)
    assert not sla_audit(org).exists()


def test_null_or_empty_channel_and_priority_mean_any(org, api_client):
    response = api_client.post(LIST, {"measure": "ticket_resolution", "channel": None, "priority": "",
                                      "target_seconds": 60}, format="json")
    assert response.status_code == 201
    assert SlaTarget.objects.for_org(org).values_list("channel", "priority").get() == ("", "")


@pytest.mark.parametrize("method,path", [("post", LIST), ("patch", "detail"), ("delete", "detail")])
def test_a_read_only_key_cannot_write(method, path, org, api_client_for):
    target = target_of(org)
    client = api_client_for(org, scopes={"read"})
    response = getattr(client, method)(detail(target.pk) if path == "detail" else path,
                                       {"measure": "chat_wait", "target_seconds": 5}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key does not have the “write” scope."
    assert SlaTarget.objects.for_org(org).get().target_seconds == 60
    assert SlaTarget.objects.for_org(org).count() == 1


@pytest.mark.parametrize("path", [LIST, "detail"])
def test_a_write_only_key_cannot_read_and_no_key_is_401(path, org, api_client_for):
    from rest_framework.test import APIClient

    target = target_of(org)
    url = detail(target.pk) if path == "detail" else path
    assert api_client_for(org, scopes={"write"}).get(url).status_code == 403
    response = APIClient().get(url)
    assert response.status_code == 401 and set(response.json()["error"]) == {"code", "message", "details"}


def test_put_is_not_offered(org, api_client):
    target = target_of(org)
    response = api_client.put(detail(target.pk), {"measure": "chat_wait", "target_seconds": 5}, format="json")
    assert response.status_code == 405
    assert SlaTarget.objects.for_org(org).get().metric == "chat_first_response"


def test_the_endpoints_are_in_the_schema_with_their_errors():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    collection, item = schema["paths"]["/api/v1/sla-targets/"], schema["paths"]["/api/v1/sla-targets/{id}/"]
    assert set(collection) - {"parameters"} == {"get", "post"}
    assert set(item) - {"parameters"} == {"get", "patch", "delete"}  # no PUT
    for operation in (collection["get"], collection["post"], item["get"], item["patch"], item["delete"]):
        assert operation["security"] == [{"ApiKey": []}]
        assert operation["summary"]
        assert {"401", "403", "404", "429"} <= set(operation["responses"])
    assert {"201", "400"} <= set(collection["post"]["responses"])
    assert {"200", "400"} <= set(item["patch"]["responses"])
    assert "204" in item["delete"]["responses"]
    assert {"cursor", "page_size"} <= {p["name"] for p in collection["get"]["parameters"]}
    body = collection["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["required"]) == {"measure", "target_seconds"}
