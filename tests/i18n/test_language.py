"""Per-person language: the header's selector and the preferences page save it; anonymous
pages follow Accept-Language."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import UNKNOWN_LANGUAGE

pytestmark = pytest.mark.django_db


def test_the_header_selector_saves_a_logged_in_persons_language(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    client.force_login(user)

    response = client.post(
        reverse("set_language"), {"language": "bg", "next": reverse("preferences")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("preferences")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bg"
    assert User.objects.get(pk=user.pk).language == "bg"


def test_the_header_selector_ignores_an_unknown_language(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    user.language = "et"
    user.save(update_fields=["language"])
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "xx"})

    assert User.objects.get(pk=user.pk).language == "et"


def test_anonymous_selector_sets_only_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "et", "next": reverse("login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "et"
    assert not User.objects.filter(language="et").exists()


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("fi-FI,fi;q=0.9", "fi"),
        ("bg", "bg"),
        ("et-EE", "et"),
        ("zh-CN,zh;q=0.9", "zh-hans"),
        ("de-DE", "en"),
    ],
)
def test_anonymous_pages_follow_accept_language(client, header, lang):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=header).content.decode()
    assert f'<html lang="{lang}">' in page


def test_the_preferences_page_saves_the_language_and_applies_it(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    client.force_login(user)
    page = client.get(reverse("preferences")).content.decode()
    assert '<option value="fi">suomi</option>' in page
    assert '<option value="zh-hans">简体中文</option>' in page

    response = client.post(reverse("preferences"), {"language": "fi"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fi"
    assert User.objects.get(pk=user.pk).language == "fi"
    assert '<html lang="fi">' in client.get(reverse("preferences")).content.decode()


def test_choosing_the_browsers_language_clears_the_saved_one(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    user.language = "bg"
    user.save(update_fields=["language"])
    client.force_login(user)

    response = client.post(reverse("preferences"), {"language": ""})

    assert User.objects.get(pk=user.pk).language == ""
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    page = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="et").content.decode()
    assert '<html lang="et">' in page


def test_an_unknown_language_is_refused(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    client.force_login(user)
    response = client.post(reverse("preferences"), {"language": "xx"})
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).language == ""
    assert "Select a valid choice." in response.content.decode()


def test_the_service_refuses_an_unknown_language(org, member_factory):
    from django.core.exceptions import ValidationError

    from accounts.services import user_set_language

    user = member_factory(org, role=Role.VIEWER)
    with pytest.raises(ValidationError) as caught:
        user_set_language(user=user, language="de")
    assert caught.value.message_dict == {"language": [str(UNKNOWN_LANGUAGE)]}


def test_the_preferences_page_needs_a_login(client):
    response = client.get(reverse("preferences"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_password_reset_email_is_in_the_accounts_language(
    org, member_factory, client, mailoutbox
):
    from django.utils import translation

    user = member_factory(org, role=Role.VIEWER)
    user.language = "et"
    user.save(update_fields=["language"])

    client.post(reverse("password_reset"), {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")

    (message,) = mailoutbox
    with translation.override("et"):
        hello = translation.gettext("Hello,")
    assert hello != "Hello,"  # the Estonian catalog is compiled (make install)
    assert message.body.startswith(hello)


def test_a_signed_in_persons_saved_language_wins_over_cookie_and_browser(org, member_factory, client):
    """Saved on another device (no cookie here), or a stale cookie: the account's language holds."""
    user = member_factory(org, role=Role.VIEWER)
    user.language = "bg"
    user.save(update_fields=["language"])
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert '<html lang="bg">' in page
    client.logout()
    assert '<html lang="fi">' in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fi").content.decode()
