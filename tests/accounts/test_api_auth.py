import pytest
from rest_framework.test import APIClient

from accounts.api.authentication import INVALID_KEY
from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke

URL = "/api/v1/organization"


@pytest.mark.django_db
def test_a_key_acts_on_its_own_organization(org, other_org, api_client_for):
    assert api_client_for(org).get(URL).json()["slug"] == org.slug
    assert api_client_for(other_org).get(URL).json()["slug"] == other_org.slug


@pytest.mark.django_db
def test_no_key_is_401_in_the_error_shape():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer hm_deadbeef_nope", "Bearer nonsense", "Bearer a b", "Bearer hm_"])
def test_a_wrong_key_is_401(org, header):
    api_key_create(organization=org, name="k", scopes={"read"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_revoked_key_is_401(org):
    key, raw = api_key_create(organization=org, name="k", scopes={"read"})
    api_key_revoke(organization=org, key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == str(INVALID_KEY)


@pytest.mark.django_db
def test_a_write_only_key_cannot_read(org, api_client_for):
    response = api_client_for(org, scopes={"write"}).get(URL)
    assert response.status_code == 403
    assert "read" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_use_is_recorded(org, api_client_for):
    api_client_for(org).get(URL)
    assert ApiKey.objects.for_org(org).get().last_used_at is not None
