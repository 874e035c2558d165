import pytest
from django.test import Client

from accounts.models import Membership, Role


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(org, member_factory):
    return member_factory(org, role=Role.OWNER)


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def org_admin(org, member_factory):
    return member_factory(org, role=Role.ADMIN)


@pytest.fixture
def org_admin_client(org_admin):
    return client_for(org_admin)


def membership_of(org, user) -> Membership:
    return Membership.objects.for_org(org).get(user=user)
