"""The header: one link per section (API keys live under Settings), and each page's own
stylesheet in the document's head."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db


def header(html: str) -> str:
    return html[html.index('<nav class="mainnav"'):html.index("</nav>", html.index('<nav class="mainnav"'))]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_the_header_links_settings_not_api_keys_and_settings_links_api_keys(role, org, role_client):
    client = role_client(role)
    home = client.get(reverse("org_home", kwargs={"org_slug": org.slug})).content.decode()
    links = re.findall(r">([^<>]+)</a>", header(home))
    assert links == ["Home", "Reports", "Schedules", "Settings"]
    api_keys = reverse("api_key_list", kwargs={"org_slug": org.slug})
    assert api_keys not in header(home)
    settings = client.get(reverse("settings_home", kwargs={"org_slug": org.slug})).content.decode()
    assert f'href="{api_keys}"' in settings[settings.index('class="settings-nav"'):]


@pytest.mark.parametrize("name, css", [
    ("settings_home", "css/settings.css"), ("schedule_list", "css/schedules.css"),
    ("drilldown_chats", "css/drilldown.css"), ("report_overview", "vendor/chart.js-4.6.1/chart.umd.min.js"),
])
def test_each_page_links_its_own_assets_in_the_head(name, css, org, role_client):
    html = role_client(Role.OWNER).get(reverse(name, kwargs={"org_slug": org.slug})).content.decode()
    head, body = html.split("</head>", 1)
    assert css in head
    assert css not in body
