"""reports.breaches.sla_breaches: the list behind sla_compliance's breached counts.

Organization "acme", Europe/Helsinki (UTC+2 until 2026-03-29 03:00, then UTC+3).

Targets (seconds) the organization set:
  chat_first_response  any channel 60; social 300        (chat wait: none set → default 60)
  ticket_resolution    any 86400; high 14400; email+high 7200
  ticket_first_response: none set → defaults (urgent 1 h, high 4 h, normal 8 h, low 24 h)

chat            local requested   channel  wait  FRT    breaches
ch-fast         03-02 10:00       chat     20    30     —
ch-slow-frt     03-02 11:00       chat     50    90     FRT (90 > 60, by 30)
ch-slow-wait    03-02 12:00       chat     100   110    wait (100 > 60, by 40), FRT (by 50)
ch-social       03-02 13:00       social   70    200    wait (by 10); FRT met (social 300 beats any 60)
ch-equal        03-02 14:00       chat     60    60     — (equal to the target is met)
ch-no-reply     03-02 15:00       chat     30    —      — (accepted, never replied: no FRT value)
ch-missed       03-02 16:00       chat     missed     — (no values)
ch-late         03-02 23:59:30    chat     10    90     FRT (the last seconds of 03-02)
ch-early        03-03 00:00:30    chat     10    90     FRT (the first seconds of 03-03)

ticket  channel  priority  created (local)  first reply  resolved          breaches
tk-1    email    high      03-02 09:00      +2 h         +3 h (03-02)       resolution (10800 > email+high 7200)
tk-2    phone    high      03-02 10:00      +5 h         +3 h (03-02)       first response (18000 > 14400); resolution met (high 14400)
tk-3    email    normal    03-02 11:00      —            +5 h (03-02)       — (no first reply; resolution 18000 ≤ 86400)
tk-4    email    low       03-02 12:00      +25 h        +2 d (03-04)       first response (90000 > 86400, on 03-02),
                                                                            resolution (172800 > 86400, on 03-04)
"""

import datetime as dt
import random

import pytest

from reports.breaches import MEASURES, sla_breaches
from reports.metrics import MetricsQueryError, compute
from reports.metrics.service import MAX_RANGE_DAYS
from reports.models import SlaTarget
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, ChatFactory, TeamFactory, TicketFactory
from tests.reports.dataset import HEL, MONDAY, local, secs

pytestmark = pytest.mark.django_db
TUESDAY, WEDNESDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
HOUR = 3600


def chat(org, agent, external_id, requested, *, wait=None, frt=None, channel="chat", team=None):
    accepted = requested + secs(wait) if wait is not None else None
    return ChatFactory(
        organization=org, agent=agent, team=team, external_id=external_id, channel=channel,
        requested_at=requested, accepted_at=accepted, first_response_at=requested + secs(frt) if frt is not None else None,
        ended_at=accepted + secs(600) if accepted else None, closed_at=None,
        outcome="resolved" if accepted else "missed", missed_reason="" if accepted else "visitor_left",
    )


def ticket(org, agent, external_id, created, *, channel, priority, first_reply=None, resolved=None, team=None):
    return TicketFactory(
        organization=org, agent=agent, team=team, external_id=external_id, channel=channel, priority=priority,
        created_at=created, first_response_at=created + secs(first_reply) if first_reply is not None else None,
        resolved_at=created + secs(resolved) if resolved is not None else None,
        status="resolved" if resolved is not None else "open",
    )


def build(org):
    t1, t2 = TeamFactory(organization=org, external_id="t1", name="Tier 1"), TeamFactory(organization=org, external_id="t2", name="Tier 2")
    a1 = AgentFactory(organization=org, team=t1, external_id="a1", name="Aino")
    a2 = AgentFactory(organization=org, team=t2, external_id="a2", name="Bo")
    for metric, channel, priority, seconds in (
        ("chat_first_response", "", "", 60), ("chat_first_response", "social", "", 300),
        ("ticket_resolution", "", "", 86400), ("ticket_resolution", "", "high", 14400),
        ("ticket_resolution", "email", "high", 7200),
    ):
        SlaTarget.objects.for_org(org).create(organization=org, metric=metric, channel=channel, priority=priority, target_seconds=seconds)
    chat(org, a1, "ch-fast", local(MONDAY, 10), wait=20, frt=30)
    chat(org, a1, "ch-slow-frt", local(MONDAY, 11), wait=50, frt=90)
    chat(org, a2, "ch-slow-wait", local(MONDAY, 12), wait=100, frt=110)
    chat(org, a2, "ch-social", local(MONDAY, 13), wait=70, frt=200, channel="social")
    chat(org, a1, "ch-equal", local(MONDAY, 14), wait=60, frt=60)
    chat(org, a1, "ch-no-reply", local(MONDAY, 15), wait=30)
    chat(org, a2, "ch-missed", local(MONDAY, 16))
    chat(org, a1, "ch-late", local(MONDAY, 23, 59) + secs(30), wait=10, frt=90, team=t2)  # the chat's own team wins
    chat(org, a1, "ch-early", local(TUESDAY, 0) + secs(30), wait=10, frt=90)
    ticket(org, a1, "tk-1", local(MONDAY, 9), channel="email", priority="high", first_reply=2 * HOUR, resolved=3 * HOUR)
    ticket(org, a2, "tk-2", local(MONDAY, 10), channel="phone", priority="high", first_reply=5 * HOUR, resolved=3 * HOUR)
    ticket(org, a1, "tk-3", local(MONDAY, 11), channel="email", priority="normal", resolved=5 * HOUR)
    ticket(org, a2, "tk-4", local(MONDAY, 12), channel="email", priority="low", first_reply=25 * HOUR, resolved=48 * HOUR)
    return {"a1": a1, "a2": a2, "t1": t1, "t2": t2}


@pytest.fixture
def data(org, other_org):
    built = build(org)
    build(other_org)  # the same rows and external ids in another organization, never listed
    return built


def listed(org, measure, first=MONDAY, last=WEDNESDAY, **filters):
    qs = sla_breaches(organization=org, measure=measure, first=first, last=last, filters=filters)
    return {r.external_id: (r.actual_seconds, r.target_seconds, r.over_seconds) for r in qs}


def test_each_measure_lists_its_breaches_with_actual_target_and_excess(org, data):
    assert listed(org, "chat_first_response") == {
        "ch-slow-frt": (90, 60, 30), "ch-slow-wait": (110, 60, 50), "ch-late": (90, 60, 30), "ch-early": (90, 60, 30)}
    assert listed(org, "chat_wait") == {"ch-slow-wait": (100, 60, 40), "ch-social": (70, 60, 10)}
    assert listed(org, "ticket_first_response") == {"tk-2": (5 * HOUR, 4 * HOUR, HOUR), "tk-4": (25 * HOUR, 24 * HOUR, HOUR)}
    assert listed(org, "ticket_resolution") == {"tk-1": (3 * HOUR, 7200, HOUR), "tk-4": (48 * HOUR, 86400, 86400)}


def test_rows_carry_agent_team_channel_priority_and_the_placing_instant(org, data):
    rows = {r.external_id: r for r in sla_breaches(organization=org, measure="chat_first_response",
                                                   first=MONDAY, last=TUESDAY)}
    late = rows["ch-late"]
    assert (late.measure, late.agent_external_id, late.agent_name, late.channel, late.row_priority) == (
        "chat_first_response", "a1", "Aino", "chat", None)
    assert (late.team_external_id, late.team_name) == ("t2", "Tier 2")  # the chat's team, not its agent's
    assert (rows["ch-early"].team_external_id, rows["ch-early"].team_name) == ("t1", "Tier 1")  # the agent's
    assert late.at == local(MONDAY, 23, 59) + secs(30)
    resolution = {r.external_id: r for r in sla_breaches(organization=org, measure="ticket_resolution",
                                                         first=MONDAY, last=WEDNESDAY)}
    assert (resolution["tk-1"].row_priority, resolution["tk-1"].channel) == ("high", "email")
    assert resolution["tk-4"].at == local(MONDAY, 12) + secs(48 * HOUR)  # placed by resolved_at


def test_a_channel_or_priority_specific_target_beats_the_general_one(org, data):
    # ch-social's 200 s is within social's 300 s (the general 60 s would breach it).
    assert "ch-social" not in listed(org, "chat_first_response")
    # tk-1 (email, high, 3 h) breaches email+high's 2 h although high's 4 h would be met; tk-2 (phone, high, 3 h) does not.
    resolution = listed(org, "ticket_resolution")
    assert resolution["tk-1"][1] == 7200 and "tk-2" not in resolution


def test_the_organizations_local_midnight_decides_the_day(org, data):
    assert set(listed(org, "chat_first_response", MONDAY, MONDAY)) == {"ch-slow-frt", "ch-slow-wait", "ch-late"}
    assert set(listed(org, "chat_first_response", TUESDAY, TUESDAY)) == {"ch-early"}
    # Ticket first response by creation, resolution by resolution.
    assert set(listed(org, "ticket_first_response", MONDAY, MONDAY)) == {"tk-2", "tk-4"}
    assert set(listed(org, "ticket_resolution", MONDAY, TUESDAY)) == {"tk-1"}
    assert set(listed(org, "ticket_resolution", WEDNESDAY, WEDNESDAY)) == {"tk-4"}


def test_filters(org, data):
    assert set(listed(org, "chat_first_response", agent=["a2"])) == {"ch-slow-wait"}
    assert set(listed(org, "chat_first_response", agent=["Aino"])) == {"ch-slow-frt", "ch-late", "ch-early"}
    # Team: the chat's own team, else its agent's (the builder's team dimension).
    assert set(listed(org, "chat_first_response", team=["t2"])) == {"ch-slow-wait", "ch-late"}
    assert set(listed(org, "chat_first_response", team=["Tier 1"])) == {"ch-slow-frt", "ch-early"}
    assert set(listed(org, "chat_wait", channel=["social"])) == {"ch-social"}
    assert set(listed(org, "ticket_first_response", priority=["low"])) == {"tk-4"}
    assert set(listed(org, "ticket_resolution", priority=["high", "low"], agent=["a1"])) == {"tk-1"}


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"measure": "chat_speed"}, "measure", "Unknown measure “chat_speed”"),
    ({"first": TUESDAY, "last": MONDAY}, "from", "“from” must not be after “to”."),
    ({"last": MONDAY + dt.timedelta(days=MAX_RANGE_DAYS)}, "to", f"longer than {MAX_RANGE_DAYS} days"),
    ({"filters": {"agent": ["nobody"]}}, "agent", "Unknown agent “nobody”."),
    ({"filters": {"team": ["nobody"]}}, "team", "Unknown team “nobody”."),
    ({"filters": {"channel": ["fax"]}}, "channel", "Unknown channel “fax”."),
    ({"filters": {"priority": ["asap"]}, "measure": "ticket_resolution"}, "priority", "Unknown priority “asap”."),
    ({"filters": {"priority": ["high"]}}, "priority", "Only ticket measures have a priority"),
])
def test_questions_that_cannot_be_answered(org, data, kwargs, field, message):
    args = {"organization": org, "measure": "chat_wait", "first": MONDAY, "last": MONDAY, **kwargs}
    with pytest.raises(MetricsQueryError) as exc:
        sla_breaches(**args)
    assert exc.value.field == field and message in str(exc.value)


def test_another_organizations_agent_is_unknown(org, other_org, data):
    AgentFactory(organization=other_org, external_id="only-theirs")
    with pytest.raises(MetricsQueryError, match="Unknown agent “only-theirs”"):
        sla_breaches(organization=org, measure="chat_wait", first=MONDAY, last=MONDAY, filters={"agent": ["only-theirs"]})


def test_a_row_none_of_the_organizations_targets_matches_falls_back_to_the_defaults(org, data):
    """With only a phone target for ticket first response, phone tickets are held to it and the
    others to the defaults by priority (high 4 h, low 24 h): tk-2 (phone, 5 h) meets 6 h, tk-1
    (email, high, 2 h) meets 4 h, tk-4 (email, low, 25 h) breaches 24 h by 1 h."""
    SlaTarget.objects.for_org(org).create(organization=org, metric="ticket_first_response", channel="phone", priority="",
                             target_seconds=6 * HOUR)
    assert listed(org, "ticket_first_response", MONDAY, MONDAY) == {"tk-4": (25 * HOUR, 24 * HOUR, HOUR)}
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    assert breached(org, "ticket_first_response", MONDAY, MONDAY) == 1


def breached(org, measure, first, last, **filters):
    result = compute(organization=org, metric_ids=["sla_compliance"], first=first, last=last,
                     filters=filters, compare=False)["metrics"]["sla_compliance"]
    return next(m["breached"] for m in result["measures"] if m["measure"] == measure)


def test_the_listed_breaches_are_compute_s_breached_count(org, data):
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=1), last=WEDNESDAY + dt.timedelta(days=1))
    ranges = [(MONDAY, WEDNESDAY), (MONDAY, MONDAY), (TUESDAY, TUESDAY), (WEDNESDAY, WEDNESDAY),
              (MONDAY - dt.timedelta(days=1), WEDNESDAY + dt.timedelta(days=1)),
              # whole months, which compute() reads from the monthly roll-ups
              (dt.date(2026, 3, 1), dt.date(2026, 3, 31)), (dt.date(2026, 2, 1), dt.date(2026, 4, 30))]
    for measure in MEASURES:
        for first, last in ranges:
            expected = breached(org, measure, first, last)
            assert sla_breaches(organization=org, measure=measure, first=first, last=last).count() == expected, (
                measure, first, last)
    assert breached(org, "chat_first_response", MONDAY, WEDNESDAY) == 4  # not vacuous


# --- random data across the spring DST change ---------------------------------------------------

START = dt.date(2026, 3, 26)  # Helsinki moves its clocks on the 29th
DAYS = 6


def random_data(org, seed):
    rnd = random.Random(seed)
    teams = [TeamFactory(organization=org, external_id=f"rt{i}", name=f"Random team {i}") for i in range(2)]
    agents = [AgentFactory(organization=org, external_id=f"ra{i}", team=teams[i % 2]) for i in range(3)]
    for metric, channel, priority, seconds in (
        ("chat_first_response", "", "", 60), ("chat_first_response", "web", "", 120),
        ("chat_wait", "social", "", 45),  # other channels have no wait target: every value breaches
        ("ticket_resolution", "", "", 6 * HOUR), ("ticket_resolution", "phone", "", 2 * HOUR),
        ("ticket_resolution", "phone", "urgent", HOUR), ("ticket_resolution", "", "low", 12 * HOUR),
    ):
        SlaTarget.objects.for_org(org).create(organization=org, metric=metric, channel=channel, priority=priority, target_seconds=seconds)
    midnight = dt.datetime.combine(START, dt.time(), tzinfo=HEL).astimezone(dt.UTC)
    for i in range(150):
        requested = midnight + secs(rnd.randrange(0, DAYS * 86400))
        answered = rnd.random() < 0.85
        chat(org, rnd.choice(agents + [None]), f"rc{i}", requested,
             wait=rnd.choice([rnd.uniform(0, 120), 45, 60]) if answered else None,
             frt=rnd.choice([rnd.uniform(60, 200), 60, 120, None]) if answered else None,
             channel=rnd.choice(["chat", "web", "social"]), team=rnd.choice([None, None, teams[0]]))
    for i in range(120):
        created = midnight + secs(rnd.randrange(0, DAYS * 86400))
        ticket(org, rnd.choice(agents + [None]), f"rk{i}", created,
               channel=rnd.choice(["email", "phone", "web"]), priority=rnd.choice(["low", "normal", "high", "urgent"]),
               first_reply=rnd.choice([None, rnd.uniform(0, 30 * HOUR), 4 * HOUR]),
               resolved=rnd.choice([None, rnd.uniform(0, 20 * HOUR), 6 * HOUR, 2 * HOUR]),
               team=rnd.choice([None, teams[1]]))
    return agents, teams


@pytest.mark.parametrize("seed", [1, 2])
def test_random_data_across_dst_lists_exactly_compute_s_breaches(org, other_org, seed):
    # Chat waits need room above their random values (up to 200 s) to be met or breached.
    agents, teams = random_data(org, seed)
    random_data(other_org, seed)
    last = START + dt.timedelta(days=DAYS + 1)  # tickets resolve up to a day later
    snapshots_rebuild(organization=org, first=START - dt.timedelta(days=1), last=last)
    ranges = [(START, last), (dt.date(2026, 3, 1), dt.date(2026, 4, 30))]  # the second: whole months (roll-ups)
    ranges += [(START + dt.timedelta(days=i), START + dt.timedelta(days=i)) for i in range(DAYS + 2)]
    total = 0
    for measure in MEASURES:
        for first, end in ranges:
            expected = breached(org, measure, first, end)
            assert sla_breaches(organization=org, measure=measure, first=first, last=end).count() == expected, (
                measure, first, end)
        total += breached(org, measure, START, last)
        for dimension, values in (("agent", [agents[0].external_id]), ("team", [teams[0].external_id]),
                                  ("channel", ["web"])):
            expected = breached(org, measure, START, last, **{dimension: values})
            qs = sla_breaches(organization=org, measure=measure, first=START, last=last, filters={dimension: values})
            assert qs.count() == expected, (measure, dimension)
    assert total > 50  # the data breach often enough for the comparison to mean something
