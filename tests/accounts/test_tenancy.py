import pytest

from accounts.tenancy import MissingOrganizationError
from chats.models import Chat, Tag
from tests.factories import ChatFactory, TagFactory


def test_fail_closed_manager_raises_without_an_organization(org):
    ChatFactory(organization=org)
    with pytest.raises(MissingOrganizationError, match=r"Chat\.objects\.for_org"):
        list(Chat.objects.all())
    with pytest.raises(MissingOrganizationError):
        Chat.objects.filter(external_id="x")
    with pytest.raises(MissingOrganizationError):
        Chat.objects.count()
    with pytest.raises(MissingOrganizationError):
        Chat.objects.for_org(None)


def test_for_org_sees_only_that_organization(org, other_org):
    mine = ChatFactory(organization=org)
    ChatFactory(organization=other_org)
    assert list(Chat.objects.for_org(org)) == [mine]
    assert Chat.objects.for_org(org.pk).count() == 1
    assert Chat.unscoped.count() == 2


def test_create_through_for_org_stays_in_that_organization(org, other_org):
    tag = Tag.objects.for_org(org).create(name="billing")
    assert tag.organization_id == org.pk
    with pytest.raises(MissingOrganizationError):
        Tag.objects.for_org(org).create(name="x", organization=other_org)


def test_factories_keep_children_in_the_parent_organization(other_org):
    chat = ChatFactory(organization=other_org)
    assert chat.agent.organization_id == other_org.pk
    assert chat.agent.team.organization_id == other_org.pk
    assert TagFactory(organization=other_org).organization_id == other_org.pk
