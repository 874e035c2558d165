"""social_insights (issue 11 item 7), worked out by hand.

Monday 2026-03-02 (Helsinki), channel social unless said:
s1 chat 10:00, tag "bug" (category Technical); s2 chat 10:30, CSAT 5; s3 chat 14:00, CSAT 1;
k1 chat 10:00 on the chat channel with "bug" (not social: never counted);
t1 ticket 11:00 sentiment positive; t2 ticket 12:00 negative, tag "bug"; t3 ticket 12:30 none.
Tuesday 2026-04-14: one more social chat at 09:00.
"""

import datetime as dt

import pytest
from pytest import approx

from reports.metrics import compute
from reports.snapshots import snapshots_rebuild
from tests.factories import SurveyAnswerFactory, TagFactory, TicketFactory
from tests.reports.dataset import MONDAY, answered_chat, local

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 14)


def build(org):
    bug = TagFactory(organization=org, name="bug", category="Technical")
    TagFactory(organization=org, name="billing", category="Money")

    def chat(when, channel="social"):
        return answered_chat(org, None, when, wait=5, frt=10, duration=60, channel=channel)

    s1, s2, s3 = chat(local(MONDAY, 10)), chat(local(MONDAY, 10, 30)), chat(local(MONDAY, 14))
    k1 = chat(local(MONDAY, 10), channel="chat")
    for tagged in (s1, k1):
        tagged.tags.add(bug, through_defaults={"organization": org})
    for answered, score in ((s2, 5), (s3, 1)):
        SurveyAnswerFactory(
            organization=org,
            chat=answered,
            kind="csat",
            scale="1-5",
            score=score,
            answered_at=answered.ended_at,
        )
    for hour, minute, sentiment in ((11, 0, "positive"), (12, 0, "negative"), (12, 30, "")):
        ticket = TicketFactory(
            organization=org,
            channel="social",
            created_at=local(MONDAY, hour, minute),
            sentiment=sentiment,
        )
        if sentiment == "negative":
            ticket.tags.add(bug, through_defaults={"organization": org})
    chat(local(APRIL, 9))


def social(org, first, last):
    return compute(
        organization=org, metric_ids=["social_insights"], first=first, last=last, compare=False
    )["metrics"]["social_insights"]


def test_social_insights_over_one_day_and_several_months(org):
    build(org)
    snapshots_rebuild(organization=org, first=dt.date(2026, 3, 1), last=dt.date(2026, 5, 31))
    day = social(org, MONDAY, MONDAY)
    assert (day["value"], day["n"]) == (6, 6)  # 3 social chats + 3 social tickets
    assert {(c["weekday"], c["hour"]): c["contacts"] for c in day["by_hour"]} == {
        (0, 10): 2,
        (0, 11): 1,
        (0, 12): 2,
        (0, 14): 1,
    }
    assert day["survey"] == {"positive": approx(50.0), "negative": approx(50.0), "n": 2}
    assert day["sentiment"] == {"positive": approx(50.0), "negative": approx(50.0), "n": 2}
    assert (day["technical"], day["technical_count"]) == (approx(100 * 2 / 6), 2)  # s1, t2 (not k1)
    months = social(org, dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    assert months["value"] == 7
    assert months["technical"] == approx(100 * 2 / 7)
    assert {(c["weekday"], c["hour"]): c["contacts"] for c in months["by_hour"]}[(1, 9)] == 1


def test_no_social_contacts_give_null_shares(org):
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    result = social(org, MONDAY, MONDAY)
    assert (result["value"], result["technical"], result["survey"]["positive"]) == (0, None, None)


def test_the_heatmap_over_whole_months_only_reads_the_roll_ups(org):
    # A range of whole months has no edge days: the hour-of-week read must not be empty SQL.
    build(org)
    snapshots_rebuild(organization=org, first=dt.date(2026, 3, 1), last=dt.date(2026, 5, 31))
    heatmap = compute(
        organization=org,
        metric_ids=["traffic_heatmap"],
        first=dt.date(2026, 3, 1),
        last=dt.date(2026, 5, 31),
    )["metrics"]["traffic_heatmap"]
    assert heatmap["value"] == 8  # 5 chats (4 social, k1) + 3 tickets
