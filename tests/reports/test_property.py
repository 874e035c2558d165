"""compute() over snapshots equals the same metrics computed directly from raw rows, for random
data, random ranges (across the spring DST change) and random breakdowns; percentiles within 2%."""

import datetime as dt
import statistics
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest import approx

from chats.models import Chat
from reports.histogram import exact_quantile
from reports.metrics import compute
from reports.metrics.service import week_start
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, ChatFactory

START = dt.date(2026, 3, 24)  # Helsinki moves its clocks on the 29th
DAYS = 10

chat_strategy = st.fixed_dictionaries({
    "day": st.integers(0, DAYS - 1),
    "second_of_day": st.integers(0, 86399),
    "answered": st.booleans(),
    "wait": st.floats(0, 900, allow_nan=False),
    "reply_after_accept": st.floats(0, 300, allow_nan=False),
    "duration": st.floats(1, 3600, allow_nan=False),
    "agent": st.integers(0, 2),
    "channel": st.sampled_from(["chat", "social", "web"]),
})


@pytest.fixture
def agents(org):
    return [AgentFactory(organization=org, external_id=f"agent-{i}") for i in range(3)]


def make_chats(org, agents, specs):
    tz = org.tzinfo
    rows = []
    for i, spec in enumerate(specs):
        day = START + dt.timedelta(days=spec["day"])
        local_midnight = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz)
        requested = (local_midnight.astimezone(dt.UTC) + dt.timedelta(seconds=spec["second_of_day"]))
        fields = {"accepted_at": None, "first_response_at": None, "ended_at": None, "closed_at": None, "outcome": "missed"}
        if spec["answered"]:
            accepted = requested + dt.timedelta(seconds=spec["wait"])
            fields = {
                "accepted_at": accepted, "first_response_at": accepted + dt.timedelta(seconds=spec["reply_after_accept"]),
                "ended_at": accepted + dt.timedelta(seconds=spec["duration"]), "closed_at": None, "outcome": "resolved",
            }
        chat = ChatFactory(organization=org, external_id=f"p{i}", requested_at=requested,
                           agent=agents[spec["agent"]], channel=spec["channel"], **fields)
        rows.append(chat)
    return rows


def group_key(org, chat, group_by):
    day = chat.requested_at.astimezone(org.tzinfo).date()
    return {None: (), "day": day.isoformat(), "week": week_start(org, day).isoformat(),
            "agent": chat.agent.external_id, "channel": chat.channel}[group_by]


def expected(org, chats, first, last, group_by):
    groups = defaultdict(list)
    for chat in chats:
        if first <= chat.requested_at.astimezone(org.tzinfo).date() <= last:
            groups[group_key(org, chat, group_by)].append(chat)
    out = {}
    for key, members in groups.items():
        answered = [c for c in members if c.accepted_at]
        waits = [(c.accepted_at - c.requested_at).total_seconds() for c in answered]
        frts = [(c.first_response_at - c.requested_at).total_seconds() for c in answered]
        out[key] = {"chats_total": len(members), "chats_answered": len(answered),
                    "wait_avg": statistics.fmean(waits) if waits else None,
                    "frt_p50": exact_quantile(frts, 0.5), "frt_p90": exact_quantile(frts, 0.9)}
    return out


def check(result: dict, want: dict):
    assert result["chats_total"]["value"] == want["chats_total"]
    assert result["chats_answered"]["value"] == want["chats_answered"]
    if want["wait_avg"] is None:
        assert result["wait_time"]["avg"] is None
    else:
        assert result["wait_time"]["avg"] == approx(want["wait_avg"], rel=1e-9, abs=1e-6)
    for q in ("p50", "p90"):
        exact, got = want[f"frt_{q}"], result["first_response_time"][q]
        if exact is None:
            assert got is None
        else:
            assert abs(got - exact) <= 0.02 * exact + 1e-6


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_snapshots_equal_raw_rows(org, agents, data):
    Chat.unscoped.filter(organization=org).delete()
    chats = make_chats(org, agents, data.draw(st.lists(chat_strategy, max_size=40), label="chats"))
    snapshots_rebuild(organization=org, first=START, last=START + dt.timedelta(days=DAYS - 1))
    first_offset = data.draw(st.integers(0, DAYS - 1), label="first")
    first = START + dt.timedelta(days=first_offset)
    last = first + dt.timedelta(days=data.draw(st.integers(0, DAYS - 1 - first_offset), label="length"))
    group_by = data.draw(st.sampled_from([None, "day", "week", "agent", "channel"]), label="group_by")

    ids = ["chats_total", "chats_answered", "wait_time", "first_response_time"]
    result = compute(organization=org, metric_ids=ids, first=first, last=last, group_by=group_by, compare=False)
    want = expected(org, chats, first, last, group_by)
    empty = {"chats_total": 0, "chats_answered": 0, "wait_avg": None, "frt_p50": None, "frt_p90": None}
    total = expected(org, chats, first, last, None).get((), empty)
    check(result["metrics"], total)
    if group_by is None:
        return
    got = {g["key"]: g["metrics"] for g in result["groups"]}
    for key, values in want.items():
        check(got[key], values)
    for key, metrics in got.items():  # groups without data are zero, never invented
        if key not in want:
            check(metrics, empty)
