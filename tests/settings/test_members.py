import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry, Membership, Role
from accounts.services import (
    LAST_OWNER,
    ONLY_OWNERS_MANAGE_OWNERS,
    member_remove,
    member_role_change,
)
from tests.factories import AgentFactory
from tests.settings.conftest import membership_of


def edit_url(org, membership):
    return reverse("settings_member_edit", kwargs={"org_slug": org.slug, "member_id": membership.pk})


def remove_url(org, membership):
    return reverse("settings_member_remove", kwargs={"org_slug": org.slug, "member_id": membership.pk})


@pytest.mark.django_db
def test_an_admin_changes_a_role_and_the_change_is_audited(org, org_admin, org_admin_client, member_factory):
    viewer = membership_of(org, member_factory(org, role=Role.VIEWER))
    response = org_admin_client.post(edit_url(org, viewer), {"role": Role.MANAGER})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.role == Role.MANAGER
    entry = AuditLogEntry.objects.for_org(org).get()
    assert (entry.kind, entry.actor, entry.target_label, entry.changes) == (
        AuditKind.MEMBER_ROLE_CHANGED, org_admin, viewer.user.email, {"role": ["viewer", "manager"]})


@pytest.mark.django_db
def test_the_last_owner_can_be_neither_demoted_nor_removed(org, owner, owner_client):
    mine = membership_of(org, owner)
    response = owner_client.post(edit_url(org, mine), {"role": Role.ADMIN})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(LAST_OWNER)]
    response = owner_client.post(remove_url(org, mine))
    assert response.status_code == 400
    assert str(LAST_OWNER) in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER
    assert not AuditLogEntry.objects.for_org(org).exists()


@pytest.mark.django_db
def test_with_two_owners_one_may_step_down(org, owner, member_factory):
    second = membership_of(org, member_factory(org, role=Role.OWNER))
    actor = membership_of(org, owner)
    member_role_change(organization=org, actor=actor, membership=second, role=Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        member_role_change(organization=org, actor=actor, membership=actor, role=Role.ADMIN)
    assert error.value.messages == [str(LAST_OWNER)]


@pytest.mark.django_db
def test_only_owners_make_or_change_owners(org, org_admin, owner, member_factory):
    admin = membership_of(org, org_admin)
    viewer = membership_of(org, member_factory(org, role=Role.VIEWER))
    for target, role in [(viewer, Role.OWNER), (membership_of(org, owner), Role.VIEWER)]:
        with pytest.raises(ValidationError) as error:
            member_role_change(organization=org, actor=admin, membership=target, role=role)
        assert error.value.messages == [str(ONLY_OWNERS_MANAGE_OWNERS)]
    with pytest.raises(ValidationError):
        member_remove(organization=org, actor=admin, membership=membership_of(org, owner))


@pytest.mark.django_db
def test_an_admin_is_not_offered_the_owner_role(org, org_admin_client, member_factory):
    viewer = membership_of(org, member_factory(org, role=Role.VIEWER))
    form = org_admin_client.get(edit_url(org, viewer)).context["form"]
    assert Role.OWNER not in dict(form.fields["role"].choices)
    response = org_admin_client.post(edit_url(org, viewer), {"role": Role.OWNER})
    assert "Select a valid choice." in response.context["form"].errors["role"][0]


@pytest.mark.django_db
def test_removing_a_member_unlinks_their_agent_and_is_audited(org, owner, owner_client, member_factory):
    user = member_factory(org, role=Role.AGENT)
    agent = AgentFactory(organization=org, user=user, name="Aino")
    response = owner_client.post(remove_url(org, membership_of(org, user)))
    assert response.status_code == 302
    assert not Membership.objects.for_org(org).filter(user=user).exists()
    agent.refresh_from_db()
    assert agent.user is None
    entry = AuditLogEntry.objects.for_org(org).get()
    assert entry.kind == AuditKind.MEMBER_REMOVED
    assert entry.changes == {"role": ["agent", None], "agents": [["Aino"], []]}


@pytest.mark.django_db
def test_another_organizations_membership_is_a_404(org, other_org, owner_client, member_factory):
    theirs = membership_of(other_org, member_factory(other_org, role=Role.VIEWER))
    assert owner_client.get(edit_url(org, theirs)).status_code == 404
    assert owner_client.post(edit_url(org, theirs), {"role": Role.ADMIN}).status_code == 404
    assert owner_client.post(remove_url(org, theirs)).status_code == 404
    assert Membership.objects.for_org(other_org).filter(pk=theirs.pk).exists()
