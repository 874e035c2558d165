"""Writes that change survey snapshots on other days than their own mark those days dirty:
a CSAT answer the days of its conversation's CES answers (CES–CSAT correlation), a canned
response use the chat's day and its answers' days (CSAT after canned), a customer's new segment
the days of the answers counted under it. Through the bulk API and through the admin."""

import datetime as dt
import json

import pytest
from django.contrib.admin.sites import site

from chats.models import Customer
from reports.models import DirtyDay
from surveys.models import SurveyAnswer
from tests.factories import (
    AgentFactory,
    CannedResponseFactory,
    ChatFactory,
    CustomerFactory,
    SurveyAnswerFactory,
)
from tests.reports.dataset import local

pytestmark = pytest.mark.django_db
MON, TUE, WED, FRI = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 6)


def dirty(org):
    return set(DirtyDay.objects.for_org(org).values_list("day", flat=True))


def post_bulk(client, entity, items):
    response = client.post(f"/api/v1/{entity}/bulk", json.dumps({"items": items}), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_csat_answer_marks_the_days_of_its_conversations_ces_answers(org, api_client):
    chat = ChatFactory(organization=org, external_id="chat-1", requested_at=local(MON, 10))
    SurveyAnswerFactory(organization=org, chat=chat, kind="ces", scale="1-7", score=2, answered_at=local(TUE, 9))
    other = ChatFactory(organization=org, external_id="chat-2", requested_at=local(MON, 11))
    SurveyAnswerFactory(organization=org, chat=other, kind="ces", scale="1-7", score=6, answered_at=local(WED, 9))
    DirtyDay.objects.for_org(org).delete()

    post_bulk(api_client, "survey-answers", [{
        "external_id": "s-csat", "kind": "csat", "score": 5, "chat": "chat-1",
        "answered_at": local(FRI, 12).isoformat(),
    }])
    # Its own day and the CES answer of the same chat; not the other chat's CES day.
    assert dirty(org) == {FRI, TUE}


def test_a_ces_answer_marks_only_its_own_day(org, api_client):
    chat = ChatFactory(organization=org, external_id="chat-1", requested_at=local(MON, 10))
    SurveyAnswerFactory(organization=org, chat=chat, kind="csat", scale="1-5", score=4, answered_at=local(TUE, 9))
    DirtyDay.objects.for_org(org).delete()
    post_bulk(api_client, "survey-answers", [{
        "external_id": "s-ces", "kind": "ces", "score": 3, "chat": "chat-1", "answered_at": local(WED, 12).isoformat(),
    }])
    assert dirty(org) == {WED}


def test_a_canned_use_marks_its_chats_day_and_its_answers_days(org, api_client):
    chat = ChatFactory(organization=org, external_id="chat-1", requested_at=local(MON, 23, 50))
    SurveyAnswerFactory(organization=org, chat=chat, kind="csat", scale="1-5", score=5, answered_at=local(WED, 8))
    CannedResponseFactory(organization=org, external_id="cr-1")
    AgentFactory(organization=org, external_id="a-1")
    DirtyDay.objects.for_org(org).delete()
    post_bulk(api_client, "canned-response-uses", [{
        "external_id": "u-1", "canned_response": "cr-1", "agent": "a-1", "chat": "chat-1",
        "used_at": local(TUE, 0, 5).isoformat(),
    }])
    assert dirty(org) == {TUE, MON, WED}


def test_a_customers_new_segment_marks_the_days_of_answers_counted_under_it(org, api_client):
    customer = CustomerFactory(organization=org, external_id="c-1", segment="smb")
    chat = ChatFactory(organization=org, customer=customer, requested_at=local(MON, 10))
    SurveyAnswerFactory(organization=org, chat=chat, kind="nps", scale="0-10", score=9, answered_at=local(TUE, 9))
    SurveyAnswerFactory(organization=org, customer=customer, kind="csat", scale="1-5", score=2, answered_at=local(WED, 9))
    # An answer with a segment of its own is not counted under the customer's.
    SurveyAnswerFactory(organization=org, customer=customer, kind="csat", scale="1-5", score=2,
                        answered_at=local(FRI, 9), segment="vip")
    DirtyDay.objects.for_org(org).delete()
    item = {"external_id": "c-1", "name": customer.name, "segment": "smb", "acquired_at": customer.acquired_at.isoformat()}

    post_bulk(api_client, "customers", [item])  # the same segment: nothing to rebuild
    assert dirty(org) == set()
    post_bulk(api_client, "customers", [{**item, "segment": "enterprise"}])
    assert dirty(org) == {TUE, WED}


def test_admin_saves_mark_the_same_days(org):
    customer = CustomerFactory(organization=org, segment="smb")
    chat = ChatFactory(organization=org, customer=customer, requested_at=local(MON, 10))
    ces = SurveyAnswerFactory(organization=org, chat=chat, kind="ces", scale="1-7", score=2, answered_at=local(TUE, 9))
    csat = SurveyAnswerFactory(organization=org, chat=chat, kind="csat", scale="1-5", score=4, answered_at=local(WED, 9))

    answers = site._registry[SurveyAnswer]
    assert answers.touched_days(csat) == {WED, TUE}
    assert answers.touched_days(ces) == {TUE}
    assert site._registry[Customer].touched_days(customer) == {TUE, WED}
