"""Tenant isolation, proven over every URL pattern (issue 14, item 1).

Two organizations hold one of every kind of object; everything of organization B carries the
marker ``zqleak`` (names, external ids, comments, e-mail addresses) and B has more chats than A, so
a leak shows either as the marker in a response or as a count that includes B's rows.

Every URL pattern of the project is walked with Django's resolver and must be covered here:

- organization pages (``/o/<slug>/…``: reports, drill-downs and their timelines, exports,
  settings, schedules): for a member of A of every role, B's URLs are 404; A's URL with B's object
  ids is 404 for GET and POST, and B's rows are unchanged afterwards; A's own pages never answer
  500 and never show the marker, nor do the CSV/XLSX exports they link to; the overview counts
  A's chats only;
- API endpoints, with a read/write key of A: lists hold A's rows only (no marker, A's count);
  B's identifiers are 404 for GET, PATCH and DELETE; bulk writes that name B's objects are
  refused or create A's own rows, never touch B's; metrics and breach lists count A's rows only;
- every other pattern is listed in ``NOT_TENANT_DATA`` with the reason it holds no tenant data or
  where its own isolation test lives.

A new pattern that fits none of these, or a new URL argument without a sample object, fails the
walk until it is covered.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile

import pytest
from django.apps import apps
from django.core import serializers
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts.models import Invitation, Role
from accounts.services import api_key_create
from accounts.tenancy import OrgScopedModel
from reports.models import Goal, SlaTarget
from reports.snapshots import snapshots_rebuild
from schedules.services import ScheduleData, schedule_create
from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    ApiKeyFactory,
    CannedResponseFactory,
    CannedResponseUseFactory,
    ChatFactory,
    CustomerFactory,
    MembershipFactory,
    OrganizationFactory,
    PurchaseFactory,
    QualityReviewFactory,
    QualityScorecardFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
    WebsiteTrafficFactory,
)
from tests.reports.pages.html import ReportHTML
from tests.url_patterns import url_patterns

MARK = "zqleak"
A_CHATS, B_CHATS = 2, 5
# Two days ago, inside every page's default range as well as the explicit one below.
DAY = (timezone.now() - dt.timedelta(days=2)).date()
RANGE = {"from": (DAY - dt.timedelta(days=5)).isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}

# Patterns that hold no tenant data, or whose isolation is proven by their own tests.
NOT_TENANT_DATA = {
    "home": "redirects to the member's own organizations",
    "login": "no tenant data", "logout": "no tenant data", "preferences": "the person's own language",
    "password_change": "the person's own account", "password_change_done": "no tenant data",
    "password_reset": "no tenant data", "password_reset_done": "no tenant data",
    "password_reset_confirm": "Django's signed token", "password_reset_complete": "no tenant data",
    "set_language": "no tenant data",
    "invitation_accept": "signed single-use token bound to its organization: tests/settings/test_invitations.py",
    "schedule_unsubscribe": "signed token bound to one delivery: tests/schedules",
    "api_metrics_catalogue": "the static metric catalogue",
    "api_schema": "the static OpenAPI schema", "api_docs": "static documentation",
    "api_docs_swagger": "static documentation",
}
NOT_TENANT_ROUTES = {
    "^api/": "the JSON 404 for unknown API URLs",
    "admin/": "the operators' Django admin: staff only, across organizations by design",
}


# --- the two worlds --------------------------------------------------------------------------------

def _world(org, p: str, chats: int, traffic_day: dt.date) -> dict:
    """One of every kind of object in ``org``, every text carrying ``p``; returns the URL
    arguments' sample values and the API identifiers."""
    at = dt.datetime.combine(DAY, dt.time(10), tzinfo=dt.UTC)
    team = TeamFactory(organization=org, external_id=f"{p}-team", name=f"{p} team")
    agent = AgentFactory(organization=org, team=team, external_id=f"{p}-agent", name=f"{p} agent",
                         email=f"{p}-agent@example.test")
    customer = CustomerFactory(organization=org, external_id=f"{p}-customer", name=f"{p} customer")
    PurchaseFactory(organization=org, customer=customer, external_id=f"{p}-purchase", purchased_at=at)
    tag = TagFactory(organization=org, name=f"{p}-tag")
    made = [ChatFactory(organization=org, agent=agent, team=team, customer=customer, external_id=f"{p}-chat-{i}",
                        requested_at=at + dt.timedelta(minutes=i)) for i in range(chats)]
    for chat in made:
        chat.tags.add(tag, through_defaults={"organization": org})
    ticket = TicketFactory(organization=org, agent=agent, external_id=f"{p}-ticket", subject=f"{p} subject",
                           created_at=at)
    ticket.tags.add(tag, through_defaults={"organization": org})
    SurveyAnswerFactory(organization=org, external_id=f"{p}-answer", chat=made[0], agent=agent, customer=customer,
                        comment=f"{p} comment", score=2, answered_at=at + dt.timedelta(hours=1))
    canned = CannedResponseFactory(organization=org, external_id=f"{p}-canned", title=f"{p} canned")
    CannedResponseUseFactory(organization=org, canned_response=canned, agent=agent, chat=made[0],
                             external_id=f"{p}-use", used_at=at + dt.timedelta(minutes=1))
    AgentSessionFactory(organization=org, agent=agent, external_id=f"{p}-session",
                        started_at=at - dt.timedelta(hours=2), ended_at=at + dt.timedelta(hours=6))
    WebsiteTrafficFactory(organization=org, date=traffic_day)
    QualityReviewFactory(organization=org, agent=agent, chat=made[0], external_id=f"{p}-review", reviewed_at=at,
                         scorecard=QualityScorecardFactory(organization=org, name=f"{p} scorecard"))
    # Every chat breaches a 5-second first response (the factory's is 30 s).
    sla = SlaTarget.objects.for_org(org).create(organization=org, metric="chat_first_response", target_seconds=5)
    goal = Goal.objects.for_org(org).create(organization=org, metric="csat", field="value", at_least=True, target=85)
    member = MembershipFactory(organization=org, role=Role.VIEWER,
                               user=UserFactory(email=f"{p}-member@example.test", name=f"{p} member"))
    schedule = schedule_create(organization=org, data=ScheduleData(name=f"{p} weekly", member_recipients=[member]),
                               created_by=None)
    now = timezone.now()
    invitation = Invitation.unscoped.create(organization=org, email=f"{p}-invitee@example.test", role=Role.VIEWER,
                                            secret_hash=p[:1] * 64, sent_at=now, expires_at=now + dt.timedelta(days=7))
    key = ApiKeyFactory(organization=org, name=f"{p} key")
    snapshots_rebuild(organization=org, first=DAY - dt.timedelta(days=1), last=DAY)
    return {
        "org": org, "agent": agent,
        "kwargs": {"member_id": member.pk, "invitation_id": invitation.pk, "team_id": team.pk, "agent_id": agent.pk,
                   "tag_id": tag.pk, "sla_target_id": sla.pk, "goal_id": goal.pk, "schedule_id": schedule.pk,
                   "chat_id": made[0].pk, "ticket_id": ticket.pk, "key_id": key.pk},
        # API identifiers: entity -> (lookup value, rows of this kind in the organization)
        "api": {"teams": (team.external_id, 1), "agents": (agent.external_id, 1),
                "customers": (customer.external_id, 1), "purchases": (f"{p}-purchase", 1), "tags": (tag.name, 1),
                "chats": (made[0].external_id, chats), "tickets": (ticket.external_id, 1),
                "survey-answers": (f"{p}-answer", 1), "canned-responses": (canned.external_id, 1),
                "canned-response-uses": (f"{p}-use", 1), "agent-sessions": (f"{p}-session", 1),
                "website-traffic": (traffic_day.isoformat(), 1), "quality-reviews": (f"{p}-review", 1),
                "sla-targets": (str(sla.pk), 1)},
    }


@pytest.fixture
def worlds(db):
    a = _world(OrganizationFactory(slug="alpha-org", name="Alpha"), "alpha", A_CHATS, DAY)
    b = _world(OrganizationFactory(slug=f"{MARK}-org", name=f"{MARK} Org"), MARK, B_CHATS, DAY - dt.timedelta(days=1))
    return a, b


@pytest.fixture
def a_clients(worlds):
    """A logged-in client of organization A for every role (the agent linked to A's agent)."""
    a, _b = worlds
    clients = {}
    for role in Role.values:
        user = UserFactory(email=f"a-{role}@example.test")
        MembershipFactory(organization=a["org"], user=user, role=role)
        if role == Role.AGENT:
            a["agent"].user = user
            a["agent"].save(update_fields=["user"])
        client = Client()
        client.force_login(user)
        clients[role] = client
    return clients


def _digest(org) -> str:
    """Every tenant row of ``org``, serialized: equal before and after means nothing of it changed."""
    rows = []
    for model in apps.get_models():
        if issubclass(model, OrgScopedModel) and not model._meta.abstract:
            rows.append(serializers.serialize("json", model.unscoped.filter(organization=org).order_by("pk")))
    return "".join(rows)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _leaks(response) -> bool:
    """Whether the marker appears in the response body (inside an XLSX's XML parts too)."""
    body = _body(response)
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return any(MARK.encode() in archive.read(name).lower() for name in archive.namelist())
    return MARK.encode() in body.lower()


# --- the walk ------------------------------------------------------------------------------------

ALL_PATTERNS = list(url_patterns())
ORG_PAGES = sorted({p.name for route, p in ALL_PATTERNS if "<slug:org_slug>" in route})
API_PATTERNS = sorted({p.name for route, p in ALL_PATTERNS
                       if route.startswith("api/") and p.name and p.name not in NOT_TENANT_DATA})


def test_every_url_pattern_is_covered():
    uncovered = []
    for route, p in ALL_PATTERNS:
        if p.name in ORG_PAGES or p.name in API_PATTERNS or p.name in NOT_TENANT_DATA:
            continue
        if any(route.startswith(prefix) for prefix in NOT_TENANT_ROUTES):
            continue
        uncovered.append(f"{route} ({p.name})")
    assert not uncovered, f"URL patterns outside the isolation proof: {uncovered}"
    assert {name for name in API_PATTERNS if _api_kind(name) is None} == set(), "classify every API pattern"


def _pattern(name: str) -> URLPattern:
    return next(p for _route, p in ALL_PATTERNS if p.name == name)


def _url(name: str, world: dict, ids_from: dict | None = None) -> str:
    params = set(_pattern(name).pattern.converters) - {"org_slug"}
    ids = (ids_from or world)["kwargs"]
    missing = params - ids.keys()
    assert not missing, f"add a sample object for {missing} of {name!r} to _world()"
    return reverse(name, kwargs={"org_slug": world["org"].slug, **{k: ids[k] for k in params}})


def _handles(name: str, method: str) -> bool:
    view = getattr(_pattern(name).callback, "view_class", None)
    return view is None or hasattr(view, method.lower())


EXPORT_LINK = re.compile(r'href="([^"]+)"[^>]*data-export="(?:csv|xlsx)"')


@pytest.mark.django_db
@pytest.mark.parametrize("name", ORG_PAGES)
def test_an_organization_page_never_shows_or_touches_another_organizations_data(name, worlds, a_clients):
    a, b = worlds
    has_objects = bool(set(_pattern(name).pattern.converters) - {"org_slug"})
    b_before = _digest(b["org"])
    failures = []
    for role, client in a_clients.items():
        own = client.get(_url(name, a), RANGE)
        if own.status_code >= 500 or (own.status_code == 200 and _leaks(own)):
            failures.append(f"{role}: own page {own.status_code}{' shows B' if own.status_code == 200 else ''}")
        if own.status_code == 200 and role == Role.MANAGER:
            for link in EXPORT_LINK.findall(own.content.decode()):
                export = client.get(html.unescape(link))
                if export.status_code != 200 or _leaks(export):
                    failures.append(f"{role}: export {link} {export.status_code}")
        theirs = client.get(_url(name, b), RANGE)
        if theirs.status_code != (404 if _handles(name, "GET") else 405) and theirs.status_code != 404:
            failures.append(f"{role}: B's page answered {theirs.status_code}")
        if has_objects:
            for method in ("GET", "POST"):
                mixed = client.generic(method, _url(name, a, ids_from=b))
                expected = {404} if _handles(name, method) else {404, 405}
                if mixed.status_code not in expected:
                    failures.append(f"{role}: {method} of B's object under A answered {mixed.status_code}")
        else:
            posted = client.post(_url(name, b), {})
            if posted.status_code not in ({404} if _handles(name, "POST") else {404, 405}):
                failures.append(f"{role}: POST to B's page answered {posted.status_code}")
    assert not failures, failures
    assert _digest(b["org"]) == b_before, "a request of A's members changed B's rows"


@pytest.mark.django_db
def test_the_overview_and_the_chat_list_count_only_the_organizations_own_chats(worlds, a_clients):
    a, _b = worlds
    client = a_clients[Role.MANAGER]
    cards = ReportHTML(client.get(reverse("report_overview", kwargs={"org_slug": a["org"].slug}), RANGE)
                       .content.decode()).cards
    assert cards["chats_total"]["value"].strip() == str(A_CHATS)
    listing = client.get(reverse("drilldown_chats", kwargs={"org_slug": a["org"].slug}),
                         {**RANGE, "kind": "chats_total", "export": "csv"})
    assert listing.status_code == 200
    rows = [line for line in _body(listing).decode().splitlines()[1:] if line.strip()]
    assert len(rows) == A_CHATS and all("alpha-chat-" in row for row in rows)


# --- the API -------------------------------------------------------------------------------------

def _api_kind(name: str) -> str | None:
    for suffix in ("_list", "_detail", "_bulk"):
        if name.endswith(suffix):
            return suffix[1:]
    return {"api_metrics": "metrics", "api_metrics_sla_breaches": "breaches",
            "api_organization": "organization"}.get(name)


def _entity(name: str) -> str:
    return name.removeprefix("api_").rsplit("_", 1)[0].replace("_", "-")


def _bulk_item(entity: str, b_ids: dict) -> tuple[dict, int]:
    """An item naming B's objects, and the status it must get: 400 where it references B's rows
    (unknown in A), 200 where it only reuses B's identifier (a new row of A's own)."""
    at = f"{DAY.isoformat()}T10:00:00Z"
    agent, chat, customer = b_ids["agents"][0], b_ids["chats"][0], b_ids["customers"][0]
    return {
        "teams": ({"external_id": b_ids["teams"][0], "name": "Ours now"}, 200),
        "agents": ({"external_id": "a-new", "name": "New", "team": b_ids["teams"][0]}, 400),
        "customers": ({"external_id": "c-new", "acquired_at": at, "referred_by": customer}, 400),
        "purchases": ({"external_id": "p-new", "customer": customer, "amount": 5, "purchased_at": at}, 400),
        "tags": ({"name": b_ids["tags"][0], "color": "#000000"}, 200),
        "chats": ({"external_id": chat, "requested_at": at, "agent": agent}, 400),
        "tickets": ({"external_id": "t-new", "created_at": at, "agent": agent}, 400),
        "survey-answers": ({"external_id": "s-new", "kind": "csat", "score": 4, "answered_at": at, "chat": chat}, 400),
        "canned-responses": ({"external_id": b_ids["canned-responses"][0], "title": "Ours now"}, 200),
        "canned-response-uses": ({"external_id": "u-new", "canned_response": b_ids["canned-responses"][0],
                                  "agent": agent, "used_at": at}, 400),
        "agent-sessions": ({"external_id": "as-new", "agent": agent, "started_at": at,
                            "ended_at": f"{DAY.isoformat()}T11:00:00Z"}, 400),
        "website-traffic": ({"date": b_ids["website-traffic"][0], "visitors": 5}, 200),
        "quality-reviews": ({"external_id": "r-new", "agent": agent, "chat": chat, "reviewed_at": at,
                             "scores": {"tone": 4}}, 400),
    }[entity]


@pytest.fixture
def a_key(worlds):
    from rest_framework.test import APIClient

    _, raw = api_key_create(organization=worlds[0]["org"], name="proof", scopes={"read", "write"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", API_PATTERNS)
def test_an_api_key_never_sees_counts_or_changes_another_organizations_rows(name, worlds, a_key):
    a, b = worlds
    b_before = _digest(b["org"])
    kind, failures = _api_kind(name), []
    if kind == "list":
        entity = _entity(name)
        response = a_key.get(reverse(name))
        results = response.json().get("results", [])
        if response.status_code != 200 or _leaks(response) or len(results) != a["api"][entity][1]:
            failures.append(f"list {response.status_code}: {len(results)} rows, A has {a['api'][entity][1]}")
    elif kind == "detail":
        entity = _entity(name)
        kwarg = next(iter(_pattern(name).pattern.converters), None)
        url = reverse(name, kwargs={kwarg: b["api"][entity][0]}) if kwarg else \
            f"/api/v1/{entity}/{b['api'][entity][0]}/"
        for method in ("GET", "PATCH", "DELETE"):
            response = a_key.generic(method, url, json.dumps({"name": "x"}), content_type="application/json")
            if response.status_code not in (404, 405) or (method == "GET" and response.status_code != 404):
                failures.append(f"{method} of B's {entity} answered {response.status_code}")
    elif kind == "bulk":
        entity = _entity(name)
        item, status = _bulk_item(entity, b["api"])
        response = a_key.post(reverse(name), {"items": [item]}, format="json")
        body = response.json()
        if status == 400:  # B's row is unknown to A, as a row that does not exist (the id is the caller's own)
            details = body.get("error", {}).get("details", [])
            if response.status_code != 400 or not details or not all(
                    d["message"].startswith("Unknown ") for d in details):
                failures.append(f"bulk answered {response.status_code}: {body}")
        elif response.status_code != 200 or body != {"created": 1, "updated": 0, "unchanged": 0}:
            failures.append(f"bulk reusing B's identifier did not create A's own row: {response.status_code} {body}")
    elif kind == "metrics":
        response = a_key.get(reverse(name), {**RANGE, "metrics": "chats_total"})
        value = response.json()["metrics"]["chats_total"]["value"] if response.status_code == 200 else None
        if value != A_CHATS or _leaks(response):
            failures.append(f"metrics {response.status_code}: chats_total {value}, A has {A_CHATS}")
    elif kind == "breaches":
        response = a_key.get(reverse(name), {**RANGE, "measure": "chat_first_response"})
        results = response.json().get("results", [])
        if response.status_code != 200 or _leaks(response) or len(results) != A_CHATS:
            failures.append(f"breaches {response.status_code}: {len(results)} rows, A has {A_CHATS}")
    elif kind == "organization":
        response = a_key.get(reverse(name))
        if response.status_code != 200 or _leaks(response) or response.json().get("slug") != a["org"].slug:
            failures.append(f"organization {response.status_code}: {response.content[:200]}")
    assert not failures, failures
    assert _digest(b["org"]) == b_before, "a request with A's key changed B's rows"
