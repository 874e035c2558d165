"""Canned responses per response (issue 16 item 6): group_by="canned_response" of canned_usage,
from the canned-response day snapshots (day rows only: the grain has no monthly roll-up), worked out by hand.

Monday 2026-03-02 (Europe/Helsinki):
chat  answered  canned uses          CSAT
c1    yes       R1 ×2, R2 ×1         5 (positive)
c2    yes       R1 ×1                2
c3    yes       —                    4 (positive)
c4    missed    —                    —
ticket t1 uses R2 once (a use, not a chat). R1 saves 30 s (20 words at 40 wpm), R2 12 s (set).
"""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import MetricsQueryError, compute
from reports.metrics.service import SnapshotReader
from reports.models import CannedResponseDaySnapshot
from reports.snapshots import snapshots_rebuild
from tests.factories import (
    AgentFactory,
    CannedResponseFactory,
    CannedResponseUseFactory,
    SurveyAnswerFactory,
    TicketFactory,
)
from tests.reports.dataset import MONDAY, answered_chat, local, missed_chat

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 14)


def use_in_chat(response, chat, minute):
    """A use of ``response`` in ``chat``, ``minute`` minutes after it was accepted."""
    CannedResponseUseFactory(
        organization=chat.organization,
        canned_response=response,
        agent=chat.agent,
        chat=chat,
        used_at=chat.accepted_at + dt.timedelta(minutes=minute),
    )


def build(org):
    agent = AgentFactory(organization=org)
    r1 = CannedResponseFactory(
        organization=org, external_id="r1", title="Greeting", text=" ".join(["word"] * 20)
    )
    r2 = CannedResponseFactory(organization=org, external_id="r2", title="Refund", seconds_saved=12)
    chats = [
        answered_chat(org, agent, local(MONDAY, h), wait=10, frt=20, duration=300)
        for h in (10, 11, 12)
    ]
    missed_chat(org, agent, local(MONDAY, 13), "visitor_left")
    c1, c2, c3 = chats
    for response, chat, minute in ((r1, c1, 1), (r1, c1, 2), (r2, c1, 3), (r1, c2, 1)):
        use_in_chat(response, chat, minute)
    ticket = TicketFactory(organization=org, agent=agent, created_at=local(MONDAY, 9))
    CannedResponseUseFactory(
        organization=org,
        canned_response=r2,
        agent=agent,
        ticket=ticket,
        used_at=local(MONDAY, 9, 30),
    )
    for chat, score in ((c1, 5), (c2, 2), (c3, 4)):
        SurveyAnswerFactory(
            organization=org,
            chat=chat,
            kind="csat",
            scale="1-5",
            score=score,
            answered_at=chat.ended_at,
        )
    return agent, r1, r2


def by_response(result):
    return {g["key"]: g["metrics"]["canned_usage"] for g in result["groups"]}


def test_per_response_uses_chats_csat_and_time_saved_over_one_day(org):
    build(org)
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    result = compute(
        organization=org,
        metric_ids=["canned_usage"],
        first=MONDAY,
        last=MONDAY,
        group_by="canned_response",
        compare=False,
    )
    groups = by_response(result)
    assert [g["label"] for g in result["groups"]] == ["Greeting", "Refund"]
    r1, r2 = groups["r1"], groups["r2"]
    # R1: 3 uses in 2 answered chats (c1 counted once) of the day's 3 answered chats; CSAT of
    # c1 (5, positive) and c2 (2): 1 of 2; 3 uses × 30 s.
    assert (r1["uses"], r1["chats"], r1["n"]) == (3, 2, 3)
    assert r1["value"] == approx(100 * 2 / 3)
    assert (r1["csat_with"], r1["csat_with_n"]) == (approx(50.0), 2)
    assert r1["time_saved_seconds"] == approx(90)
    assert r1["per_chat"] == approx(1.5)
    # R2: one use in c1, one on a ticket (a use, no chat): 1 chat, CSAT 1 of 1, 2 × 12 s.
    assert (r2["uses"], r2["chats"], r2["csat_with"], r2["time_saved_seconds"]) == (
        2,
        1,
        approx(100.0),
        approx(24),
    )
    assert r2["value"] == approx(100 / 3)
    # The per-response rows add nothing to the organization's figures: c1 and c2 used canned
    # responses (2 of 3 answered), 5 uses, 90 + 24 s; CSAT with 1 of 2, without (c3) 1 of 1.
    org_level = compute(
        organization=org, metric_ids=["canned_usage"], first=MONDAY, last=MONDAY, compare=False
    )["metrics"]["canned_usage"]
    assert (org_level["count"], org_level["n"], org_level["uses"]) == (2, 3, 5)
    assert org_level["time_saved_seconds"] == approx(114)
    assert (org_level["csat_with"], org_level["csat_without"]) == (approx(50.0), approx(100.0))


def test_per_response_over_several_months_adds_components_and_divides_once(org):
    agent, r1, _r2 = build(org)
    # April: one more answered chat using R1 twice, CSAT 5.
    c5 = answered_chat(org, agent, local(APRIL, 10), wait=10, frt=20, duration=300)
    for minute in (1, 2):
        use_in_chat(r1, c5, minute)
    SurveyAnswerFactory(
        organization=org, chat=c5, kind="csat", scale="1-5", score=5, answered_at=c5.ended_at
    )
    first, last = dt.date(2026, 3, 1), dt.date(2026, 5, 31)
    snapshots_rebuild(organization=org, first=first, last=last)
    # One day row of R1 per day it was used on (no monthly roll-up for this grain).
    assert CannedResponseDaySnapshot.objects.for_org(org).filter(canned_response=r1).count() == 2

    def read():
        return compute(
            organization=org,
            metric_ids=["canned_usage"],
            first=first,
            last=last,
            group_by="canned_response",
            compare=False,
        )

    with_rollups = by_response(read())
    r1_range = with_rollups["r1"]
    # R1: 3 + 2 uses; chats c1, c2, c5 of 4 answered; CSAT 5, 2, 5: 2 of 3; 5 × 30 s.
    assert (r1_range["uses"], r1_range["chats"], r1_range["n"]) == (5, 3, 4)
    assert r1_range["value"] == approx(75.0)
    assert r1_range["csat_with"] == approx(100 * 2 / 3)
    assert r1_range["time_saved_seconds"] == approx(150)
    # The answered chats of the whole months come from the org roll-ups; day rows alone agree.
    SnapshotReader.use_rollups = False
    try:
        assert by_response(read()) == with_rollups
    finally:
        SnapshotReader.use_rollups = True


def test_only_canned_usage_is_grouped_by_canned_response(org):
    with pytest.raises(MetricsQueryError) as err:
        compute(
            organization=org,
            metric_ids=["csat"],
            first=MONDAY,
            last=MONDAY,
            group_by="canned_response",
        )
    assert err.value.field == "group_by"
