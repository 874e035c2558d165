"""engagement_score (issue 11 item 4): a weighted composite of the organization's inputs, with
its formula, worked out by hand (every input weighs 1 until the organization can set weights).

Customers K1, K2 acquired in February, none lost: 2 at the start and at the end of Monday 2026-03-02.
Monday: answered chats c1 (K1, converted), c2 (K1), c3 (K2), c4 (no customer); a missed chat of
K2; ticket t1 (K1); CSAT answers on c1 and c3.
contacts per customer = (4 chats + 1 ticket with a customer) ÷ 2 = 2.5
conversion rate = 1 ÷ 4 answered = 25 %; survey participation = 2 ÷ (4 answered + 1 ticket) = 40 %
"""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import REGISTRY, Totals, compute
from reports.snapshots import snapshots_rebuild
from tests.factories import CustomerFactory, SurveyAnswerFactory, TicketFactory
from tests.reports.dataset import MONDAY, answered_chat, local, missed_chat

pytestmark = pytest.mark.django_db


def build(org):
    k1, k2 = (
        CustomerFactory(organization=org, acquired_at=local(dt.date(2026, 2, d), 12))
        for d in (3, 4)
    )
    chats = [
        answered_chat(
            org,
            None,
            local(MONDAY, 9 + i),
            wait=5,
            frt=10,
            duration=60,
            customer=customer,
            converted_at=local(MONDAY, 9 + i, 30) if i == 0 else None,
        )
        for i, customer in enumerate((k1, k1, k2, None))
    ]
    missed = missed_chat(org, None, local(MONDAY, 15), "timeout")
    missed.customer = k2
    missed.save()
    TicketFactory(organization=org, customer=k1, created_at=local(MONDAY, 16))
    for chat in (chats[0], chats[2]):
        SurveyAnswerFactory(
            organization=org,
            chat=chat,
            kind="csat",
            scale="1-5",
            score=4,
            answered_at=chat.ended_at,
        )
    snapshots_rebuild(organization=org, first=dt.date(2026, 2, 1), last=MONDAY)


def engagement(org):
    return compute(
        organization=org, metric_ids=["engagement_score"], first=MONDAY, last=MONDAY, compare=False
    )["metrics"]["engagement_score"]


def test_default_weights_average_the_inputs(org):
    build(org)
    score = engagement(org)
    assert score["inputs"] == {
        "contacts_per_customer": approx(2.5),
        "conversion_rate": approx(25.0),
        "survey_participation": approx(40.0),
    }
    assert score["value"] == approx((2.5 + 25 + 40) / 3)
    assert score["formula"] == (
        "(1 × contacts per customer + 1 × chat conversion rate (%) + "
        "1 × survey participation (%)) ÷ 3"
    )


def test_weights_and_an_input_left_out():
    # The score's arithmetic with weights (2, 1, 0): the organization cannot set them yet, so the
    # metric is fed them directly; the inputs are Monday's (see the module docstring).
    totals = Totals(
        {
            "contacts_with_customer": 5,
            "conversions": 1,
            "chats_answered": 4,
            "csat_n": 2,
            "tickets_created": 1,
        },
        extra={
            "customers_at_start": 2,
            "engagement_weights": {
                "contacts_per_customer": 2.0,
                "conversion_rate": 1.0,
                "survey_participation": 0.0,
            },
        },
    )
    score = REGISTRY["engagement_score"].evaluate(totals)
    assert score["value"] == approx((2 * 2.5 + 25) / 3)
    assert score["formula"] == "(2 × contacts per customer + 1 × chat conversion rate (%)) ÷ 3"


def test_no_inputs_give_null(org):
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    score = engagement(org)
    assert (score["value"], score["formula"]) == (None, None)


def test_per_day_groups_over_several_days(org):
    build(org)
    groups = {
        g["key"]: g["metrics"]["engagement_score"]
        for g in compute(
            organization=org,
            metric_ids=["engagement_score"],
            first=MONDAY,
            last=MONDAY + dt.timedelta(days=1),
            group_by="day",
            compare=False,
        )["groups"]
    }
    assert groups["2026-03-02"]["value"] == approx((2.5 + 25 + 40) / 3)
    # Tuesday: no contacts, the 2 customers still there: 0 contacts per customer only.
    assert groups["2026-03-03"]["inputs"]["contacts_per_customer"] == 0
    assert groups["2026-03-03"]["value"] == 0
