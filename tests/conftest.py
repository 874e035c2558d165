import pytest
from django.test import Client

from accounts.models import Role
from accounts.services import api_key_create
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _language_of_a_fresh_process():
    """Each test starts in the project's default language, as a new process does: a request of
    an earlier test in the same worker (LocaleMiddleware, a member's saved language) leaves its
    language active in the thread, which made a later command's messages come out in Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme", name="Acme", timezone="Europe/Helsinki")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(slug="globex", name="Globex", timezone="America/New_York")


@pytest.fixture
def member_factory(db):
    def make(organization, role=Role.MANAGER, **kwargs):
        return MembershipFactory(organization=organization, role=role, **kwargs).user

    return make


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def role_client(org, member_factory):
    """``role_client("viewer")``: a logged-in client for a member of ``org`` with that role."""

    def make(role: str) -> Client:
        return _client_for(member_factory(org, role=role))

    return make


@pytest.fixture
def manager(org, member_factory):
    return member_factory(org, role=Role.MANAGER)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def outsider_client(other_org, member_factory):
    """A manager of ``other_org`` only."""
    return _client_for(member_factory(other_org, role=Role.MANAGER))


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def api_client_for(db):
    """``api_client_for(org, scopes={"read"})``: a DRF test client with a fresh key of ``org``."""
    from rest_framework.test import APIClient

    def make(organization, scopes=frozenset({"read", "write"})):
        _, raw = api_key_create(organization=organization, name="test", scopes=set(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def api_client(org, api_client_for):
    return api_client_for(org)


@pytest.fixture
def a_user(db):
    return UserFactory()
