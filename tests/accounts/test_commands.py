import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Organization, hash_api_key


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_org():
    run("create_org", "--slug", "acme", "--name", "Acme", "--timezone", "Europe/Helsinki")
    org = Organization.objects.get(slug="acme")
    assert (org.name, org.timezone) == ("Acme", "Europe/Helsinki")


@pytest.mark.django_db
def test_create_org_rejects_a_bad_timezone():
    with pytest.raises(CommandError, match="timezone"):
        run("create_org", "--slug", "acme", "--name", "Acme", "--timezone", "Europe/Atlantis")
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_create_api_key_prints_the_key_alone_on_its_last_line(org):
    output = run("create_api_key", "--org", org.slug, "--name", "loader", "--scope", "read,write")
    raw = output.strip().splitlines()[-1]
    key = ApiKey.objects.for_org(org).get(name="loader")
    assert key.key_hash == hash_api_key(raw)
    assert raw not in (key.key_hash, key.prefix)
    assert key.scopes == ["read", "write"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/organization").json()["slug"] == org.slug


@pytest.mark.django_db
def test_create_api_key_rejects_an_unknown_scope_and_an_unknown_org(org):
    with pytest.raises(CommandError, match="Unknown scope"):
        run("create_api_key", "--org", org.slug, "--name", "x", "--scope", "admin")
    with pytest.raises(CommandError, match="No organization"):
        run("create_api_key", "--org", "nope", "--name", "x")
    assert not ApiKey.objects.for_org(org).exists()


@pytest.mark.django_db
def test_create_member_creates_a_user_who_can_log_in(org, client):
    run("create_member", "--org", org.slug, "--email", "M@Acme.test", "--role", "manager", "--password", "s3cret-pass-99")
    membership = Membership.objects.for_org(org).get()
    assert (membership.user.email, membership.role) == ("m@acme.test", "manager")
    assert client.login(username="m@acme.test", password="s3cret-pass-99")


@pytest.mark.django_db
def test_create_member_again_changes_the_role(org):
    run("create_member", "--org", org.slug, "--email", "m@acme.test", "--role", "viewer")
    run("create_member", "--org", org.slug, "--email", "m@acme.test", "--role", "admin")
    assert list(Membership.objects.for_org(org).values_list("role", flat=True)) == ["admin"]
