"""Monthly roll-ups (reports/rollups.py): every month row equals the sum and merge of its day rows
after any rebuild, and compute() reading whole months from them answers exactly what it answers
from day rows alone, for any range, breakdown and filter."""

import datetime as dt
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chats.models import Chat, ChatTag, Ticket
from reports import components as C
from reports.histogram import merge
from reports.metrics import compute
from reports.metrics.base import REGISTRY
from reports.metrics.service import SnapshotReader
from reports.models import HourOfWeekMonthSnapshot, HourSnapshot
from reports.rollups import ROLLUPS, month_end, month_start, next_month, split_range
from reports.snapshots import snapshots_rebuild
from tests.factories import (
    AgentFactory,
    ChatFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)

# Eleven weeks across a year end: November and February in part, December and January whole.
START = dt.date(2025, 11, 17)
END = dt.date(2026, 2, 10)
BEFORE = dt.date(2025, 10, 6)  # a few tickets opened before the window (backlog before it)
METRICS = ["chats_total", "chats_missed", "first_response_time", "wait_time", "handle_time", "csat",
           "fcr_rate", "tickets_total", "resolution_time", "sla_compliance", "channel_mix", "agent_utilization"]


def local(org, day: dt.date, seconds: int) -> dt.datetime:
    midnight = dt.datetime.combine(day, dt.time()).replace(tzinfo=org.tzinfo)
    return (midnight.astimezone(dt.UTC) + dt.timedelta(seconds=seconds))


def populate(org, seed: int = 7) -> dict:
    """Seeded pseudo-random chats, tickets and survey answers over BEFORE..END."""
    rnd = random.Random(seed)
    teams = [TeamFactory(organization=org, name=f"Team {i}", external_id=f"team-{i}") for i in range(2)]
    agents = [AgentFactory(organization=org, external_id=f"agent-{i}", name=f"Agent {i}", team=teams[i % 2])
              for i in range(3)]
    tags = [TagFactory(organization=org, name=name) for name in ("billing", "bug", "vip")]
    days = (END - START).days + 1
    for i in range(160):
        day = START + dt.timedelta(days=rnd.randrange(days))
        requested = local(org, day, rnd.randrange(86400))
        agent = rnd.choice(agents)
        channel = rnd.choice(["chat", "web", "social"])
        if rnd.random() < 0.2:
            chat = ChatFactory(organization=org, external_id=f"c{i}", requested_at=requested, agent=agent, channel=channel,
                               accepted_at=None, first_response_at=None, ended_at=None, closed_at=None, outcome="missed")
        else:
            accepted = requested + dt.timedelta(seconds=rnd.uniform(0, 600))
            ended = accepted + dt.timedelta(seconds=rnd.uniform(30, 3000))
            chat = ChatFactory(
                organization=org, external_id=f"c{i}", requested_at=requested, agent=agent, channel=channel,
                accepted_at=accepted, first_response_at=accepted + dt.timedelta(seconds=rnd.uniform(0, 120)),
                ended_at=ended, closed_at=ended + dt.timedelta(seconds=rnd.uniform(0, 300)) if rnd.random() < 0.7 else None,
                outcome="resolved")
            if rnd.random() < 0.5:
                SurveyAnswerFactory(organization=org, chat=chat, agent=agent, kind="csat", scale="1-5",
                                    score=rnd.randint(1, 5), answered_at=ended + dt.timedelta(minutes=5))
        for tag in rnd.sample(tags, rnd.randint(0, 2)):
            ChatTag.unscoped.create(organization=org, chat=chat, tag=tag)
    for i in range(40):
        day = BEFORE + dt.timedelta(days=rnd.randrange((END - BEFORE).days + 1))
        created = local(org, day, rnd.randrange(86400))
        resolved = created + dt.timedelta(hours=rnd.uniform(1, 24 * 20)) if rnd.random() < 0.7 else None
        if resolved and resolved.astimezone(org.tzinfo).date() > END:
            resolved = None
        TicketFactory(organization=org, external_id=f"t{i}", created_at=created, agent=rnd.choice(agents),
                      resolved_at=resolved, status="resolved" if resolved else "open")
    return {"agents": agents, "teams": teams, "tags": tags}


def rebuild(org, first=BEFORE, last=END):
    snapshots_rebuild(organization=org, first=first, last=last)


# --- the month rows against their day rows ----------------------------------------------------

def reference_months(org, grain) -> dict:
    """{(month, dimension): (sums, histograms)} merged in Python from the day rows."""
    day_model, month_model, dim_field = ROLLUPS[grain]
    hist_names = [h for h in C.HISTOGRAMS if any(f.name == h for f in month_model._meta.fields)]
    out: dict = {}
    for row in day_model.objects.for_org(org).values():
        key = (month_start(row["day"]), row[dim_field] if dim_field else None)
        sums, hists = out.setdefault(key, ({}, {h: [] for h in hist_names}))
        for name in C.ADDITIVE:
            sums[name] = sums.get(name, 0) + row[name]
        for h in hist_names:
            hists[h].append(row[h])
    return {k: (sums, {h: merge(v) for h, v in hists.items()}) for k, (sums, hists) in out.items()}


def reference_hours_of_week(org) -> dict:
    """{(month, weekday, hour): (sums, {})} folded in Python from the hour rows."""
    out: dict = {}
    for row in HourSnapshot.objects.for_org(org).values():
        key = (month_start(row["day"]), row["day"].weekday(), row["hour"])
        sums, hists = out.setdefault(key, ({}, {}))  # sums only (the heatmap's counts)
        for name in C.ADDITIVE:
            sums[name] = sums.get(name, 0) + row[name]
    return out


def assert_month_rows(grain, rows: dict, want: dict) -> None:
    assert set(rows) == set(want), grain
    for key, (sums, hists) in want.items():
        row = rows[key]
        for name in C.ADDITIVE:
            if name in C.INTEGER_COMPONENTS:
                assert row[name] == sums[name], (grain, key, name)
            else:
                assert math.isclose(row[name], sums[name], rel_tol=1e-12, abs_tol=1e-9), (grain, key, name)
        for h, merged in hists.items():
            assert {b: int(n) for b, n in row[h].items()} == merged, (grain, key, h)


def assert_rollups_match(org):
    """Every month row of every grain, histograms included (merged in SQL), equals its day rows
    merged in Python; the hour grain's sums by (month, weekday, hour)."""
    rows = {(r["month"], r["weekday"], r["hour"]): r for r in HourOfWeekMonthSnapshot.objects.for_org(org).values()}
    assert_month_rows("hour of week", rows, reference_hours_of_week(org))
    for grain, (_, month_model, dim_field) in ROLLUPS.items():
        assert C.HISTOGRAMS[0] in {f.name for f in month_model._meta.fields}, grain  # every grain merges them
        want = reference_months(org, grain)
        rows = {(r["month"], r[dim_field] if dim_field else None): r for r in month_model.objects.for_org(org).values()}
        assert_month_rows(grain, rows, want)


@pytest.mark.django_db
def test_month_rows_equal_their_days_through_rebuilds(org):
    populate(org)
    rebuild(org)
    _, month_model, _ = ROLLUPS["org"]
    assert month_model.objects.for_org(org).count() == 5  # October to February
    assert all(rollup[1].objects.for_org(org).exists() for rollup in ROLLUPS.values())
    assert HourOfWeekMonthSnapshot.objects.for_org(org).exists()
    assert any(row.first_response_time_hist for row in ROLLUPS["agent"][1].objects.for_org(org))
    assert_rollups_match(org)

    # Late data in a few days across a month boundary, then their rebuild (two touched months).
    extra_day = dt.date(2025, 12, 31)
    for i in range(5):
        ChatFactory(organization=org, external_id=f"late-{i}", requested_at=local(org, extra_day, 3600 * (i + 1)),
                    agent=Chat.unscoped.filter(organization=org).first().agent, channel="web")
    rebuild(org, dt.date(2025, 12, 30), dt.date(2026, 1, 2))
    assert_rollups_match(org)
    dec = month_model.objects.for_org(org).get(month=dt.date(2025, 12, 1))
    rebuilt_at = dec.built_at

    # A second identical rebuild gives the same rows (and a newer built_at).
    rebuild(org, dt.date(2025, 12, 30), dt.date(2026, 1, 2))
    assert_rollups_match(org)
    assert month_model.objects.for_org(org).get(month=dt.date(2025, 12, 1)).built_at >= rebuilt_at

    # Everything in a month gone: its month rows go too.
    Chat.unscoped.filter(organization=org, requested_at__gte=local(org, dt.date(2026, 2, 1), 0)).delete()
    Ticket.unscoped.filter(organization=org).delete()
    rebuild(org)
    assert_rollups_match(org)


@pytest.mark.django_db
def test_rollups_are_per_organization(org, other_org):
    populate(org)
    populate(other_org, seed=8)
    rebuild(org)
    rebuild(other_org)
    before = list(ROLLUPS["org"][1].objects.for_org(other_org).values())
    rebuild(org, dt.date(2025, 12, 1), dt.date(2025, 12, 3))
    assert list(ROLLUPS["org"][1].objects.for_org(other_org).values()) == before
    assert_rollups_match(org)
    assert_rollups_match(other_org)


# --- compute() from roll-ups equals compute() from day rows -----------------------------------

def assert_same(got, want, path="result"):
    if isinstance(want, float) and isinstance(got, float):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), path
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), path
        for k in want:
            assert_same(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        assert got == want, path


def day_rows_only(monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(SnapshotReader, "use_rollups", False)
        return compute(**kwargs)


@pytest.fixture
def dataset(org):
    made = populate(org)
    rebuild(org)
    return made


day_offsets = st.integers(0, (END - BEFORE).days)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_compute_from_rollups_equals_day_rows(org, dataset, monkeypatch, data):
    a, b = sorted(data.draw(st.tuples(day_offsets, day_offsets), label="range"))
    first, last = BEFORE + dt.timedelta(days=a), BEFORE + dt.timedelta(days=b)
    if data.draw(st.booleans(), label="snap to months"):
        first, last = month_start(first), month_end(last)
    group_by = data.draw(st.sampled_from([None, "month", "week", "day", "agent", "team", "channel", "tag"]), label="group_by")
    dimension = data.draw(st.sampled_from([None, "agent", "team", "channel", "tag"]), label="filter")
    filters = {}
    if dimension and group_by in (None, "month", "week", "day", dimension):
        choices = {"agent": [x.external_id for x in dataset["agents"]], "team": [x.external_id for x in dataset["teams"]],
                   "channel": ["chat", "web", "social"], "tag": [x.name for x in dataset["tags"]]}[dimension]
        filters = {dimension: data.draw(st.lists(st.sampled_from(choices), min_size=1, max_size=2, unique=True), label="values")}
    ids = [m for m in METRICS if group_by is None or group_by in REGISTRY[m].breakdowns]
    kwargs = {"organization": org, "metric_ids": ids, "first": first, "last": last, "group_by": group_by,
              "filters": filters, "compare": data.draw(st.booleans(), label="compare")}
    assert_same(compute(**kwargs), day_rows_only(monkeypatch, **kwargs))


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last"), [
    (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),   # one whole month
    (dt.date(2025, 12, 1), dt.date(2026, 1, 31)),    # two, across the year end
    (dt.date(2025, 11, 20), dt.date(2026, 2, 5)),    # whole months between partial ones
    (dt.date(2025, 12, 15), dt.date(2025, 12, 15)),  # a single day
    (dt.date(2025, 10, 1), dt.date(2026, 2, 28)),    # every month, whole
])
@pytest.mark.parametrize("group_by", [None, "month", "agent", "tag"])
def test_compute_examples(org, dataset, monkeypatch, first, last, group_by):
    ids = [m for m in METRICS if group_by is None or group_by in REGISTRY[m].breakdowns]
    kwargs = {"organization": org, "metric_ids": ids, "first": first, "last": last, "group_by": group_by}
    got = compute(**kwargs)
    assert_same(got, day_rows_only(monkeypatch, **kwargs))
    if group_by in ("agent", "tag"):  # totals over that grain (a chat with two tags counts twice)
        return
    assert got["metrics"]["chats_total"]["value"] == Chat.unscoped.filter(
        organization=org, requested_at__gte=local(org, first, 0),
        requested_at__lt=local(org, last + dt.timedelta(days=1), 0)).count()


# --- the calendar ------------------------------------------------------------------------------

def test_split_range():
    d = dt.date
    assert split_range(d(2025, 1, 1), d(2025, 12, 31)) == ((d(2025, 1, 1), d(2025, 12, 1)), [])
    assert split_range(d(2025, 1, 15), d(2025, 3, 10)) == ((d(2025, 2, 1), d(2025, 2, 1)),
                                                          [(d(2025, 1, 15), d(2025, 1, 31)), (d(2025, 3, 1), d(2025, 3, 10))])
    assert split_range(d(2025, 1, 15), d(2025, 2, 10)) == (None, [(d(2025, 1, 15), d(2025, 2, 10))])
    assert split_range(d(2024, 2, 1), d(2024, 2, 29)) == ((d(2024, 2, 1), d(2024, 2, 1)), [])
    assert split_range(d(2024, 12, 5), d(2025, 1, 31)) == ((d(2025, 1, 1), d(2025, 1, 1)), [(d(2024, 12, 5), d(2024, 12, 31))])
    assert split_range(d(2025, 6, 1), d(2025, 6, 1)) == (None, [(d(2025, 6, 1), d(2025, 6, 1))])
    assert next_month(d(2025, 12, 1)) == d(2026, 1, 1) and month_end(d(2024, 2, 10)) == d(2024, 2, 29)


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), st.integers(0, 800))
def test_split_range_covers_every_day_once(first, length):
    last = first + dt.timedelta(days=length)
    months, days = split_range(first, last)
    covered = []
    for lo, hi in days:
        covered += [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    if months:
        m = months[0]
        while m <= months[1]:
            covered += [m + dt.timedelta(days=i) for i in range((month_end(m) - m).days + 1)]
            m = next_month(m)
    assert sorted(covered) == [first + dt.timedelta(days=i) for i in range(length + 1)]
