"""Late data rebuilds only the days it touched; rebuilds are idempotent; empty ranges are calm."""

import datetime as dt

import pytest

from reports.freshness import chat_days, local_days, mark_chats_dirty, mark_dirty
from reports.metrics import REGISTRY, compute
from reports.models import DaySnapshot, DirtyDay, HourSnapshot
from reports.snapshots import GRAIN_MODELS, dirty_days_rebuild, snapshots_rebuild
from tests.factories import ChatFactory
from tests.reports.dataset import MONDAY, build_week, local

pytestmark = pytest.mark.django_db
MARCH_1, MARCH_31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def snapshot_rows(org):
    rows = {}
    for grain, (model, _) in GRAIN_MODELS.items():
        fields = [f.name for f in model._meta.fields if f.name not in ("id", "built_at")]
        rows[grain] = sorted(model.objects.for_org(org).values_list(*fields), key=repr)
    return rows


def test_rebuilding_twice_gives_the_same_rows(org):
    build_week(org)
    snapshots_rebuild(organization=org, first=MARCH_1, last=MARCH_31)
    first = snapshot_rows(org)
    snapshots_rebuild(organization=org, first=MARCH_1, last=MARCH_31)
    assert snapshot_rows(org) == first
    assert first["org"] and first["agent"] and first["tag"] and first["hour"]


def test_a_late_chat_rebuilds_only_its_days_and_changes_the_numbers(org, django_capture_on_commit_callbacks):
    build_week(org)
    snapshots_rebuild(organization=org, first=MARCH_1, last=MARCH_31)
    untouched = DaySnapshot.objects.for_org(org).get(day=MONDAY + dt.timedelta(days=1)).built_at

    late = ChatFactory(organization=org, requested_at=local(MONDAY, 16))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        days = mark_chats_dirty(organization=org, requested_ats=[late.requested_at])
    # The follow-up window (72 h) reaches back to Friday the 27th: those days for first-contact
    # resolution only, the chat's own day wholly.
    assert days == {dt.date(2026, 2, 27), dt.date(2026, 2, 28), MARCH_1, MONDAY}
    assert dict(DirtyDay.objects.for_org(org).values_list("day", "fcr_only")) == {
        dt.date(2026, 2, 27): True, dt.date(2026, 2, 28): True, MARCH_1: True, MONDAY: False}
    for callback in callbacks:
        callback()
    assert not DirtyDay.objects.for_org(org).exists()  # the eager rebuild ran on commit

    assert DaySnapshot.objects.for_org(org).get(day=MONDAY + dt.timedelta(days=1)).built_at == untouched
    assert DaySnapshot.objects.for_org(org).get(day=MONDAY).chats_total == 6
    total = compute(organization=org, metric_ids=["chats_total"], first=MONDAY, last=MONDAY, compare=False)
    assert total["metrics"]["chats_total"]["value"] == 6


def test_a_mark_made_during_a_rebuild_survives_it(org, monkeypatch):
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    mark_dirty(organization=org, days={MONDAY})
    from reports.builders import Builder

    real = Builder.build_chunk

    def build_while_a_write_lands(self, *args):
        written = real(self, *args)
        mark_dirty(organization=org, days={MONDAY})  # a write committed mid-rebuild
        return written

    monkeypatch.setattr(Builder, "build_chunk", build_while_a_write_lands)
    dirty_days_rebuild(organization=org)
    assert list(DirtyDay.objects.for_org(org).values_list("day", flat=True)) == [MONDAY]


def test_local_days_of_timestamps(org):
    assert local_days(organization=org, timestamps=[local(MONDAY, 0, 30), None]) == {MONDAY}


def test_empty_ranges_give_zero_counts_and_null_ratios(org):
    by_day = [mid for mid, definition in REGISTRY.items() if "day" in definition.breakdowns]
    result = compute(organization=org, metric_ids=by_day, first=MARCH_1, last=MARCH_31, group_by="day")
    m = result["metrics"]
    assert m["chats_total"]["value"] == 0 and m["tickets_total"]["value"] == 0
    for mid in ("first_response_time", "csat", "nps", "ces", "fcr_rate", "transfer_rate", "agent_utilization",
                "sla_compliance", "resolution_time", "messages_per_chat"):
        assert m[mid]["value"] is None, mid
    assert m["first_response_time"]["p50"] is None and m["csat"]["ci95"] is None
    assert len(result["groups"]) == 31
    assert not HourSnapshot.objects.for_org(org).exists()


def test_a_late_chat_through_the_bulk_api_rebuilds_its_days(org, api_client, django_capture_on_commit_callbacks):
    build_week(org)
    snapshots_rebuild(organization=org, first=dt.date(2026, 2, 1), last=MARCH_31)
    untouched = DaySnapshot.objects.for_org(org).get(day=MONDAY + dt.timedelta(days=1)).built_at
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/chats/bulk", {"items": [
            {"external_id": "late-1", "requested_at": "2026-02-10T12:00:00+02:00"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert DaySnapshot.objects.for_org(org).get(day=dt.date(2026, 2, 10)).chats_missed == 1
    assert DaySnapshot.objects.for_org(org).get(day=MONDAY + dt.timedelta(days=1)).built_at == untouched
    assert not DirtyDay.objects.for_org(org).exists()


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(email="ops@example.test", password="x-pass-123456"))
    return client


def test_changing_a_snapshot_setting_marks_every_day_with_data(org, superuser_client):
    build_week(org)
    url = f"/admin/accounts/organization/{org.pk}/change/"
    (inline,) = superuser_client.get(url).context["inline_admin_formsets"]
    prefix = inline.formset.prefix
    data = {"slug": org.slug, "name": org.name, "timezone": "America/New_York", "week_start": 0,
            "follow_up_window_hours": 72, "min_sample_size": 10, "csat_scale": "1-5", "gross_margin": "1",
            f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    days = set(DirtyDay.objects.for_org(org).values_list("day", flat=True))
    # Data spans Monday 10:00 Helsinki to Wednesday 09:00 (the last resolution), now read in New York time.
    assert days == {MONDAY, MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)}


def test_an_sla_target_change_marks_every_day_with_data(org, superuser_client):
    build_week(org)
    response = superuser_client.post("/admin/reports/slatarget/add/", {
        "organization": org.pk, "metric": "chat_first_response", "channel": "", "priority": "", "target_seconds": 45})
    assert response.status_code == 302, response.content[:2000]
    assert DirtyDay.objects.for_org(org).count() == 3


def test_a_day_stays_fcr_only_while_every_mark_it_gets_is(org):
    def marks():
        return dict(DirtyDay.objects.for_org(org).values_list("day", "fcr_only"))

    mark_dirty(organization=org, days=[], fcr_days=[MONDAY, MARCH_1])
    assert marks() == {MONDAY: True, MARCH_1: True}
    mark_dirty(organization=org, days=[MONDAY], fcr_days=[MARCH_1])
    assert marks() == {MONDAY: False, MARCH_1: True}
    mark_dirty(organization=org, days=[], fcr_days=[MONDAY])  # an FCR mark never narrows a whole one
    assert marks() == {MONDAY: False, MARCH_1: True}
    assert chat_days(organization=org, requested_ats=[local(MONDAY, 16)]) == {
        dt.date(2026, 2, 27), dt.date(2026, 2, 28), MARCH_1, MONDAY}


def test_an_fcr_only_rebuild_gives_what_a_full_rebuild_gives(org):
    """K1's chats c1 (Mon 10:00) and c3 (Mon 14:00): c3 was nobody's repeat contact. A late chat
    of K1 on Tuesday 08:00 makes c3 one (within 72 h), so Monday loses an FCR chat and gains a
    repeat contact, on Monday's org, agent, team, channel, tag and hour rows alike; Monday is
    marked for first-contact resolution only and rebuilt that way."""
    from chats.models import Chat

    build_week(org)
    snapshots_rebuild(organization=org, first=MARCH_1, last=MARCH_31)
    before = DaySnapshot.objects.for_org(org).get(day=MONDAY)
    c3 = Chat.objects.for_org(org).get(requested_at=local(MONDAY, 14))
    ChatFactory(organization=org, customer=c3.customer, requested_at=local(MONDAY + dt.timedelta(days=1), 8))
    DirtyDay.objects.for_org(org).delete()
    mark_chats_dirty(organization=org, requested_ats=[local(MONDAY + dt.timedelta(days=1), 8)])
    assert DirtyDay.objects.for_org(org).get(day=MONDAY).fcr_only

    dirty_days_rebuild(organization=org)
    after = DaySnapshot.objects.for_org(org).get(day=MONDAY)
    assert (after.fcr_chats, after.fcr_repeat_contacts) == (before.fcr_chats - 1, before.fcr_repeat_contacts + 1)
    assert after.chats_total == before.chats_total  # nothing else was touched
    incremental = snapshot_rows(org)
    fcr = compute(organization=org, metric_ids=["fcr_rate"], first=MARCH_1, last=MARCH_31, group_by="agent",
                  compare=False)
    fcr.pop("data_as_of")

    snapshots_rebuild(organization=org, first=MARCH_1, last=MARCH_31)
    assert snapshot_rows(org) == incremental
    again = compute(organization=org, metric_ids=["fcr_rate"], first=MARCH_1, last=MARCH_31, group_by="agent",
                    compare=False)
    again.pop("data_as_of")
    assert again == fcr
