"""SLA target settings pages: create, edit and delete through the forms, each one audit row and
the affected local days marked dirty; the service's messages on the form (overlap naming the
clash, a priority on a chat measure, the range); the typed duration.

Organization "acme", Europe/Helsinki (UTC+2 in March). One chat requested 2026-03-05 23:30 UTC,
which is 01:30 on Friday 2026-03-06 in Helsinki: a chat target marks that local day only.
"""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry
from accounts.settings_sla import format_duration_input, parse_duration
from reports.business_hours import Interval, business_hours_update
from reports.models import DirtyDay, SlaTarget
from tests.factories import ChatFactory, TicketFactory
from tests.settings.conftest import client_for

pytestmark = pytest.mark.django_db
UTC = dt.UTC
CHAT_DAY = dt.date(2026, 3, 6)


def dirty_days(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


@pytest.fixture
def chat(org):
    return ChatFactory(organization=org, channel="chat", requested_at=dt.datetime(2026, 3, 5, 23, 30, tzinfo=UTC))


def form(**overrides):
    return {"metric": "chat_first_response", "channel": "", "priority": "", "target_seconds": "2h 30m",
            "clock": "calendar", **overrides}


def test_create_edit_delete_each_audited_and_marking_the_chats_local_day(org, org_admin, org_admin_client, chat):
    response = org_admin_client.post(url("settings_sla_target_create", org), form(clock="business"), follow=True)
    target = SlaTarget.objects.for_org(org).get()
    assert (target.metric, target.channel, target.priority, target.target_seconds, target.business_hours) == (
        "chat_first_response", "", "", 9000, True)
    page = response.content.decode()
    assert "The SLA report is being rebuilt for the 1 day this changes." in page
    # No schedule yet: the engine measures business-hours targets in calendar time, and the page says so.
    assert "targets in business hours measure calendar time until a schedule is set" in page
    assert dirty_days(org) == {CHAT_DAY}

    DirtyDay.objects.for_org(org).delete()
    edit = url("settings_sla_target_edit", org, sla_target_id=target.pk)
    assert 'value="2h 30m"' in org_admin_client.get(edit).content.decode()
    org_admin_client.post(edit, form(target_seconds="45m"))
    target.refresh_from_db()
    assert (target.target_seconds, target.business_hours) == (2700, False)
    assert dirty_days(org) == {CHAT_DAY}

    DirtyDay.objects.for_org(org).delete()
    delete = url("settings_sla_target_delete", org, sla_target_id=target.pk)
    confirm = org_admin_client.get(delete).content.decode()
    assert "Delete this SLA target?" in confirm and "Chat first response, any channel" in confirm
    assert SlaTarget.objects.for_org(org).exists()  # GET only asks
    org_admin_client.post(delete)
    assert not SlaTarget.objects.for_org(org).exists()
    assert dirty_days(org) == {CHAT_DAY}

    rows = list(AuditLogEntry.objects.for_org(org).order_by("pk").values_list("kind", "actor", "target_id", "changes"))
    assert rows == [
        (AuditKind.SLA_TARGET_CREATED, org_admin.pk, target.pk, {
            "metric": [None, "chat_first_response"], "channel": [None, ""], "priority": [None, ""],
            "target_seconds": [None, 9000], "business_hours": [None, True]}),
        (AuditKind.SLA_TARGET_UPDATED, org_admin.pk, target.pk, {
            "target_seconds": [9000, 2700], "business_hours": [True, False]}),
        (AuditKind.SLA_TARGET_DELETED, org_admin.pk, target.pk, {
            "metric": ["chat_first_response", None], "channel": ["", None], "priority": ["", None],
            "target_seconds": [2700, None], "business_hours": [False, None]}),
    ]


def test_the_list_shows_each_target_in_words(org, owner_client):
    SlaTarget.objects.for_org(org).create(organization=org, metric="ticket_resolution", channel="email",
                                          priority="urgent", target_seconds=4 * 3600 + 30 * 60, business_hours=True)
    SlaTarget.objects.for_org(org).create(organization=org, metric="chat_wait", target_seconds=45)
    page = owner_client.get(url("settings_sla_targets", org)).content.decode()
    assert "Ticket resolution" in page and "E-mail" in page and "Urgent" in page
    assert "4 hr 30 min" in page and "45 sec" in page
    assert "Chat wait (pickup)" in page and "Any channel" in page
    assert "Calendar hours" in page and "calendar until a schedule is set" in page


def test_with_a_schedule_the_no_schedule_note_is_gone(org, owner_client):
    business_hours_update(organization=org, actor=None, intervals=[Interval(0, dt.time(9), dt.time(17))], holidays=[])
    SlaTarget.objects.for_org(org).create(organization=org, metric="chat_wait", target_seconds=45, business_hours=True)
    for name in ("settings_sla_targets", "settings_sla_target_create"):
        assert "until a schedule is set" not in owner_client.get(url(name, org)).content.decode()


def test_a_target_matching_no_conversation_marks_no_day(org, org_admin_client, chat):
    TicketFactory(organization=org, channel="email", created_at=dt.datetime(2026, 3, 9, 9, tzinfo=UTC),
                  first_response_at=None)
    response = org_admin_client.post(url("settings_sla_target_create", org),
                                     form(metric="ticket_first_response", channel="email"), follow=True)
    assert "No conversations are measured by it yet, so no figures change." in response.content.decode()
    assert dirty_days(org) == set()  # the chat is not a ticket; the e-mail ticket has no first response


def test_an_overlapping_target_is_refused_naming_the_clash(org, org_admin_client, chat):
    SlaTarget.objects.for_org(org).create(organization=org, metric="chat_first_response", target_seconds=60)
    response = org_admin_client.post(url("settings_sla_target_create", org), form())
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This target overlaps the existing target “Chat first response, any channel ≤ 1 min "
        "(calendar hours)” (the same measure, channel and priority): change that one instead."]
    assert SlaTarget.objects.for_org(org).count() == 1
    assert not AuditLogEntry.objects.for_org(org).exists() and dirty_days(org) == set()


def test_editing_into_another_targets_selector_is_refused(org, org_admin_client):
    SlaTarget.objects.for_org(org).create(organization=org, metric="ticket_resolution", channel="email",
                                          target_seconds=3600)
    other = SlaTarget.objects.for_org(org).create(organization=org, metric="ticket_resolution", target_seconds=7200)
    response = org_admin_client.post(url("settings_sla_target_edit", org, sla_target_id=other.pk),
                                     form(metric="ticket_resolution", channel="email", target_seconds="2h"))
    assert "overlaps the existing target “Ticket resolution, E-mail, any priority ≤ 1 hr" in (
        response.content.decode())
    other.refresh_from_db()
    assert other.channel == ""


@pytest.mark.parametrize("data,field,message", [
    (form(target_seconds="90"), "target_seconds",
     "Write the target as a number with a unit, such as “2h 30m”, “45m”, “90s” or “1d 4h” "
     "(d days, h hours, m minutes, s seconds)."),
    (form(target_seconds="2h 2h"), "target_seconds", "Write the target as a number with a unit"),
    (form(target_seconds="soon"), "target_seconds", "Write the target as a number with a unit"),
    (form(target_seconds=""), "target_seconds", "Give the target time, such as “2h 30m”."),
    (form(target_seconds="0s"), "target_seconds", "Give a target between 1 second and 366 days."),
    (form(target_seconds="367d"), "target_seconds", "Give a target between 1 second and 366 days."),
    (form(priority="high"), "priority", "Chats have no priority: leave the priority empty for a chat measure."),
    (form(metric=""), "metric", "Choose a measure."),
])
def test_bad_input_is_refused_with_a_message_on_its_field(data, field, message, org, org_admin_client):
    response = org_admin_client.post(url("settings_sla_target_create", org), data)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(e.startswith(message) for e in errors), errors
    assert not SlaTarget.objects.for_org(org).exists() and not AuditLogEntry.objects.for_org(org).exists()


@pytest.mark.parametrize("text,seconds", [
    ("2h 30m", 9000), ("45m", 2700), ("90s", 90), ("1d 4h", 100800), ("2H30M", 9000), ("1h, 5s", 3605),
    ("90", None), ("1.5h", None), ("h", None), ("2h 1h", None), ("2 hours", None), ("", None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("seconds,text", [(9000, "2h 30m"), (45, "45s"), (100800, "1d 4h"), (3605, "1h 5s")])
def test_a_stored_target_is_offered_back_as_typed(seconds, text):
    assert format_duration_input(seconds) == text
    assert parse_duration(text) == seconds


def test_another_organizations_target_is_404_for_every_page(org, other_org, owner_client):
    theirs = SlaTarget.objects.for_org(other_org).create(organization=other_org, metric="chat_wait", target_seconds=5)
    for name in ("settings_sla_target_edit", "settings_sla_target_delete"):
        target_url = url(name, org, sla_target_id=theirs.pk)
        assert owner_client.get(target_url).status_code == 404
        assert owner_client.post(target_url, form()).status_code == 404
    assert SlaTarget.objects.for_org(other_org).get().target_seconds == 5


def test_a_manager_cannot_delete_a_target(org, member_factory):
    target = SlaTarget.objects.for_org(org).create(organization=org, metric="chat_wait", target_seconds=5)
    manager = client_for(member_factory(org, role="manager"))
    assert manager.post(url("settings_sla_target_delete", org, sla_target_id=target.pk)).status_code == 404
    assert SlaTarget.objects.for_org(org).filter(pk=target.pk).exists()


def test_the_audit_log_shows_the_target_fields_by_their_labels(org, owner_client):
    from reports.sla_targets import sla_target_create

    sla_target_create(organization=org, actor=None, metric="ticket_first_response", channel="email", priority="",
                      target_seconds=7200, business_hours=True)
    page = owner_client.get(url("settings_audit", org)).content.decode()
    assert "SLA target created" in page
    assert "measure:</span> <strong>Ticket first response</strong>" in page
    assert "channel:</span> <strong>E-mail</strong>" in page
    assert "target:</span> <strong>2 hr</strong>" in page
    assert "in business hours:</span> <strong>yes</strong>" in page
