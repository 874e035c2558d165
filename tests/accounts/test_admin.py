"""The operators' admin: every registered model opens, secrets stay hidden, and admin edits of
tenant data mark the touched local days dirty so their snapshots get rebuilt."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import ApiKey, hash_api_key
from accounts.services import api_key_create
from reports.models import DirtyDay
from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    CannedResponseUseFactory,
    ChatFactory,
    MembershipFactory,
    PurchaseFactory,
    QualityReviewFactory,
    SurveyAnswerFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
    WebsiteTrafficFactory,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def dirty_days(org) -> set[dt.date]:
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


def admin_url(obj, action="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def _one_of_everything(org):
    MembershipFactory(organization=org)
    chat = ChatFactory(organization=org)
    TicketFactory(organization=org)
    SurveyAnswerFactory(organization=org, chat=chat)
    CannedResponseUseFactory(organization=org)
    AgentSessionFactory(organization=org)
    WebsiteTrafficFactory(organization=org)
    QualityReviewFactory(organization=org)
    PurchaseFactory(organization=org)
    TagFactory(organization=org)
    api_key_create(organization=org, name="loader", scopes={"read"})
    DirtyDay.unscoped.create(organization=org, day=dt.date(2026, 3, 2))
    Group.objects.create(name="operators")


@pytest.mark.parametrize(
    "model", sorted(admin.site._registry, key=lambda m: m._meta.label), ids=lambda m: m._meta.label
)
def test_a_superuser_opens_every_changelist_add_and_change_page(model, org, superuser_client):
    _one_of_everything(org)
    opts = model._meta
    changelist = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    # Change pages too, for every model _one_of_everything makes a row of (others' new models
    # are covered by the changelist and add page until a row is added there).
    obj = model._default_manager.first()
    if obj is not None:
        assert superuser_client.get(admin_url(obj)).status_code == 200


def test_every_tenant_list_shows_and_filters_by_organization():
    for model, model_admin in admin.site._registry.items():
        if any(f.name == "organization" for f in model._meta.fields):
            assert "organization" in model_admin.list_display, model._meta.label
            assert "organization" in model_admin.list_filter, model._meta.label


def test_the_api_key_admin_never_shows_the_hash(org, superuser_client):
    key, raw = api_key_create(organization=org, name="loader", scopes={"read", "write"})
    pages = [
        superuser_client.get(reverse("admin:accounts_apikey_changelist")),
        superuser_client.get(admin_url(key)),
    ]
    for page in pages:
        assert page.status_code == 200
        assert key.key_hash not in page.content.decode()
        assert "key_hash" not in page.content.decode()


def test_adding_an_api_key_in_the_admin_shows_the_raw_key_once(org, superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_apikey_add"),
        {"organization": org.pk, "name": "from admin", "can_read": "on"},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.for_org(org).get(name="from admin")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m for m in shown if "shown only this once" in m).rsplit(" ", 1)[-1]
    assert hash_api_key(raw) == key.key_hash
    assert (key.can_read, key.can_write) == (True, False)
    assert raw not in superuser_client.get(admin_url(key)).content.decode()


def test_the_revoke_action_revokes_keys(org, superuser_client):
    key, _ = api_key_create(organization=org, name="old", scopes={"read"})
    superuser_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_admin_refuses_a_reference_to_another_organizations_row(org, other_org, superuser_client):
    chat = ChatFactory(organization=org)
    foreign_agent = AgentFactory(organization=other_org)
    data = {
        "organization": org.pk, "external_id": chat.external_id,
        "requested_at_0": "2026-03-02", "requested_at_1": "10:00:00",
        "agent": foreign_agent.pk, "channel": "chat", "initiated_by": "visitor",
        "messages_visitor": 0, "messages_agent": 0, "response_time_total_s": 0,
        "response_count": 0, "transfers": 0,
        "chat_tags-TOTAL_FORMS": 0, "chat_tags-INITIAL_FORMS": 0,
    }
    response = superuser_client.post(admin_url(chat), data)
    assert response.status_code == 200
    assert "belongs to another organization" in response.content.decode()
    chat.refresh_from_db()
    assert chat.agent.organization == org


def _chat_change_data(chat, requested_at: str) -> dict:
    date, time = requested_at.split(" ")
    return {
        "organization": chat.organization_id, "external_id": chat.external_id,
        "requested_at_0": date, "requested_at_1": time,
        "agent": chat.agent_id, "channel": chat.channel, "initiated_by": chat.initiated_by,
        "outcome": "missed", "messages_visitor": 0, "messages_agent": 0,
        "response_time_total_s": 0, "response_count": 0, "transfers": 0,
        "chat_tags-TOTAL_FORMS": 0, "chat_tags-INITIAL_FORMS": 0,
    }


def test_an_admin_change_of_a_chats_time_marks_the_old_and_new_local_days(org, superuser_client):
    # Acme is on Europe/Helsinki (UTC+2 in March). A zero-hour follow-up window keeps each
    # chat's dirty set to its own local day, so the expectation is the two days alone.
    org.follow_up_window_hours = 0
    org.save()
    chat = ChatFactory(
        organization=org, requested_at=dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC),  # 3 March local
        accepted_at=None, first_response_at=None, ended_at=None, closed_at=None, outcome="missed",
    )
    assert dirty_days(org) == set()

    # The admin form takes local wall time in the site time zone (UTC): 10 March 21:59 UTC is
    # 10 March 23:59 in Helsinki; one minute later would be the 11th.
    response = superuser_client.post(admin_url(chat), _chat_change_data(chat, "2026-03-10 21:59:00"))

    assert response.status_code == 302, response.content.decode()[:2000]
    chat.refresh_from_db()
    assert chat.requested_at == dt.datetime(2026, 3, 10, 21, 59, tzinfo=UTC)
    assert dirty_days(org) == {dt.date(2026, 3, 3), dt.date(2026, 3, 10)}


def test_a_chat_change_also_marks_the_days_of_its_follow_up_window(org, superuser_client):
    # 72 h window: a chat at 10 March 12:00 local can be the repeat contact of chats back to
    # 7 March 12:00 local, so 7..10 March change; the old time (3 March) adds 28 Feb..3 March.
    chat = ChatFactory(
        organization=org, requested_at=dt.datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        accepted_at=None, first_response_at=None, ended_at=None, closed_at=None, outcome="missed",
    )
    superuser_client.post(admin_url(chat), _chat_change_data(chat, "2026-03-10 10:00:00"))
    expected = {dt.date(2026, 2, 28) + dt.timedelta(days=n) for n in range(4)}
    expected |= {dt.date(2026, 3, 7) + dt.timedelta(days=n) for n in range(4)}
    assert dirty_days(org) == expected


def test_deleting_a_ticket_in_the_admin_marks_its_created_and_resolved_days(org, superuser_client):
    ticket = TicketFactory(
        organization=org, created_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        resolved_at=dt.datetime(2026, 3, 5, 22, 30, tzinfo=UTC), status="resolved",  # 6 March local
    )
    response = superuser_client.post(admin_url(ticket, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert dirty_days(org) == {dt.date(2026, 3, 2), dt.date(2026, 3, 6)}


def test_bulk_deleting_survey_answers_marks_their_days(org, superuser_client):
    answers = [
        SurveyAnswerFactory(organization=org, answered_at=dt.datetime(2026, 3, 2, 12, tzinfo=UTC)),
        SurveyAnswerFactory(organization=org, answered_at=dt.datetime(2026, 3, 8, 23, tzinfo=UTC)),  # 9 March local
    ]
    superuser_client.post(
        reverse("admin:surveys_surveyanswer_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in answers], "post": "yes"},
    )
    assert dirty_days(org) == {dt.date(2026, 3, 2), dt.date(2026, 3, 9)}


def test_an_agent_session_marks_every_local_day_it_spans(org):
    from chats.admin import AgentSessionAdmin
    from chats.models import AgentSession

    session = AgentSessionFactory(
        organization=org, started_at=dt.datetime(2026, 3, 2, 20, 0, tzinfo=UTC),  # 2 March 22:00 local
        ended_at=dt.datetime(2026, 3, 4, 23, 0, tzinfo=UTC),  # 5 March 01:00 local
    )
    days = AgentSessionAdmin(AgentSession, admin.site).touched_days(session)
    assert days == {dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 5)}


def test_moving_a_row_to_another_organization_marks_both(org, other_org, superuser_client):
    traffic = WebsiteTrafficFactory(organization=org, date=dt.date(2026, 3, 2), visitors=10)
    response = superuser_client.post(
        admin_url(traffic), {"organization": other_org.pk, "date": "2026-03-04", "visitors": 10}
    )
    assert response.status_code == 302
    assert dirty_days(org) == {dt.date(2026, 3, 2)}
    assert dirty_days(other_org) == {dt.date(2026, 3, 4)}



@pytest.mark.parametrize("requested_at", ["0001-01-01 00:00:00", "1999-12-31 23:59:59"])
def test_the_admin_refuses_an_instant_outside_its_window(org, superuser_client, requested_at):
    chat = ChatFactory(organization=org, requested_at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC), accepted_at=None,
                       first_response_at=None, ended_at=None, closed_at=None, outcome="missed")
    response = superuser_client.post(admin_url(chat), _chat_change_data(chat, requested_at))
    assert response.status_code == 200  # the form again, with the error
    assert "Must be from " in response.content.decode()
    chat.refresh_from_db()
    assert chat.requested_at == dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert dirty_days(org) == set()


# --- configuration changed in the admin is audited ----------------------------------------------

def test_configuration_changed_in_the_admin_writes_audit_rows(org, superuser_client):
    from accounts.models import AuditKind, AuditLogEntry

    tag = TagFactory(organization=org, name="billing", category="", color="#2458d6")
    data = {"organization": org.pk, "name": "invoices", "category": "Payments", "color": "#2458d6",
            "high_priority": "on"}
    response = superuser_client.post(admin_url(tag, "change"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = AuditLogEntry.objects.for_org(org).get(kind=AuditKind.ADMIN_CHANGED)
    assert row.target_type == "tag" and row.target_id == tag.pk and row.actor.is_superuser
    assert row.changes == {"name": ["billing", "invoices"], "category": ["", "Payments"],
                           "high_priority": [False, True]}

    other = TagFactory(organization=org, name="vip")
    superuser_client.post(reverse("admin:chats_tag_changelist"),
                          {"action": "delete_selected", "_selected_action": [tag.pk, other.pk], "post": "yes"})
    deleted = AuditLogEntry.objects.for_org(org).filter(kind=AuditKind.ADMIN_DELETED)
    assert sorted(deleted.values_list("target_label", flat=True)) == ["invoices", "vip"]


def test_saving_unchanged_in_the_admin_writes_no_row(org, superuser_client):
    from accounts.models import AuditLogEntry

    team = AgentFactory(organization=org).team
    superuser_client.post(admin_url(team, "change"), {"organization": org.pk, "name": team.name,
                                                      "external_id": team.external_id, "active": "on"})
    assert not AuditLogEntry.objects.for_org(org).exists()


class _FormValues(HTMLParser):
    """What a browser would post for the admin change form: inputs, checked boxes, selected options."""

    def __init__(self, html: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _admin_form(client, obj) -> dict:
    response = client.get(admin_url(obj))
    assert response.status_code == 200
    values = _FormValues(response.content.decode()).values
    return {name: value for name, value in values.items() if "__prefix__" not in name}


def test_memberships_edited_inline_on_the_organization_page_are_audited(org, superuser_client):
    from accounts.models import AuditKind, AuditLogEntry, Role

    kept = MembershipFactory(organization=org, role=Role.VIEWER)
    removed = MembershipFactory(organization=org, role=Role.MANAGER)
    data = _admin_form(superuser_client, org)
    prefix = next(name[: -len("-TOTAL_FORMS")] for name in data if name.endswith("-TOTAL_FORMS"))
    rows = {int(data[f"{prefix}-{i}-id"]): i for i in range(int(data[f"{prefix}-TOTAL_FORMS"]))}
    data[f"{prefix}-{rows[kept.pk]}-role"] = Role.ADMIN
    data[f"{prefix}-{rows[removed.pk]}-DELETE"] = "on"
    response = superuser_client.post(admin_url(org), data)
    assert response.status_code == 302, response.content.decode()[:3000]

    entries = AuditLogEntry.objects.for_org(org)
    changed = entries.get(kind=AuditKind.ADMIN_CHANGED)
    assert changed.target_type == "membership" and changed.target_id == kept.pk
    assert changed.changes == {"role": [Role.VIEWER, Role.ADMIN]} and changed.actor.is_superuser
    deleted = entries.get(kind=AuditKind.ADMIN_DELETED)
    assert deleted.target_type == "membership" and deleted.target_id == removed.pk
    assert entries.count() == 2


def test_a_membership_added_inline_on_the_user_page_is_audited(org, superuser_client):
    from accounts.models import AuditKind, AuditLogEntry, Role

    user = UserFactory()
    data = _admin_form(superuser_client, user)
    prefix = next(name[: -len("-TOTAL_FORMS")] for name in data if name.endswith("-TOTAL_FORMS"))
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-user": str(user.pk),
                 f"{prefix}-0-organization": str(org.pk), f"{prefix}-0-role": Role.MANAGER})
    response = superuser_client.post(admin_url(user), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = AuditLogEntry.objects.for_org(org).get()
    assert created.kind == AuditKind.ADMIN_CREATED and created.target_type == "membership"
    assert created.changes["role"] == [None, Role.MANAGER]
    assert created.changes["user"] == [None, str(user)]
