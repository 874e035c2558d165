"""staffing_forecast (issue 11 item 8): Erlang C against values computed independently here
(the textbook factorial formula), monotonic in the arrival rate, never below the offered load;
end to end from one hour of chats."""

import datetime as dt
import math

import pytest
from pytest import approx

from reports.metrics import compute
from reports.metrics.staffing import agents_needed, erlang_c, service_level
from reports.models import SlaTarget
from reports.snapshots import snapshots_rebuild
from tests.factories import AgentFactory, AgentSessionFactory
from tests.reports.dataset import MONDAY, answered_chat, local


def textbook_erlang_c(n: int, a: float) -> float:
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(("n", "a"), [(2, 1.0), (3, 1.0), (5, 3.2), (12, 9.5)])
def test_erlang_c_matches_the_factorial_formula(n, a):
    assert erlang_c(n, a) == approx(textbook_erlang_c(n, a), rel=1e-12)


def test_10_contacts_an_hour_6_minute_handle_20_second_target_80_percent_needs_3_agents():
    # A = 10 × 360 / 3600 = 1 Erlang. N = 2: C = 1/3, SL = 1 − e^(−20/360)/3 = 68.5 % < 80 %;
    # N = 3: C = 0.25/2.75 = 1/11, SL = 1 − e^(−40/360)/11 = 91.9 %.
    assert service_level(2, 1.0, 360, 20) == approx(1 - math.exp(-20 / 360) / 3)
    assert service_level(3, 1.0, 360, 20) == approx(1 - math.exp(-40 / 360) / 11)
    assert agents_needed(10, 360, 20, 0.8) == 3
    # Two chats at once: the load halves (0.5 Erlang) and so does each chat's hold on an agent.
    assert agents_needed(10, 360, 20, 0.8, concurrency=2) == 2


def test_the_forecast_grows_with_the_arrival_rate_and_stays_above_the_offered_load():
    previous = 0
    for rate in range(0, 400, 7):
        needed = agents_needed(rate, 360, 20, 0.8)
        assert needed >= previous
        assert needed > rate * 360 / 3600 or rate == 0
        previous = needed


@pytest.mark.django_db
def test_the_forecast_from_one_hour_of_chats_beside_the_agents_online(org):
    agent = AgentFactory(organization=org)
    # Monday 10:00-11:00 local: 10 chats of 6 minutes one after the other (concurrency 1).
    for i in range(10):
        answered_chat(org, agent, local(MONDAY, 10, 6 * i), wait=0, frt=5, duration=360)
    AgentSessionFactory(
        organization=org, agent=agent, started_at=local(MONDAY, 9), ended_at=local(MONDAY, 12)
    )
    # The wait-time target is the organization's chat-wait SLA target (default 60 s).
    SlaTarget.objects.for_org(org).create(metric="chat_wait", target_seconds=20)
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    result = compute(organization=org, metric_ids=["staffing_forecast"], first=MONDAY, last=MONDAY)
    forecast = result["metrics"]["staffing_forecast"]
    cells = {(h["weekday"], h["hour"]): h for h in forecast["hours"]}
    assert len(cells) == 168
    assert (forecast["handle_time"], forecast["concurrency"], forecast["wait_target_seconds"]) == (
        approx(360),
        approx(1.0),
        20,
    )
    ten = cells[(0, 10)]
    assert (ten["arrivals_per_hour"], ten["offered_load"], ten["agents_needed"]) == (
        approx(10),
        approx(1.0),
        3,
    )
    assert ten["agents_online"] == approx(1.0)
    assert (cells[(0, 9)]["agents_needed"], cells[(0, 9)]["agents_online"]) == (0, approx(1.0))
    assert cells[(1, 10)]["agents_online"] is None  # no Tuesday in the range
    assert (forecast["value"], forecast["n"]) == (3, 10)
    # Over two Mondays (a week with one more empty Monday), the same hour's rate halves.
    two = compute(
        organization=org,
        metric_ids=["staffing_forecast"],
        first=MONDAY,
        last=MONDAY + dt.timedelta(days=7),
        compare=False,
    )["metrics"]["staffing_forecast"]
    assert {(h["weekday"], h["hour"]): h for h in two["hours"]}[(0, 10)][
        "arrivals_per_hour"
    ] == approx(5)


@pytest.mark.django_db
def test_no_chats_give_null(org):
    snapshots_rebuild(organization=org, first=MONDAY, last=MONDAY)
    forecast = compute(
        organization=org, metric_ids=["staffing_forecast"], first=MONDAY, last=MONDAY, compare=False
    )["metrics"]["staffing_forecast"]
    assert (forecast["value"], forecast["n"]) == (None, 0)
