"""The server-rendered account pages: log in and out, password reset and change, the home
redirect and chooser, the organization switcher, and the organization home's two states."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Agent, Role
from tests.factories import (
    DEFAULT_PASSWORD,
    AgentFactory,
    ChatFactory,
    MembershipFactory,
    SurveyAnswerFactory,
    TicketFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LOGIN_ERROR = "Your e-mail address and password didn't match."


def org_home_url(org):
    return reverse("org_home", kwargs={"org_slug": org.slug})


def test_a_member_logs_in_with_email_and_password_and_lands_on_the_org_home(org, member_factory, client):
    user = member_factory(org, role=Role.MANAGER)

    response = client.post(
        reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1] == (org_home_url(org), 302)
    assert response.status_code == 200
    assert response.context["organization"] == org
    assert response.context["user"] == user


def test_the_email_is_matched_case_insensitively_at_log_in(org, member_factory, client):
    user = member_factory(org, role=Role.MANAGER)
    response = client.post(reverse("login"), {"username": f"  {user.email.upper()} ", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_password_shows_the_error_and_does_not_log_in(org, member_factory, client):
    user = member_factory(org, role=Role.MANAGER)

    response = client.post(reverse("login"), {"username": user.email, "password": "wrong-password"})

    assert response.status_code == 200
    assert LOGIN_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_saved_language_preference_is_applied_at_log_in(org, member_factory, client):
    user = member_factory(org, role=Role.MANAGER)
    user.language = "fi"
    user.save(update_fields=["language"])

    response = client.post(reverse("login"), {"username": user.email, "password": DEFAULT_PASSWORD})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fi"


def test_the_language_selector_lists_every_language_and_switches(client):
    page = client.get(reverse("login")).content.decode()
    for code, _name in settings.LANGUAGES:
        assert f'<option value="{code}"' in page

    response = client.post(reverse("set_language"), {"language": "fi", "next": reverse("login")})

    assert response.status_code == 302
    assert client.get(reverse("login")).content.decode().count('<html lang="fi">') == 1


def test_anonymous_home_goes_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_redirects_a_one_org_user_to_their_org(org, member_factory, client):
    client.force_login(member_factory(org, role=Role.VIEWER))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == org_home_url(org)


def test_home_shows_a_chooser_to_a_multi_org_user(org, other_org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    MembershipFactory(organization=other_org, user=user, role=Role.ADMIN)
    client.force_login(user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert [m.organization for m in response.context["memberships"]] == [org, other_org]
    page = response.content.decode()
    assert org_home_url(org) in page and org_home_url(other_org) in page


def test_home_returns_to_the_last_org_visited_but_choose_shows_the_chooser(org, other_org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    MembershipFactory(organization=other_org, user=user, role=Role.VIEWER)
    client.force_login(user)
    client.get(org_home_url(other_org))

    assert client.get(reverse("home"))["Location"] == org_home_url(other_org)
    assert client.get(reverse("home") + "?choose=1").status_code == 200


def test_the_switcher_lists_both_orgs_and_marks_the_current_one(org, other_org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    MembershipFactory(organization=other_org, user=user, role=Role.AGENT)
    client.force_login(user)

    page = client.get(org_home_url(other_org)).content.decode()

    switcher = page[page.index('class="menu switcher"'):page.index("</details>")]
    assert f'href="{org_home_url(org)}"' in switcher
    current = re.search(r'<a role="menuitem" href="([^"]+)" aria-current="true"', switcher)
    assert current and current.group(1) == org_home_url(other_org)
    assert "Agent" in switcher and "Viewer" in switcher


def test_a_one_org_user_has_no_switcher(org, manager_client):
    page = manager_client.get(org_home_url(org)).content.decode()
    assert 'class="menu switcher"' not in page
    assert "Acme" in page


def test_logout_requires_post(org, manager_client):
    assert manager_client.get(reverse("logout")).status_code == 405
    assert manager_client.get(org_home_url(org)).status_code == 200

    response = manager_client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert manager_client.get(org_home_url(org)).status_code == 302


def test_every_page_has_a_post_logout_form_for_a_logged_in_user(org, manager_client):
    page = manager_client.get(org_home_url(org)).content.decode()
    assert f'<form method="post" action="{reverse("logout")}"' in page


def test_password_reset_sends_a_working_link(org, member_factory, client, mailoutbox):
    user = member_factory(org, role=Role.MANAGER)

    response = client.post(reverse("password_reset"), {"email": user.email})

    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [user.email]
    assert mail.subject == "Reset your Helpdesk metrics password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)

    # Django swaps the token for a session marker and redirects to a "set-password" URL.
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": "a-new-Passw0rd-2026", "new_password2": "a-new-Passw0rd-2026"})
    assert done["Location"] == reverse("password_reset_complete")

    user.refresh_from_db()
    assert user.check_password("a-new-Passw0rd-2026")
    assert not user.check_password(DEFAULT_PASSWORD)
    # The link works once.
    assert client.get(link, follow=True).context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(client, mailoutbox, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_password_reset_pages_use_our_look_not_the_admin(client):
    for name in ["password_reset", "password_reset_done", "password_reset_complete"]:
        page = client.get(reverse(name)).content.decode()
        assert "css/app.css" in page, name
        assert "admin/css" not in page, name
    bad_link = client.get(reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "x-y"}))
    assert bad_link.context["validlink"] is False
    assert "doesn't work any more" in bad_link.content.decode()


def test_a_logged_in_user_changes_their_password(org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    client.force_login(user)
    assert "css/app.css" in client.get(reverse("password_change")).content.decode()

    wrong = client.post(reverse("password_change"), {
        "old_password": "not-it", "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026",
    })
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["old_password"]

    response = client.post(reverse("password_change"), {
        "old_password": DEFAULT_PASSWORD, "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026",
    })
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("Another-pass-2026")
    # Still logged in after the change.
    assert client.get(org_home_url(org)).status_code == 200


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


class TestOrgHome:
    def test_an_empty_org_explains_how_to_send_data_to_an_admin(self, org, role_client):
        response = role_client(Role.ADMIN).get(org_home_url(org))

        assert response.context["organization"] == org
        assert response.context["membership"].role == Role.ADMIN
        assert response.context["inventory"]["chats"] == 0
        assert response.context["has_data"] is False
        page = response.content.decode()
        assert "No helpdesk data yet" in page
        assert "manage.py create_api_key --org acme --name loader --scope read,write" in page
        assert "http://testserver/api/v1/chats/bulk" in page
        assert "manage.py import_data --org acme --entity chats FILE" in page
        assert f'href="{reverse("api_docs")}"' in page

    def test_a_viewer_does_not_see_the_api_key_instructions(self, org, role_client):
        page = role_client(Role.VIEWER).get(org_home_url(org)).content.decode()
        assert "No helpdesk data yet" in page
        assert "create_api_key" not in page
        assert "An owner or admin of your organization connects the data." in page

    def test_a_manager_does_not_see_them_either(self, org, role_client):
        assert "create_api_key" not in role_client(Role.MANAGER).get(org_home_url(org)).content.decode()

    def test_an_org_with_data_shows_the_inventory(self, org, other_org, role_client):
        agent = AgentFactory(organization=org)
        ChatFactory.create_batch(3, organization=org, agent=agent)
        TicketFactory(organization=org, agent=agent)
        SurveyAnswerFactory(organization=org)
        ChatFactory(organization=other_org)  # another org's data counts nowhere here

        response = role_client(Role.VIEWER).get(org_home_url(org))

        assert response.context["has_data"] is True
        inventory = response.context["inventory"]
        assert (inventory["chats"], inventory["tickets"], inventory["survey_answers"], inventory["agents"]) == (3, 1, 1, 1)
        page = response.content.decode()
        assert "No helpdesk data yet" not in page
        assert re.search(r'data-key="chats">\s*<div class="stat-value">3</div>\s*<div class="stat-label">Chats</div>', page)
        assert "Europe/Helsinki" in page

    def test_inventory_counts_are_grouped_in_the_readers_locale(self, org, role_client):
        Agent.unscoped.bulk_create(
            [Agent(organization=org, external_id=f"a-{i}", name=f"Agent {i}") for i in range(1234)]
        )
        client = role_client(Role.VIEWER)
        stat = r'data-key="agents">\s*<div class="stat-value">{}</div>'

        assert re.search(stat.format("1,234"), client.get(org_home_url(org)).content.decode())
        client.post(reverse("set_language"), {"language": "fi"})
        page = client.get(org_home_url(org)).content.decode()
        assert '<html lang="fi">' in page
        assert re.search(stat.format("1\xa0234"), page)

    def test_an_agent_sees_their_note_and_not_the_org_inventory(self, org, role_client):
        ChatFactory(organization=org)
        page = role_client(Role.AGENT).get(org_home_url(org)).content.decode()
        assert "Your own figures (your chats, response times and ratings) will appear here." in page
        assert "Data in this organization" not in page
        assert "create_api_key" not in page

    def test_an_agent_in_an_empty_org_sees_their_note_too(self, org, role_client):
        page = role_client(Role.AGENT).get(org_home_url(org)).content.decode()
        assert "will appear here once your team" in page
        assert "No helpdesk data yet" not in page


def test_a_user_without_any_organization_is_told_what_to_do(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "You are not a member of any organization yet." in response.content.decode()


def test_pages_outside_an_org_keep_the_last_org_in_the_navigation(org, other_org, member_factory, client):
    user = member_factory(org, role=Role.VIEWER)
    MembershipFactory(organization=other_org, user=user, role=Role.VIEWER)
    client.force_login(user)
    page = client.get(reverse("password_change")).content.decode()
    assert 'class="mainnav"' not in page  # two orgs and none visited yet: no org navigation

    client.get(org_home_url(other_org))
    page = client.get(reverse("password_change")).content.decode()
    assert f'<a href="{org_home_url(other_org)}">Home</a>' in page
    assert '<span class="menu-label">Globex</span>' in page
