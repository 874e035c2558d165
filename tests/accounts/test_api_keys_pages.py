"""Owners and admins manage API keys in the product; nobody else sees the pages."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.api_keys_views import KEY_REVOKED
from accounts.forms import NO_SCOPE
from accounts.models import ApiKey, Role
from accounts.services import api_key_create
from tests.factories import ApiKeyFactory

ORG_URL = "/api/v1/organization"


def _urls(org, key_id):
    return {
        "list": reverse("api_key_list", kwargs={"org_slug": org.slug}),
        "create": reverse("api_key_create", kwargs={"org_slug": org.slug}),
        "revoke": reverse("api_key_revoke", kwargs={"org_slug": org.slug, "key_id": key_id}),
    }


def _bearer(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_create_a_key_that_works_and_is_shown_once(org, role, member_factory, client):
    user = member_factory(org, role=role)
    client.force_login(user)
    urls = _urls(org, 0)
    assert client.get(urls["create"]).status_code == 200

    response = client.post(urls["create"], {"name": "nightly loader", "scopes": ["read", "write"]})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["raw_key"]
    assert raw in response.content.decode()
    key = ApiKey.objects.for_org(org).get()
    assert (key.name, key.scopes, key.created_by) == ("nightly loader", ["read", "write"], user)
    assert _bearer(raw).get(ORG_URL).json()["slug"] == org.slug
    # The list names the key but never shows the secret again.
    listing = client.get(urls["list"]).content.decode()
    assert "nightly loader" in listing and key.prefix in listing and raw not in listing


@pytest.mark.django_db
def test_a_key_needs_a_name_and_at_least_one_scope(org, role_client):
    client = role_client(Role.ADMIN)
    response = client.post(_urls(org, 0)["create"], {"name": "no scopes"})
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"] == [str(NO_SCOPE)]
    assert "name" in client.post(_urls(org, 0)["create"], {"scopes": ["read"]}).context["form"].errors
    assert not ApiKey.objects.for_org(org).exists()


@pytest.mark.django_db
def test_a_read_only_key_from_the_page_cannot_write(org, role_client):
    response = role_client(Role.OWNER).post(_urls(org, 0)["create"], {"name": "reader", "scopes": ["read"]})
    assert ApiKey.objects.for_org(org).get().scopes == ["read"]
    assert _bearer(response.context["raw_key"]).post("/api/v1/teams/bulk", {"items": []}, format="json").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_revoking_asks_first_then_the_key_stops_working(org, role, role_client):
    key, raw = api_key_create(organization=org, name="old", scopes={"read"})
    client = role_client(role)
    url = _urls(org, key.pk)["revoke"]

    assert client.get(url).status_code == 200
    key.refresh_from_db()
    assert key.is_active, "GET only asks for confirmation"
    response = client.post(url, follow=True)

    key.refresh_from_db()
    assert not key.is_active
    assert str(KEY_REVOKED % {"name": "old"}) in response.content.decode()
    assert _bearer(raw).get(ORG_URL).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER, Role.AGENT])
def test_other_roles_get_404_everywhere(org, role, role_client):
    key, raw = api_key_create(organization=org, name="k", scopes={"read"})
    client = role_client(role)
    urls = _urls(org, key.pk)
    for url in urls.values():
        assert client.get(url).status_code == 404
    assert client.post(urls["create"], {"name": "sneaky", "scopes": ["read"]}).status_code == 404
    assert client.post(urls["revoke"]).status_code == 404
    key.refresh_from_db()
    assert key.is_active
    assert ApiKey.objects.for_org(org).count() == 1


@pytest.mark.django_db
def test_another_organizations_key_id_is_404_and_stays_active(org, other_org, role_client):
    foreign = ApiKeyFactory(organization=other_org)
    client = role_client(Role.OWNER)
    url = _urls(org, foreign.pk)["revoke"]

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


@pytest.mark.django_db
def test_the_list_shows_only_this_organizations_keys(org, other_org, role_client):
    ApiKeyFactory(organization=org, name="ours")
    ApiKeyFactory(organization=other_org, name="theirs")
    page = role_client(Role.ADMIN).get(_urls(org, 0)["list"])
    assert [k.name for k in page.context["keys"]] == ["ours"]
    assert "theirs" not in page.content.decode()
