"""API error messages follow Accept-Language: the envelope's message from our catalogs, a
field's message from DRF's or Django's own. Needs the compiled catalogs (``make install``)."""

import pytest
from django.utils import translation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]


def test_a_validation_error_is_in_the_readers_language(api_client):
    english = api_client.get("/api/v1/chats/", {"requested_after": "yesterday"}).json()["error"]
    finnish = api_client.get(
        "/api/v1/chats/", {"requested_after": "yesterday"}, HTTP_ACCEPT_LANGUAGE="fi"
    ).json()["error"]

    assert english["message"] == "The request is invalid."
    assert english["details"][0]["field"] == finnish["details"][0]["field"] == "requested_after"
    with translation.override("fi"):
        assert finnish["message"] == translation.gettext("The request is invalid.")
    assert finnish["message"] != english["message"]
    assert finnish["details"][0]["message"] != english["details"][0]["message"]


def test_not_found_is_in_the_readers_language(api_client):
    english = api_client.get("/api/v1/chats/no-such-chat/").json()["error"]
    bulgarian = api_client.get("/api/v1/chats/no-such-chat/", HTTP_ACCEPT_LANGUAGE="bg").json()[
        "error"
    ]

    assert english == {"code": "not_found", "message": "Not found.", "details": []}
    assert bulgarian["code"] == "not_found"
    with translation.override("bg"):
        assert bulgarian["message"] == translation.gettext("Not found.")
    assert bulgarian["message"] != "Not found."
