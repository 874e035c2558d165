"""SLA targets in business hours: compliance, the breach list and the business-hours values of
FRT and resolution time, hand-computed; a target change moves the report after the rebuild.

Organization "acme", Europe/Helsinki (UTC+2 in March), open Mon–Fri 09:00–17:00.

ticket  created (local)   first reply (local)  calendar  business       resolved (local)   business
tk-a    Fri 03-06 16:30   Mon 03-09 09:30      65 h      30+30 min = 1 h  Mon 03-09 10:00    1.5 h
tk-b    Mon 03-09 10:00   Mon 03-09 13:00      3 h       3 h              Mon 03-09 15:00    5 h
tk-c    Mon 03-09 16:00   Tue 03-10 12:00      20 h      1 h + 3 h = 4 h  Tue 03-10 16:00    8 h

Target: ticket first response, any channel and priority, 2 h.
- calendar hours: every ticket breaches (65 h, 3 h, 20 h): met 0 of 3;
- business hours: tk-a met (1 h); tk-b breaches by 1 h, tk-c by 2 h: met 1 of 3.
Ticket first response in business hours: avg (1 + 3 + 4) / 3 h = 9600 s, median 3 h.

chat   requested (local)    first response (local)  business
ch-a   Fri 03-06 16:59:30   Mon 03-09 09:00:30      60 s   (calendar 64 h)
ch-b   Mon 03-09 10:00      Mon 03-09 10:02         120 s
Target chat first response 60 s in business hours: ch-a met (equal), ch-b breaches by 60 s.
"""

import datetime as dt

import pytest

from accounts.models import AuditKind, AuditLogEntry
from reports.breaches import sla_breaches
from reports.business_hours import Interval, business_hours_update
from reports.metrics import compute
from reports.models import DirtyDay, SlaTarget
from reports.sla_targets import sla_target_create, sla_target_delete, sla_target_update
from reports.snapshots import rebuild_dirty_days, snapshots_rebuild
from tests.factories import ChatFactory, TicketFactory
from tests.reports.dataset import HEL

pytestmark = pytest.mark.django_db
H = 3600
FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 3, 15)


def at(m, d, h, mi=0, s=0):
    return dt.datetime(2026, m, d, h, mi, s, tzinfo=HEL)


@pytest.fixture
def data(org):
    business_hours_update(organization=org, actor=None,
                          intervals=[Interval(wd, dt.time(9), dt.time(17)) for wd in range(5)], holidays=[])
    for ext, created, reply, resolved in (
        ("tk-a", at(3, 6, 16, 30), at(3, 9, 9, 30), at(3, 9, 10)),
        ("tk-b", at(3, 9, 10), at(3, 9, 13), at(3, 9, 15)),
        ("tk-c", at(3, 9, 16), at(3, 10, 12), at(3, 10, 16)),
    ):
        TicketFactory(organization=org, agent=None, team=None, external_id=ext, channel="email", priority="normal",
                      created_at=created, first_response_at=reply, resolved_at=resolved, status="resolved")
    for ext, requested, reply in (("ch-a", at(3, 6, 16, 59, 30), at(3, 9, 9, 0, 30)),
                                  ("ch-b", at(3, 9, 10), at(3, 9, 10, 2))):
        ChatFactory(organization=org, agent=None, team=None, external_id=ext, channel="chat", requested_at=requested,
                    accepted_at=requested, first_response_at=reply, ended_at=reply + dt.timedelta(minutes=5),
                    closed_at=None, outcome="resolved", missed_reason="")
    return org


def sla(org):
    result = compute(organization=org, metric_ids=["sla_compliance"], first=FIRST, last=LAST, compare=False)
    return {m["measure"]: (m["met"], m["n"], m["breached"]) for m in result["metrics"]["sla_compliance"]["measures"]}


def listed(org, measure):
    return {r.external_id: (r.actual_seconds, r.target_seconds, r.over_seconds)
            for r in sla_breaches(organization=org, measure=measure, first=FIRST, last=LAST)}


def rebuild(org):
    snapshots_rebuild(organization=org, first=FIRST, last=LAST)


def test_a_business_hours_target_changes_compliance_and_the_breach_list(data):
    org = data
    target, _days = sla_target_create(organization=org, actor=None, metric="ticket_first_response", channel="",
                                      priority="", target_seconds=2 * H, business_hours=False)
    rebuild(org)
    assert sla(org)["ticket_first_response"] == (0, 3, 3)
    assert listed(org, "ticket_first_response") == {
        "tk-a": (65 * H, 2 * H, 63 * H), "tk-b": (3 * H, 2 * H, H), "tk-c": (20 * H, 2 * H, 18 * H)}

    sla_target_update(organization=org, actor=None, target=target, business_hours=True)
    rebuild(org)
    assert sla(org)["ticket_first_response"] == (1, 3, 2)
    assert listed(org, "ticket_first_response") == {"tk-b": (3 * H, 2 * H, H), "tk-c": (4 * H, 2 * H, 2 * H)}


def test_the_chat_measures_use_business_hours_too(data):
    org = data
    sla_target_create(organization=org, actor=None, metric="chat_first_response", channel="", priority="",
                      target_seconds=60, business_hours=True)
    rebuild(org)
    assert sla(org)["chat_first_response"] == (1, 2, 1)
    assert listed(org, "chat_first_response") == {"ch-b": (120, 60, 60)}


def test_frt_and_resolution_time_carry_business_hours_values(data):
    org = data
    rebuild(org)
    metrics = compute(organization=org, metric_ids=["ticket_first_response_time", "resolution_time",
                                                    "first_response_time"], first=FIRST, last=LAST,
                      compare=False)["metrics"]
    frt = metrics["ticket_first_response_time"]
    assert frt["avg"] == pytest.approx((65 + 3 + 20) * H / 3)  # calendar, unchanged
    assert frt["business_hours"]["avg"] == pytest.approx(9600)
    assert frt["business_hours"]["n"] == 3
    assert metrics["resolution_time"]["business_hours"]["avg"] == pytest.approx((1.5 + 5 + 8) * H / 3)
    assert metrics["first_response_time"]["business_hours"]["avg"] == pytest.approx(90)


def test_without_a_schedule_there_are_no_business_hours_values(org):
    TicketFactory(organization=org, created_at=at(3, 9, 10), first_response_at=at(3, 9, 11), resolved_at=at(3, 9, 12))
    rebuild(org)
    frt = compute(organization=org, metric_ids=["ticket_first_response_time"], first=FIRST, last=LAST,
                  compare=False)["metrics"]["ticket_first_response_time"]
    assert frt["business_hours"] is None


def test_changing_a_target_marks_its_days_and_changes_the_report_after_the_rebuild(data):
    org = data
    target, _ = sla_target_create(organization=org, actor=None, metric="ticket_first_response", channel="",
                                  priority="", target_seconds=2 * H, business_hours=True)
    rebuild(org)
    DirtyDay.objects.for_org(org).delete()
    assert sla(org)["ticket_first_response"] == (1, 3, 2)
    _target, days = sla_target_update(organization=org, actor=None, target=target, target_seconds=5 * H)
    # The days of the first to the last ticket created (the measure's placing day).
    assert days == {dt.date(2026, 3, 6), dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 9)}
    assert set(DirtyDay.objects.for_org(org).values_list("day", flat=True)) == days
    rebuild_dirty_days(organization=org)
    assert sla(org)["ticket_first_response"] == (3, 3, 0)
    assert listed(org, "ticket_first_response") == {}
    kinds = list(AuditLogEntry.objects.for_org(org).order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == [AuditKind.SLA_TARGET_CREATED, AuditKind.SLA_TARGET_UPDATED]
    assert sla_target_delete(organization=org, actor=None, target=target) == days
    assert not SlaTarget.objects.for_org(org).exists()


def test_a_target_for_email_urgent_marks_only_the_span_of_matching_tickets(data):
    org = data
    TicketFactory(organization=org, channel="phone", priority="urgent", created_at=at(3, 12, 10),
                  first_response_at=at(3, 12, 11))
    _t, days = sla_target_create(organization=org, actor=None, metric="ticket_first_response", channel="phone",
                                 priority="urgent", target_seconds=H, business_hours=False)
    assert days == {dt.date(2026, 3, 12)}


@pytest.mark.parametrize("measure", ["chat_first_response", "ticket_first_response", "ticket_resolution"])
def test_the_breach_list_count_equals_computes_breached_count(data, measure):
    org = data
    for metric, seconds in (("chat_first_response", 60), ("ticket_first_response", 2 * H),
                            ("ticket_resolution", 4 * H)):
        sla_target_create(organization=org, actor=None, metric=metric, channel="", priority="",
                          target_seconds=seconds, business_hours=True)
    rebuild(org)
    assert sla_breaches(organization=org, measure=measure, first=FIRST, last=LAST).count() == sla(org)[measure][2]
    # Resolution in business hours: tk-b (5 h) and tk-c (8 h) breach 4 h; tk-a (1.5 h) is met.
    assert set(listed(org, "ticket_resolution")) == {"tk-b", "tk-c"}
