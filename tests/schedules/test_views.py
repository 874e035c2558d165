"""Schedule pages: managers and above only (404 for viewers, agents, outsiders); create, edit,
pause, delete; the preview is the e-mail as sent; the test e-mail is not the period's delivery."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from schedules import services
from schedules.models import ReportDelivery, ReportSchedule
from tests.schedules.conftest import DUE

pytestmark = pytest.mark.django_db


def url(name, org, schedule=None):
    kwargs = {"org_slug": org.slug}
    if schedule is not None:
        kwargs["schedule_id"] = schedule.pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MANAGER])
def test_managers_and_above_see_the_pages(role, org, make_schedule, role_client):
    schedule = make_schedule()
    client = role_client(role)
    for name in ("schedule_list", "schedule_create"):
        assert client.get(url(name, org)).status_code == 200
    for name in ("schedule_detail", "schedule_edit", "schedule_pause", "schedule_delete", "schedule_test",
                 "schedule_preview", "schedule_preview_email"):
        assert client.get(url(name, org, schedule)).status_code == 200, name


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_viewers_and_agents_get_404(role, org, make_schedule, role_client):
    schedule = make_schedule()
    client = role_client(role)
    assert client.get(url("schedule_list", org)).status_code == 404
    assert client.get(url("schedule_detail", org, schedule)).status_code == 404
    assert client.post(url("schedule_delete", org, schedule)).status_code == 404
    assert ReportSchedule.objects.for_org(org).count() == 1


def test_another_organizations_schedule_is_the_same_404_as_a_missing_one(org, other_org, make_schedule,
                                                                          manager_client, member_factory):
    theirs = make_schedule(organization=other_org, members=[member_factory(other_org)])
    for name in ("schedule_detail", "schedule_edit", "schedule_preview"):
        assert manager_client.get(reverse(name, kwargs={"org_slug": org.slug, "schedule_id": theirs.pk})).status_code == 404
        assert manager_client.get(reverse(name, kwargs={"org_slug": org.slug, "schedule_id": 999999})).status_code == 404
    assert manager_client.post(reverse("schedule_delete", kwargs={"org_slug": org.slug, "schedule_id": theirs.pk})).status_code == 404
    assert ReportSchedule.objects.for_org(other_org).count() == 1


def test_create_edit_pause_and_delete(org, week, manager, manager_client):
    from accounts.models import Membership

    me = Membership.objects.for_org(org).get(user=manager)
    form = {"name": "Monday report", "scope": "team", "team": week["t1"].pk, "member_recipients": [me.pk],
            "external_recipients": "Boss@Example.test, ops@example.test", "frequency": "weekly", "weekday": 0,
            "day_of_month": 1, "local_time": "08:00", "timezone": "", "language": "en",
            "metrics": ["chats_total", "first_response_time"]}
    response = manager_client.post(url("schedule_create", org), form)
    assert response.status_code == 302
    schedule = ReportSchedule.objects.for_org(org).get()
    assert (schedule.team, schedule.external_recipients) == (week["t1"], ["boss@example.test", "ops@example.test"])
    assert schedule.metrics == ["chats_total", "first_response_time"]
    local = schedule.next_run_at.astimezone(org.tzinfo)
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)

    # Another organization's team is not a choice.
    from tests.factories import OrganizationFactory, TeamFactory

    foreign = TeamFactory(organization=OrganizationFactory(slug="zeta"))
    bad = manager_client.post(url("schedule_edit", org, schedule), {**form, "team": foreign.pk})
    assert bad.status_code == 200 and "team" in bad.context["form"].errors

    manager_client.post(url("schedule_edit", org, schedule), {**form, "frequency": "daily", "local_time": "07:30"})
    schedule.refresh_from_db()
    assert schedule.frequency == "daily" and schedule.local_time == dt.time(7, 30)

    manager_client.post(url("schedule_pause", org, schedule))
    schedule.refresh_from_db()
    assert not schedule.active
    manager_client.post(url("schedule_pause", org, schedule))
    schedule.refresh_from_db()
    assert schedule.active

    assert manager_client.post(url("schedule_delete", org, schedule)).status_code == 302
    assert not ReportSchedule.objects.for_org(org).exists()


def test_a_schedule_needs_recipients(org, manager_client):
    response = manager_client.post(url("schedule_create", org), {
        "name": "Nobody", "scope": "organization", "frequency": "weekly", "weekday": 0, "day_of_month": 1,
        "local_time": "08:00", "language": "en", "metrics": ["chats_total"]})
    assert response.status_code == 200
    assert str(services.RECIPIENTS_REQUIRED) in response.context["form"].errors["member_recipients"]


def test_the_preview_is_the_email_as_sent(org, week, make_schedule, manager, manager_client, django_capture_on_commit_callbacks):
    schedule = make_schedule(members=[manager])
    preview = manager_client.get(url("schedule_preview_email", org, schedule), {"recipient": manager.email})
    page = manager_client.get(url("schedule_preview", org, schedule))
    assert page.status_code == 200 and manager.email in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_due(now=DUE + dt.timedelta(minutes=3), enqueue=lambda s, d: services.period_send(
            schedule_id=s, due_at=dt.datetime.fromisoformat(d)))
    (message,) = mail.outbox
    html = next(body for body, mime in message.alternatives if mime == "text/html")
    assert preview.content.decode() == html


def test_send_me_a_test_is_not_the_periods_delivery(org, week, make_schedule, manager, manager_client,
                                                    django_capture_on_commit_callbacks):
    schedule = make_schedule(members=[manager])
    response = manager_client.post(url("schedule_test", org, schedule))
    assert response.status_code == 302
    (test,) = mail.outbox
    assert test.subject.startswith("[Test] ") and test.to == [manager.email]
    assert not ReportDelivery.objects.for_org(org).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_due(now=DUE + dt.timedelta(minutes=3), enqueue=lambda s, d: services.period_send(
            schedule_id=s, due_at=dt.datetime.fromisoformat(d)))
    assert len(mail.outbox) == 2 and not mail.outbox[1].subject.startswith("[Test]")
