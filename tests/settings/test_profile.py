import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditKind, AuditLogEntry, Organization
from accounts.services import organization_update
from reports.models import DirtyDay
from tests.factories import ChatFactory

UTC = dt.UTC

PROFILE = {"name": "Acme", "timezone": "Europe/Helsinki", "week_start": 0, "follow_up_window_hours": 72,
           "min_sample_size": 10, "csat_scale": "1-5", "gross_margin": "1"}


def url(org):
    return reverse("settings_profile", kwargs={"org_slug": org.slug})


def dirty_days(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


@pytest.fixture
def chats(org):
    # Helsinki is UTC+2 in March: 2026-03-02 23:30 UTC is 03-03 local; 03-05 10:00 UTC is 03-05.
    ChatFactory(organization=org, requested_at=dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    ChatFactory(organization=org, requested_at=dt.datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    DirtyDay.objects.for_org(org).delete()


@pytest.mark.django_db
def test_a_time_zone_change_marks_every_day_of_the_data_dirty_and_the_page_says_so(org, owner_client, chats):
    response = owner_client.post(url(org), {**PROFILE, "timezone": "UTC"}, follow=True)
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.timezone == "UTC"
    # In UTC the chats fall on 03-02 and 03-05: the span between, every day of it.
    assert dirty_days(org) == {dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(4)}
    page = response.content.decode()
    assert "4 days are being rebuilt" in page
    assert "Numbers are being rebuilt: 4 days left" in page
    entry = AuditLogEntry.objects.for_org(org).get(kind=AuditKind.ORGANIZATION_UPDATED)
    assert entry.changes == {"timezone": ["Europe/Helsinki", "UTC"]}
    assert entry.actor.email == response.wsgi_request.user.email


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [("follow_up_window_hours", 24), ("csat_scale", "1-10")])
def test_other_snapshot_settings_mark_the_days_too(org, owner, chats, field, value):
    _org, days = organization_update(organization=org, actor=owner, **{field: value})
    # Helsinki days of the two chats: 03-03 and 03-05, and the day between.
    assert days == dirty_days(org) == {dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 5)}


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [("name", "Acme Oy"), ("week_start", 6), ("min_sample_size", 30),
                                         ("gross_margin", "0.4")])
def test_settings_read_at_report_time_mark_nothing(org, owner, chats, field, value):
    from decimal import Decimal

    value = Decimal(value) if field == "gross_margin" else value
    org, days = organization_update(organization=org, actor=owner, **{field: value})
    assert days == set() and dirty_days(org) == set()
    assert getattr(Organization.objects.get(pk=org.pk), field) == value
    entry = AuditLogEntry.objects.for_org(org).get()
    assert list(entry.changes) == [field]


@pytest.mark.django_db
def test_saving_unchanged_values_writes_no_audit_row(org, owner_client):
    response = owner_client.post(url(org), PROFILE, follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert not AuditLogEntry.objects.for_org(org).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field,value,message", [
    ("timezone", "Mars/Olympus", "“Mars/Olympus” is not an IANA time zone name (for example Europe/Helsinki)."),
    ("name", "", "Give the organization a name."),
    ("follow_up_window_hours", "0", "Choose between 1 and 720 hours (30 days)."),
    ("min_sample_size", "0", "Choose at least 1."),
    ("gross_margin", "1.5", "Ensure this value is less than or equal to 1."),
])
def test_invalid_values_are_refused_with_a_clear_message(org, owner_client, field, value, message):
    response = owner_client.post(url(org), {**PROFILE, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    org.refresh_from_db()
    assert (org.name, org.timezone) == ("Acme", "Europe/Helsinki")
    assert not AuditLogEntry.objects.for_org(org).exists()
