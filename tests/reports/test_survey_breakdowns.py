"""CES distribution, the CES–CSAT correlation, and survey snapshots per segment and touchpoint,
against numbers worked out by hand.

Organization acme (Europe/Helsinki, CSAT on 1-5). Chats c1..c5 on Monday 2026-03-02.

answer  chat  kind  scale  score  answered   segment   touchpoint   customer (segment)
s1      c1    ces   1-7    2      Tue 09:00  —         post-chat    K1 (enterprise)
s2      c2    ces   1-7    5      Tue 10:00  vip       post-chat    K1 (enterprise)
s3      c3    ces   1-7    6      Tue 23:30  —         post-chat    —
s4      c4    ces   1-7    3      Wed 00:30  —         email        K2 (smb)
s5      c5    ces   1-5    4      Tue 11:00  —         —            K2 (smb)
s6      c1    csat  1-5    5      Wed 09:00  —         post-chat    K1
s7      c1    csat  1-5    4      Wed 10:00  —         post-chat    K1
s8      c2    csat  1-5    3      Mon 12:00  —         —            K1
s9      c3    csat  1-5    1      Thu 09:00  —         —            —
s10     c3    csat  1-10   10     Thu 09:10  —         —            —   (not the organization's scale)

CES–CSAT pairs (on the CES answer's day; CSAT = mean of the conversation's 1-5 answers):
s1 (2, 4.5), s2 (5, 3), s3 (6, 1); s4 has no CSAT; s5 is on 1-5. n = 3,
Σx = 13, Σy = 8.5, Σx² = 65, Σy² = 30.25, Σxy = 30;
r = (3·30 − 13·8.5) / √((3·65 − 13²)(3·30.25 − 8.5²)) = −20.5 / √(26 · 18.5) = −0.934 71.
"""

import datetime as dt
import math

import pytest

from reports.metrics import compute
from reports.models import SegmentDaySnapshot, TouchpointDaySnapshot
from reports.snapshots import snapshots_rebuild
from tests.factories import ChatFactory, CustomerFactory, SurveyAnswerFactory
from tests.reports.dataset import local

pytestmark = pytest.mark.django_db
MON, TUE, WED, THU = (dt.date(2026, 3, d) for d in (2, 3, 4, 5))


@pytest.fixture
def answers(org):
    k1 = CustomerFactory(organization=org, segment="enterprise")
    k2 = CustomerFactory(organization=org, segment="smb")
    chats = {f"c{i}": ChatFactory(organization=org, external_id=f"c{i}", requested_at=local(MON, 8 + i),
                                  customer={1: k1, 2: k1, 4: k2, 5: k2}.get(i))
             for i in range(1, 6)}
    rows = [
        ("c1", "ces", "1-7", 2, local(TUE, 9), "", "post-chat"),
        ("c2", "ces", "1-7", 5, local(TUE, 10), "vip", "post-chat"),
        ("c3", "ces", "1-7", 6, local(TUE, 23, 30), "", "post-chat"),
        ("c4", "ces", "1-7", 3, local(WED, 0, 30), "", "email"),
        ("c5", "ces", "1-5", 4, local(TUE, 11), "", ""),
        ("c1", "csat", "1-5", 5, local(WED, 9), "", "post-chat"),
        ("c1", "csat", "1-5", 4, local(WED, 10), "", "post-chat"),
        ("c2", "csat", "1-5", 3, local(MON, 12), "", ""),
        ("c3", "csat", "1-5", 1, local(THU, 9), "", ""),
        ("c3", "csat", "1-10", 10, local(THU, 9, 10), "", ""),
    ]
    for chat, kind, scale, score, at, segment, touchpoint in rows:
        SurveyAnswerFactory(organization=org, chat=chats[chat], kind=kind, scale=scale, score=score,
                            answered_at=at, segment=segment, touchpoint=touchpoint)
    snapshots_rebuild(organization=org, first=MON, last=THU)


def ces(org, first, last):
    return compute(organization=org, metric_ids=["ces"], first=first, last=last, compare=False)["metrics"]["ces"]


def test_distribution_counts_answers_per_score_on_each_scale(org, answers):
    result = ces(org, MON, THU)
    assert result["distribution"] == {
        "1-7": {"1": 0, "2": 1, "3": 1, "4": 0, "5": 1, "6": 1, "7": 0},
        "1-5": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }
    # Tuesday alone (Helsinki): s1, s2, s3 on 1-7 and s5 on 1-5; s4 is Wednesday 00:30.
    assert ces(org, TUE, TUE)["distribution"]["1-7"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1, "6": 1, "7": 0}


def test_ces_csat_correlation_pairs_answers_of_the_same_conversation(org, answers):
    result = ces(org, MON, THU)["csat_correlation"]
    assert result["n"] == 3
    assert math.isclose(result["r"], -20.5 / math.sqrt(26 * 18.5), rel_tol=1e-12)
    # The pairs sit on the CES answers' day, whenever the CSAT answers came.
    assert ces(org, TUE, TUE)["csat_correlation"]["n"] == 3
    assert ces(org, WED, THU)["csat_correlation"] == {"r": None, "n": 0}


def test_fewer_than_three_pairs_or_no_variation_give_no_correlation(org):
    chat = ChatFactory(organization=org, requested_at=local(MON, 9))
    SurveyAnswerFactory(organization=org, chat=chat, kind="ces", scale="1-7", score=4, answered_at=local(MON, 10))
    SurveyAnswerFactory(organization=org, chat=chat, kind="csat", scale="1-5", score=4, answered_at=local(MON, 10))
    snapshots_rebuild(organization=org, first=MON, last=MON)
    assert ces(org, MON, MON)["csat_correlation"] == {"r": None, "n": 1}
    for i in range(2):  # three pairs now, but every CES score is 4
        other = ChatFactory(organization=org, requested_at=local(MON, 11 + i))
        SurveyAnswerFactory(organization=org, chat=other, kind="ces", scale="1-7", score=4, answered_at=local(MON, 12))
        SurveyAnswerFactory(organization=org, chat=other, kind="csat", scale="1-5", score=1 + i, answered_at=local(MON, 12))
    snapshots_rebuild(organization=org, first=MON, last=MON)
    assert ces(org, MON, MON)["csat_correlation"] == {"r": None, "n": 3}


def test_segment_snapshots_use_the_answers_segment_else_its_customers(org, answers):
    rows = {(r.day, r.segment): (r.ces_n, r.ces5_n, r.csat_n) for r in SegmentDaySnapshot.objects.for_org(org)}
    assert rows == {
        (TUE, "enterprise"): (1, 0, 0),  # s1 (K1)
        (TUE, "vip"): (1, 0, 0),         # s2: its own segment beats K1's
        (TUE, ""): (1, 0, 0),            # s3: no customer
        (TUE, "smb"): (0, 1, 0),         # s5 (K2)
        (WED, "smb"): (1, 0, 0),         # s4 (K2)
        (WED, "enterprise"): (0, 0, 2),  # s6, s7 (K1)
        (MON, "enterprise"): (0, 0, 1),  # s8 (K1)
        (THU, ""): (0, 0, 2),            # s9, s10
    }


def test_touchpoint_snapshots(org, answers):
    rows = {(r.day, r.touchpoint): (r.ces_n, r.csat_n) for r in TouchpointDaySnapshot.objects.for_org(org)}
    assert rows == {
        (TUE, "post-chat"): (3, 0), (TUE, ""): (0, 0), (WED, "email"): (1, 0), (WED, "post-chat"): (0, 2),
        (MON, ""): (0, 1), (THU, ""): (0, 2),
    }
    assert TouchpointDaySnapshot.objects.for_org(org).get(day=TUE, touchpoint="").ces5_n == 1


def groups(org, group_by, metrics=("ces", "csat"), **kwargs):
    result = compute(organization=org, metric_ids=list(metrics), first=MON, last=THU, group_by=group_by,
                     compare=False, **kwargs)
    return {g["key"]: {m: (v["value"], v["n"]) for m, v in g["metrics"].items()} for g in result["groups"]}


def test_survey_scores_by_segment(org, answers):
    by_segment = groups(org, "segment")
    # CES (1-7): enterprise s1 → 2; vip s2 → 5; smb s4 → 3; "" s3 → 6. CSAT (1-5): enterprise
    # s6, s7, s8 → 5, 4, 3 (positive 2 of 3); "" s9 → 1 (s10 is on 1-10: 10, positive).
    assert by_segment["enterprise"]["ces"] == (2.0, 1)
    assert by_segment["vip"]["ces"] == (5.0, 1)
    assert by_segment["smb"]["ces"] == (3.0, 1)  # s5 (1-5) is reported on its own scale
    assert by_segment[""]["ces"] == (6.0, 1)
    assert by_segment["enterprise"]["csat"] == (pytest.approx(200 / 3), 3)
    assert by_segment[""]["csat"] == (50.0, 2)
    labels = {g["key"]: g["label"] for g in compute(organization=org, metric_ids=["nps"], first=MON, last=THU,
                                                      group_by="segment", compare=False)["groups"]}
    assert labels[""] == "No segment" and labels["vip"] == "vip"


def test_survey_scores_by_touchpoint_and_filtered_by_segment(org, answers):
    assert groups(org, "touchpoint", metrics=("ces",)) == {
        "post-chat": {"ces": (pytest.approx(13 / 3), 3)}, "email": {"ces": (3.0, 1)}, "": {"ces": (4.0, 1)}}
    filtered = compute(organization=org, metric_ids=["csat"], first=MON, last=THU, compare=False,
                       filters={"segment": ["enterprise", "nobody-uses-this"]})["metrics"]["csat"]
    assert (filtered["value"], filtered["n"]) == (pytest.approx(200 / 3), 3)


def test_only_survey_scores_break_down_by_segment(org, answers):
    from reports.metrics.service import MetricsQueryError

    with pytest.raises(MetricsQueryError, match="cannot be grouped by segment"):
        compute(organization=org, metric_ids=["csat", "chats_total"], first=MON, last=THU, group_by="segment")
    with pytest.raises(MetricsQueryError, match="cannot be filtered by touchpoint"):
        compute(organization=org, metric_ids=["chats_total"], first=MON, last=THU, filters={"touchpoint": ["email"]})


def test_the_api_groups_by_segment(org, answers, api_client):
    response = api_client.get("/api/v1/metrics/", {"metrics": "nps,ces", "from": "2026-03-02", "to": "2026-03-05",
                                                   "group_by": "touchpoint", "touchpoint": "email"})
    assert response.status_code == 200, response.content
    assert [g["key"] for g in response.json()["groups"]] == ["email"]
    bad = api_client.get("/api/v1/metrics/", {"metrics": "chats_total", "from": "2026-03-02", "to": "2026-03-05",
                                              "group_by": "segment"})
    assert bad.status_code == 400 and "group_by" in str(bad.json())
