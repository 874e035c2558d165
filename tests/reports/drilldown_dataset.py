"""A generated organization for the drill-down count tests: a month of every kind of row the
lists show, with its instants crowded around local midnights and the organization's DST changes
(the rows a wrong day boundary would misplace), in any time zone.

Deterministic for a seed. Teams are set on some conversations and not others (the team is then
the agent's), some chats have no agent, survey answers name their agent or not and belong to a
chat or a ticket, customers come back within the follow-up window, and the organization sets SLA
targets of its own for some channels and priorities (the rest fall back to the defaults).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from chats.models import ChatTag, TicketTag
from reports.models import SlaMetric, SlaTarget
from tests.factories import (
    AgentFactory,
    CannedResponseFactory,
    CannedResponseUseFactory,
    ChatFactory,
    CustomerFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
)

FIRST, LAST = dt.date(2026, 3, 4), dt.date(2026, 4, 8)  # New York 03-08, Europe 03-29, Lord Howe/Chatham 04-05
CHANNELS = ("chat", "web", "social", "email", "phone")
SEGMENTS = ("", "smb", "enterprise")


def _transitions(tz: ZoneInfo) -> list[dt.datetime]:
    """The UTC instants in FIRST..LAST at which the zone's offset changes."""
    out, t = [], dt.datetime.combine(FIRST, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(LAST + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    step = dt.timedelta(minutes=15)
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + step).astimezone(tz).utcoffset():
            out.append(t + step)
        t += step
    return out


def _instant(rng: random.Random, tz: ZoneInfo, hot: list[dt.datetime]) -> dt.datetime:
    """Mostly within minutes of a local midnight or an offset change, else anywhere."""
    roll = rng.random()
    if roll < 0.45:
        day = FIRST + dt.timedelta(days=rng.randrange((LAST - FIRST).days + 1))
        midnight = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz).astimezone(dt.UTC)
        return midnight + dt.timedelta(seconds=rng.uniform(-5400, 5400))
    if roll < 0.7 and hot:
        return rng.choice(hot) + dt.timedelta(seconds=rng.uniform(-7200, 7200))
    start = dt.datetime.combine(FIRST, dt.time()).replace(tzinfo=tz).astimezone(dt.UTC)
    return start + dt.timedelta(seconds=rng.uniform(0, (LAST - FIRST).days * 86400))


def build_generated(org, *, seed: int, chats: int = 160, tickets: int = 60) -> dict:
    rng = random.Random(seed)
    tz = org.tzinfo
    hot = _transitions(tz)
    secs = dt.timedelta(seconds=1)
    teams = [TeamFactory(organization=org, name=f"Team {i}", external_id=f"team-{i}") for i in range(2)]
    agents = [AgentFactory(organization=org, team=teams[i % 2] if i < 3 else None, external_id=f"ag-{i}", name=f"Agent {i}")
              for i in range(4)]
    tags = [TagFactory(organization=org, name=f"t{i}", high_priority=(i == 0)) for i in range(3)]
    customers = [CustomerFactory(organization=org, segment=rng.choice(SEGMENTS)) for _ in range(6)]
    canned = [CannedResponseFactory(organization=org, text=" ".join(["w"] * (10 * (i + 1)))) for i in range(2)]
    SlaTarget.unscoped.create(organization=org, metric=SlaMetric.CHAT_FIRST_RESPONSE, channel="social", priority="",
                              target_seconds=120)
    SlaTarget.unscoped.create(organization=org, metric=SlaMetric.CHAT_WAIT, channel="", priority="", target_seconds=45)
    SlaTarget.unscoped.create(organization=org, metric=SlaMetric.TICKET_RESOLUTION, channel="email", priority="high",
                              target_seconds=6 * 3600)

    chat_rows = []
    for i in range(chats):
        requested = _instant(rng, tz, hot)
        agent = rng.choice([*agents, None]) if rng.random() < 0.9 else None
        team = rng.choice(teams) if rng.random() < 0.3 else None
        customer = rng.choice(customers) if rng.random() < 0.6 else None
        fields = {"accepted_at": None, "first_response_at": None, "ended_at": None, "closed_at": None,
                  "outcome": "missed", "missed_reason": rng.choice(["visitor_left", "timeout", "no_agent_online", ""])}
        if agent is not None and rng.random() < 0.75:
            accepted = requested + secs * rng.uniform(0, 120)
            ended = accepted + secs * rng.uniform(30, 2400) if rng.random() < 0.9 else None
            fields = {
                "accepted_at": accepted,
                "first_response_at": requested + secs * rng.uniform(0, 200) if rng.random() < 0.85 else None,
                "ended_at": ended, "closed_at": ended + secs * rng.uniform(0, 300) if ended and rng.random() < 0.7 else None,
                "outcome": rng.choice(["resolved", "resolved", "escalated", "unresolved", ""]), "missed_reason": "",
                "transfers": rng.choice([0, 0, 0, 1, 2]),
            }
            if fields["first_response_at"] is not None and fields["first_response_at"] < requested:
                fields["first_response_at"] = requested
        replies = rng.randrange(0, 6) if fields["accepted_at"] else 0
        chat = ChatFactory(organization=org, external_id=f"g{seed}-c{i}", requested_at=requested, agent=agent,
                           first_agent=agent, team=team, customer=customer, channel=rng.choice(CHANNELS[:3]),
                           messages_visitor=rng.randrange(0, 12), messages_agent=rng.randrange(0, 12),
                           response_count=replies, response_time_total_s=replies * rng.uniform(5, 90), **fields)
        for tag in rng.sample(tags, rng.choice([0, 0, 1, 1, 2])):
            ChatTag.unscoped.create(organization=org, chat=chat, tag=tag)
        chat_rows.append(chat)

    ticket_rows = []
    for i in range(tickets):
        created = _instant(rng, tz, hot)
        resolved = created + secs * rng.uniform(600, 5 * 86400) if rng.random() < 0.7 else None
        complaint = rng.random() < 0.2
        escalated = created + secs * rng.uniform(60, 3600) if rng.random() < 0.15 else None
        if resolved and escalated and escalated > resolved:
            escalated = None
        ticket = TicketFactory(
            organization=org, external_id=f"g{seed}-t{i}", created_at=created, agent=rng.choice([*agents, None]),
            team=rng.choice(teams) if rng.random() < 0.3 else None, channel=rng.choice(CHANNELS[3:] + ("social",)),
            priority=rng.choice(["low", "normal", "high", "urgent"]),
            first_response_at=created + secs * rng.uniform(60, 30 * 3600) if rng.random() < 0.8 else None,
            resolved_at=resolved, status="resolved" if resolved else rng.choice(["open", "pending"]),
            reopened_count=rng.choice([0, 0, 0, 1]) if resolved else 0, agent_replies=rng.randrange(0, 4),
            is_complaint=complaint, escalated_at=escalated, customer=rng.choice([*customers, None]))
        if ticket.first_response_at and resolved and ticket.first_response_at > resolved:
            ticket.first_response_at = resolved
            ticket.save(update_fields=["first_response_at"])
        for tag in rng.sample(tags, rng.choice([0, 1, 2])):
            TicketTag.unscoped.create(organization=org, ticket=ticket, tag=tag)
        ticket_rows.append(ticket)

    for i in range(chats // 2):
        conversation = rng.choice(chat_rows + ticket_rows)
        on_chat = conversation in chat_rows
        kind = rng.choice(["csat", "csat", "nps", "ces"])
        scale = {"csat": rng.choice(["1-5", "1-5", "1-10", "good-bad"]), "nps": "0-10", "ces": rng.choice(["1-7", "1-5"])}[kind]
        low, high = {"1-5": (1, 5), "1-10": (1, 10), "good-bad": (0, 1), "0-10": (0, 10), "1-7": (1, 7)}[scale]
        SurveyAnswerFactory(
            organization=org, external_id=f"g{seed}-s{i}", kind=kind, scale=scale, score=rng.randint(low, high),
            answered_at=_instant(rng, tz, hot), chat=conversation if on_chat else None,
            ticket=None if on_chat else conversation, agent=rng.choice(agents) if rng.random() < 0.3 else None,
            segment=rng.choice(["", "", "vip"]), touchpoint=rng.choice(["", "post-chat", "email"]),
            customer=rng.choice(customers) if rng.random() < 0.2 else None)
    for i in range(chats // 2):
        conversation = rng.choice(chat_rows + ticket_rows)
        on_chat = conversation in chat_rows
        CannedResponseUseFactory(organization=org, external_id=f"g{seed}-u{i}", canned_response=rng.choice(canned),
                                 agent=rng.choice(agents), used_at=_instant(rng, tz, hot),
                                 chat=conversation if on_chat else None, ticket=None if on_chat else conversation)
    return {"agents": agents, "teams": teams, "tags": tags, "transitions": hot}


def filter_cases(objects: dict) -> list[dict[str, str]]:
    """The organization, then each value of each filter dimension."""
    cases: list[dict[str, str]] = [{}]
    cases += [{"agent": a.external_id} for a in objects["agents"]]
    cases += [{"team": t.name} for t in objects["teams"]]
    cases += [{"channel": c} for c in CHANNELS]
    cases += [{"tag": t.name} for t in objects["tags"]]
    cases += [{"segment": "vip"}, {"segment": "smb"}, {"touchpoint": "post-chat"}]
    return cases
