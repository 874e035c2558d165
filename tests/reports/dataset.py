"""A small helpdesk week built by hand; tests/reports/test_metrics_*.py work its numbers out
by hand in comments beside each assertion.

Organization "acme", Europe/Helsinki (UTC+2 in early March). Monday 2026-03-02, local times:

chat  agent  requested  wait  FRT  duration  wrap-up  msgs  replies(sum/n)  outcome    other
c1    A1     10:00      20    30   600       60       6     90/3            resolved   tags billing; canned ×2; customer K1
c2    A1     11:00      40    50   900       120      20    200/5           escalated  tags billing+vip(high); 1 transfer
c3    A2     14:00      60    70   300       (open)   4     40/2            resolved   customer K1 (repeat contact for c1)
c4    A2     15:00      missed (visitor left)
c5    -      23:30      missed (no agent online)

CSAT answers: c1 → 5, c2 → 2, c3 → 4 (1-5 scale). Sessions: A1 online 09:00–17:00, A2 13:00–16:00.

tickets  created            priority  channel  first reply  resolved            notes
t1       Mon 03-02 09:00    high      email    +2 h         Wed 03-04 09:00     complaint, 1 reply
t2       Mon 03-02 12:00    urgent    phone    +30 min      Mon 03-02 15:00     reopened once
t3       Tue 03-03 10:00    normal    email    —            (open)
"""

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    CannedResponseFactory,
    CannedResponseUseFactory,
    ChatFactory,
    CustomerFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)

HEL = ZoneInfo("Europe/Helsinki")
MONDAY = dt.date(2026, 3, 2)


def local(day: dt.date, hour: int, minute: int = 0, tz=HEL) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def secs(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def answered_chat(org, agent, requested, *, wait, frt, duration, wrap=None, **fields):
    accepted = requested + secs(wait)
    ended = accepted + secs(duration)
    return ChatFactory(
        organization=org, agent=agent, requested_at=requested, accepted_at=accepted,
        first_response_at=requested + secs(frt), ended_at=ended,
        closed_at=ended + secs(wrap) if wrap is not None else None, **fields,
    )


def missed_chat(org, agent, requested, reason):
    return ChatFactory(
        organization=org, agent=agent, requested_at=requested, accepted_at=None, first_response_at=None,
        ended_at=None, closed_at=None, outcome="missed", missed_reason=reason,
    )


def build_week(org):
    t1, t2 = TeamFactory(organization=org, name="Tier 1"), TeamFactory(organization=org, name="Tier 2")
    a1 = AgentFactory(organization=org, team=t1, external_id="a1", name="Aino")
    a2 = AgentFactory(organization=org, team=t2, external_id="a2", name="Bo")
    billing = TagFactory(organization=org, name="billing")
    vip = TagFactory(organization=org, name="vip", high_priority=True)
    k1 = CustomerFactory(organization=org)

    c1 = answered_chat(org, a1, local(MONDAY, 10), wait=20, frt=30, duration=600, wrap=60, customer=k1,
                       messages_visitor=3, messages_agent=3, response_time_total_s=90, response_count=3,
                       outcome="resolved")
    c2 = answered_chat(org, a1, local(MONDAY, 11), wait=40, frt=50, duration=900, wrap=120,
                       messages_visitor=10, messages_agent=10, response_time_total_s=200, response_count=5,
                       outcome="escalated", transfers=1)
    c3 = answered_chat(org, a2, local(MONDAY, 14), wait=60, frt=70, duration=300, customer=k1,
                       messages_visitor=2, messages_agent=2, response_time_total_s=40, response_count=2,
                       outcome="resolved")
    missed_chat(org, a2, local(MONDAY, 15), "visitor_left")
    missed_chat(org, None, local(MONDAY, 23, 30), "no_agent_online")
    for chat, tags in ((c1, [billing]), (c2, [billing, vip])):
        chat.tags.add(*tags, through_defaults={"organization": org})

    # 20 words: 30 s saved per use at 40 words per minute.
    canned = CannedResponseFactory(organization=org, text=" ".join(["word"] * 20))
    for minute in (2, 4):
        CannedResponseUseFactory(organization=org, canned_response=canned, agent=a1, chat=c1,
                                 used_at=local(MONDAY, 10, minute))
    for chat, score in ((c1, 5), (c2, 2), (c3, 4)):
        SurveyAnswerFactory(organization=org, chat=chat, kind="csat", scale="1-5", score=score,
                            answered_at=chat.closed_at or chat.ended_at)
    AgentSessionFactory(organization=org, agent=a1, started_at=local(MONDAY, 9), ended_at=local(MONDAY, 17))
    AgentSessionFactory(organization=org, agent=a2, started_at=local(MONDAY, 13), ended_at=local(MONDAY, 16))

    wednesday = MONDAY + dt.timedelta(days=2)
    TicketFactory(organization=org, agent=a1, priority="high", channel="email", created_at=local(MONDAY, 9),
                  first_response_at=local(MONDAY, 11), resolved_at=local(wednesday, 9), status="resolved",
                  is_complaint=True, agent_replies=1)
    TicketFactory(organization=org, agent=a2, priority="urgent", channel="phone", created_at=local(MONDAY, 12),
                  first_response_at=local(MONDAY, 12, 30), resolved_at=local(MONDAY, 15), status="resolved",
                  reopened_count=1, agent_replies=3)
    TicketFactory(organization=org, agent=a1, priority="normal", channel="email",
                  created_at=local(MONDAY + dt.timedelta(days=1), 10))
    return {"a1": a1, "a2": a2, "t1": t1, "t2": t2, "billing": billing, "vip": vip}
