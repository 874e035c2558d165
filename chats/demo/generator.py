"""A year (or any range) of one organization's helpdesk data, generated and inserted in batches.

``generate_organization_data`` is the reusable entry point (the demo seeder and the benchmarks
call it). It draws every value from the ``random.Random`` it is given and never reads the clock,
so the same generator state, organization settings and dates give identical rows (primary keys
aside). Rows are plain dicts, built day by day and handed to ``RowWriter`` (COPY on PostgreSQL)
every few thousand chats, so memory stays flat even for a million chats; the few reference rows
(teams, agents, tags, canned responses, the scorecard) go through the ORM.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import unicodedata
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.db import transaction

from accounts.models import Agent, CsatScale, Organization, Team
from chats.demo.catalog import (
    ACME,
    GROWTH_OVER_YEAR,
    NEGATIVE_COMMENTS,
    NEUTRAL_COMMENTS,
    POSITIVE_COMMENTS,
    SCORECARD_CRITERIA,
    TICKET_CHANNELS,
    TICKET_FIRST_RESPONSE_HOURS,
    TICKET_HOURS,
    TICKET_PRIORITIES,
    TICKET_RESOLUTION_HOURS,
    WEEKDAY_FACTORS,
    WEEKDAY_HOURS,
    WEEKEND_HOURS,
    OrgProfile,
)
from chats.demo.writer import RowWriter, row_defaults
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    ChatOutcome,
    ChatTag,
    Customer,
    InitiatedBy,
    MissedReason,
    Purchase,
    QualityReview,
    QualityScorecard,
    SessionStatus,
    Tag,
    Ticket,
    TicketStatus,
    TicketTag,
    WebsiteTraffic,
)
from reports.freshness import mark_dirty
from surveys.models import Scale, SurveyAnswer, SurveyKind

UTC = dt.UTC
SLOT_SECONDS = 1800  # shifts and breaks are planned in local half-hour slots
SLOTS_PER_DAY = 48
BATCH_SIZE = 500  # reference rows per INSERT (few); Django lowers it for SQLite's variable limit
FLUSH_EVERY_CHATS = 5000  # buffered chats (with their tickets and children) per flush
CUSTOMER_CHUNK = 5000
TICKETS_PER_CHAT = 0.2
CHATS_PER_CUSTOMER = 8
# Customers acquired before the range start up to this long before it. Their acquisition and
# churn days are seeded days too (marked dirty), so a longer history means a longer rebuild.
CUSTOMER_HISTORY_DAYS = 365

ABSENCE_RATE = 0.06  # weekday sick days and holidays
PROACTIVE_RATE = 0.07
MISSED_WHILE_STAFFED = (0.03, 0.05)  # base + extra at the busiest hour
REPEAT_CONTACT_RATE = 0.10
CUSTOMER_KNOWN_RATE = 0.65

# Insert order: parents before the rows that point at them.
FLUSH_ORDER = (Customer, Purchase, Chat, Ticket, ChatTag, TicketTag, CannedResponseUse, SurveyAnswer,
               QualityReview, AgentSession, WebsiteTraffic)
# Rows that others point at get their primary key when generated.
WITH_IDS = frozenset({Customer, Chat, Ticket})

# Plain strings: the writer sends values as they are.
MISSED, RESOLVED, ESCALATED, UNRESOLVED = (ChatOutcome.MISSED.value, ChatOutcome.RESOLVED.value,
                                           ChatOutcome.ESCALATED.value, ChatOutcome.UNRESOLVED.value)
VISITOR_LEFT, TIMEOUT, NO_AGENT_ONLINE = (MissedReason.VISITOR_LEFT.value, MissedReason.TIMEOUT.value,
                                          MissedReason.NO_AGENT_ONLINE.value)
ONLINE, AWAY = SessionStatus.ONLINE.value, SessionStatus.AWAY.value
CSAT, NPS, CES = SurveyKind.CSAT.value, SurveyKind.NPS.value, SurveyKind.CES.value
PROACTIVE, REACTIVE = InitiatedBy.AGENT.value, InitiatedBy.VISITOR.value
OPEN, PENDING, RESOLVED_TICKET, CLOSED = (TicketStatus.OPEN.value, TicketStatus.PENDING.value,
                                          TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal draw given its median (gauss() is the fastest normal draw in ``random``)."""
    return median * math.exp(sigma * rng.gauss(0.0, 1.0))


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, exact sum)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * w / weight_sum for w in weights]
    counts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".")


def local_midnight(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


@dataclass
class GenerationSummary:
    organization: Organization
    counts: Counter = field(default_factory=Counter)
    days: set[dt.date] = field(default_factory=set)


@dataclass
class _Shift:
    start: int  # first slot
    end: int  # slot after the last
    rest: int  # the half-hour break slot


@dataclass
class _AgentDay:
    """What one agent did on one day, to lay out sessions that cover every chat they handled."""

    shift: _Shift
    last_close_before_break: dt.datetime | None = None
    last_close: dt.datetime | None = None


def generate_organization_data(
    *,
    organization: Organization,
    rng: random.Random,
    chats: int,
    start: dt.date,
    end: dt.date,
    profile: OrgProfile = ACME,
    agents: int | None = None,
    tickets_per_chat: float = TICKETS_PER_CHAT,
    progress: Callable[[int], object] | None = None,
) -> GenerationSummary:
    """Insert ``chats`` chats (and tickets, surveys, sessions, ...) for local days start..end.

    All or nothing: runs in one transaction. The organization must have no helpdesk rows yet. ``profile`` gives names, teams, tags and
    shifts (the organization's own time zone decides local hours); ``agents`` overrides the
    profile's head count. ``progress(n)`` is called as chats are generated. Every touched local
    day is marked dirty for the snapshot builders. Returns row counts per model and the days.
    """
    if end < start:
        raise ValueError("end must not be before start")
    generator = _OrgGenerator(
        organization=organization, rng=rng, profile=profile, agents=agents or profile.agents,
        start=start, end=end, progress=progress,
    )
    # One transaction (the caller's, if any: no savepoint, whose row locks would make every
    # foreign-key check of the bulk insert slower).
    with transaction.atomic(savepoint=False):
        with generator.writer:
            generator.run(chats=chats, tickets=round(chats * tickets_per_chat))
        mark_dirty(organization=organization, days=generator.summary.days)
    return generator.summary


class _OrgGenerator:
    def __init__(self, *, organization, rng, profile, agents, start, end, progress):
        self.org = organization
        self.org_id = organization.pk
        self.rng = rng
        self.profile = profile
        self.agent_count = agents
        self.tz = organization.tzinfo
        self.start = start
        self.end = end
        self.start_utc = local_midnight(start, self.tz)
        self.range_end = local_midnight(end + dt.timedelta(days=1), self.tz)
        self.progress = progress
        self.csat_scale = organization.csat_scale
        self.summary = GenerationSummary(organization=organization)
        self.buffers: dict[type, list] = {model: [] for model in FLUSH_ORDER}
        self.defaults = {model: row_defaults(model) for model in FLUSH_ORDER}
        self.writer = RowWriter()
        self.sequence: dict[str, Iterator[int]] = {}
        self.latest = self.range_end
        self.recent_customers: deque[int] = deque(maxlen=200)
        self.weight_tables: dict[tuple, tuple] = {}

    # -- helpers ----------------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        """The next external id of a kind: chat-0000001, ... (the same on every run)."""
        counter = self.sequence.get(prefix)
        if counter is None:
            counter = self.sequence[prefix] = itertools.count(1)
        return f"{prefix}-{next(counter):07d}"

    def add(self, model, **values) -> dict:
        """Buffer a new row of ``model`` (defaults filled in; a primary key if others need it)."""
        row = dict(self.defaults[model], organization_id=self.org_id, **values)
        if model in WITH_IDS:
            row["id"] = self.writer.next_id(model)
        self.buffers[model].append(row)
        return row

    def flush(self) -> None:
        batch = [(model, rows) for model, rows in self.buffers.items() if rows]
        for model, rows in batch:
            self.summary.counts[model.__name__] += len(rows)
            self.buffers[model] = []
        self.writer.submit(batch)

    def insert_now(self, rows: list) -> list:
        """Insert reference rows at once (their primary keys are needed right away)."""
        if rows:
            type(rows[0]).unscoped.bulk_create(rows, batch_size=BATCH_SIZE)
            self.summary.counts[type(rows[0]).__name__] += len(rows)
        return rows

    def pick_weighted(self, pairs):
        """One of the values of ``pairs`` [(value, weight), ...], by weight."""
        table = self.weight_tables.get(pairs)
        if table is None:
            values, weights = zip(*pairs, strict=True)
            table = self.weight_tables[pairs] = (values, list(accumulate(weights)))
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    # -- reference data ---------------------------------------------------------------------

    def run(self, *, chats: int, tickets: int) -> None:
        self.create_reference_data()
        self.create_customers(count=max(50, round(chats / CHATS_PER_CUSTOMER)))
        days = [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]
        span = max(1, len(days) - 1)
        weights = [
            WEEKDAY_FACTORS[day.weekday()] * (1 + GROWTH_OVER_YEAR * i / span) * lognormal(self.rng, 1, 0.1)
            for i, day in enumerate(days)
        ]
        for day, day_chats, day_tickets in zip(days, allocate(chats, weights), allocate(tickets, weights), strict=True):
            self.generate_day(day, day_chats, day_tickets)
            if len(self.buffers[Chat]) >= FLUSH_EVERY_CHATS:
                self.flush()
        self.flush()
        self.summary.days.update(days)
        spill = self.latest.astimezone(self.tz).date()
        day = self.end
        while day < spill:
            day += dt.timedelta(days=1)
            self.summary.days.add(day)

    def create_reference_data(self) -> None:
        p, rng = self.profile, self.rng
        self.teams = self.insert_now([
            Team(organization_id=self.org_id, external_id=f"team-{i + 1:02d}", name=name)
            for i, (name, _) in enumerate(p.teams)
        ])
        per_team = allocate(self.agent_count, [share for _, share in p.teams])
        names = [f"{first} {last}" for first in p.first_names for last in p.last_names]
        chosen = rng.sample(names, min(self.agent_count, len(names)))
        chosen += [f"{name} {i}" for i, name in enumerate(names[: self.agent_count - len(chosen)], start=2)]
        team_of = [team for team, n in zip(self.teams, per_team, strict=True) for _ in range(n)]
        self.agents = self.insert_now([
            Agent(organization_id=self.org_id, external_id=f"agent-{i + 1:03d}", name=name,
                  email=f"{ascii_slug(name.replace(' ', '.'))}@{p.slug}.test", team_id=team_of[i].pk)
            for i, name in enumerate(chosen)
        ])
        self.agent_ids = [agent.pk for agent in self.agents]
        self.agent_team = [agent.team_id for agent in self.agents]
        self.tags = self.insert_now([
            Tag(organization_id=self.org_id, name=t.name, category=t.category, color=t.color,
                high_priority=t.high_priority)
            for t in p.tags
        ])
        self.tag_ids = [tag.pk for tag in self.tags]
        self.tag_cum = list(accumulate(t.weight for t in p.tags))
        self.canned = self.insert_now([
            CannedResponse(organization_id=self.org_id, external_id=f"canned-{i + 1:02d}", title=c.title,
                           text=c.text, seconds_saved=c.seconds_saved)
            for i, c in enumerate(p.canned)
        ])
        self.canned_ids = [canned.pk for canned in self.canned]
        # Popular canned responses are used far more often (Zipf-like).
        self.canned_cum = list(accumulate(1 / (i + 1) for i in range(len(self.canned))))
        (self.scorecard,) = self.insert_now([
            QualityScorecard(organization_id=self.org_id, name="Support quality", criteria=SCORECARD_CRITERIA)
        ])
        # auto_now_add stamped the wall clock; the data must not depend on it.
        QualityScorecard.unscoped.filter(pk=self.scorecard.pk).update(created_at=self.start_utc)

    def create_customers(self, *, count: int) -> None:
        """Customers sorted by acquisition: about half before the range, the rest during it."""
        p, rng = self.profile, self.rng
        range_seconds = (self.range_end - self.start_utc).total_seconds()
        acquired = []
        for _ in range(count):
            if rng.random() < 0.55:
                acquired.append(self.start_utc - dt.timedelta(days=rng.uniform(0, CUSTOMER_HISTORY_DAYS)))
            else:
                # Half uniform, half rising: more new customers as the business grows.
                share = rng.random() if rng.random() < 0.5 else rng.triangular(0, 1, 1)
                acquired.append(self.start_utc + dt.timedelta(seconds=share * range_seconds))
        acquired.sort()
        segments = tuple((name, share) for name, share, _, _ in p.segments)
        purchase_profile = {name: (per_year, median) for name, _, per_year, median in p.segments}
        self.customer_acquired = acquired
        self.customer_ids: list[int] = []
        self.customer_segment: list[str] = []
        for i in range(count):
            segment = self.pick_weighted(segments)
            churned = None
            if rng.random() < 0.18:
                churned = acquired[i] + dt.timedelta(days=lognormal(rng, 240, 0.7))
                if churned > self.range_end:
                    churned = None
            referred_by = None
            if acquired[i] >= self.start_utc and i and rng.random() < 0.15:
                referred_by = self.customer_ids[rng.randrange(i)]
            name = f"{rng.choice(p.first_names)} {rng.choice(p.last_names)}"
            customer = self.add(
                Customer, external_id=f"cust-{i + 1:07d}", name=name,
                email=f"{ascii_slug(name.replace(' ', '.'))}.{i + 1}@mail.test", segment=segment,
                acquired_at=acquired[i], churned_at=churned, referred_by_id=referred_by,
            )
            self.customer_ids.append(customer["id"])
            self.customer_segment.append(segment)
            for ts in (acquired[i], churned):
                if ts is not None and ts < self.start_utc:
                    self.summary.days.add(ts.astimezone(self.tz).date())
            self.add_purchases(customer, *purchase_profile[segment])
            if len(self.buffers[Customer]) >= CUSTOMER_CHUNK:
                self.flush()
        self.flush()

    def add_purchases(self, customer: dict, per_year: float, median: float) -> None:
        rng = self.rng
        begin = max(customer["acquired_at"], self.start_utc)
        stop = min(customer["churned_at"] or self.range_end, self.range_end)
        mean_gap = 365 * 86400 / per_year
        at = begin + dt.timedelta(seconds=rng.expovariate(1 / mean_gap))
        while at < stop:
            self.add(Purchase, external_id=self.next_id("purchase"), customer_id=customer["id"],
                     amount=Decimal(f"{lognormal(rng, median, 0.6):.2f}"), purchased_at=at)
            at += dt.timedelta(seconds=rng.expovariate(1 / mean_gap))

    # -- one local day ----------------------------------------------------------------------

    def plan_shifts(self, day: dt.date) -> dict[int, _AgentDay]:
        p, rng = self.profile, self.rng
        week = day.isocalendar().week
        plan: dict[int, _AgentDay] = {}
        if day.weekday() < 5:
            workers = [(a, p.weekday_shifts[(a + week) % len(p.weekday_shifts)])
                       for a in range(len(self.agents)) if rng.random() >= ABSENCE_RATE]
        else:
            rota = rng.sample(range(len(self.agents)), min(p.weekend_staff, len(self.agents)))
            workers = [(a, p.weekend_shift) for a in sorted(rota)]
        for agent, (first, after) in workers:
            rest = (first + after) // 2 + rng.choice((-1, 0, 1))
            plan[agent] = _AgentDay(shift=_Shift(start=first, end=after, rest=rest))
        return plan

    def generate_day(self, day: dt.date, chat_count: int, ticket_count: int) -> None:
        tz = self.tz
        hour_starts = [dt.datetime.combine(day, dt.time(h), tzinfo=tz).astimezone(UTC) for h in range(24)]
        hour_starts.append(local_midnight(day + dt.timedelta(days=1), tz))

        def to_utc(second: float) -> dt.datetime:
            hour = min(int(second // 3600), 24)
            return hour_starts[hour] + dt.timedelta(seconds=second - hour * 3600)

        plan = self.plan_shifts(day)
        available: list[list[int]] = [[] for _ in range(SLOTS_PER_DAY)]
        for agent, agent_day in plan.items():
            for slot in range(agent_day.shift.start, agent_day.shift.end):
                if slot != agent_day.shift.rest:
                    available[slot].append(agent)
        weekend = day.weekday() >= 5
        hours = WEEKEND_HOURS if weekend else WEEKDAY_HOURS
        busiest = max(hours)
        for second in self.arrival_seconds(chat_count, hours):
            self.generate_chat(second, to_utc, available, plan, hours[int(second // 3600)] / busiest)
        ticket_hours = tuple(w + 1 for w in WEEKEND_HOURS) if weekend else TICKET_HOURS
        workers = sorted(plan) or list(range(len(self.agents)))
        for second in self.arrival_seconds(ticket_count, ticket_hours):
            self.generate_ticket(to_utc(second), self.rng.choice(workers))
        for agent, agent_day in plan.items():
            self.add_sessions(agent, agent_day, to_utc)
        visitors = max(30, round((chat_count + 5) * lognormal(self.rng, 38, 0.12)))
        self.add(WebsiteTraffic, date=day, visitors=visitors)
        if self.progress is not None:
            self.progress(chat_count)

    def arrival_seconds(self, count: int, hour_weights) -> list[float]:
        rng = self.rng
        hours = rng.choices(range(24), weights=hour_weights, k=count)
        return sorted(h * 3600 + rng.random() * 3600 for h in hours)

    def pick_customer(self, at: dt.datetime) -> int | None:
        rng = self.rng
        if rng.random() >= CUSTOMER_KNOWN_RATE:
            return None
        if self.recent_customers and rng.random() < REPEAT_CONTACT_RATE:
            return rng.choice(self.recent_customers)
        known = bisect_right(self.customer_acquired, at)
        if not known:
            return None
        index = rng.randrange(known)
        self.recent_customers.append(index)
        return index

    def pick_tags(self, count: int) -> list[int]:
        picked = self.rng.choices(self.tag_ids, cum_weights=self.tag_cum, k=count)
        return list(dict.fromkeys(picked))

    # -- chats ------------------------------------------------------------------------------

    def generate_chat(self, second, to_utc, available, plan, busyness) -> None:
        rng = self.rng
        requested = to_utc(second)
        slot = min(int(second // SLOT_SECONDS), SLOTS_PER_DAY - 1)
        customer = self.pick_customer(requested)
        chat = self.add(
            Chat, external_id=self.next_id("chat"), requested_at=requested,
            customer_id=None if customer is None else self.customer_ids[customer],
            channel="social" if rng.random() < 0.08 else "chat",
            time_on_site_before_chat_s=round(lognormal(rng, 150, 0.9), 1),
            page_url=rng.choice(self.profile.pages),
        )
        proactive = bool(available[slot]) and rng.random() < PROACTIVE_RATE
        wait = 0.0 if proactive else min(lognormal(rng, 22, 0.8), 600)
        accept_slot = min(int((second + wait) // SLOT_SECONDS), SLOTS_PER_DAY - 1)
        candidates = available[accept_slot]
        if not candidates:
            self.miss_chat(chat, NO_AGENT_ONLINE if not available[slot] else VISITOR_LEFT)
        elif not proactive and rng.random() < MISSED_WHILE_STAFFED[0] + MISSED_WHILE_STAFFED[1] * busyness:
            if rng.random() < 0.6:
                self.miss_chat(chat, VISITOR_LEFT)
            else:
                self.miss_chat(chat, TIMEOUT, agent=rng.choice(candidates))
        else:
            self.answer_chat(chat, wait=wait, proactive=proactive, candidates=candidates,
                             plan=plan, accept_slot=accept_slot, customer=customer)

    def miss_chat(self, chat: dict, reason: str, agent: int | None = None) -> None:
        rng = self.rng
        if reason == NO_AGENT_ONLINE:
            queued = rng.uniform(5, 40)
        elif reason == VISITOR_LEFT:
            queued = lognormal(rng, 55, 0.7)
        else:
            queued = 180 + rng.uniform(0, 30)
        chat["outcome"] = MISSED
        chat["missed_reason"] = reason
        chat["ended_at"] = chat["requested_at"] + dt.timedelta(seconds=queued)
        chat["messages_visitor"] = 1
        if agent is not None:
            chat["agent_id"] = chat["first_agent_id"] = self.agent_ids[agent]
            chat["team_id"] = self.agent_team[agent]
        if rng.random() < 0.2:
            for tag_id in self.pick_tags(1):
                self.add(ChatTag, chat_id=chat["id"], tag_id=tag_id)

    def answer_chat(self, chat, *, wait, proactive, candidates, plan, accept_slot, customer) -> None:
        rng = self.rng
        agent = rng.choice(candidates)
        requested = chat["requested_at"]
        accepted = requested + dt.timedelta(seconds=wait)
        first_response_gap = wait + (rng.uniform(2, 6) if proactive else lognormal(rng, 8, 0.7))
        transfers = 0
        roll = rng.random()
        if roll < 0.01:
            transfers = 2
        elif roll < 0.07:
            transfers = 1
        duration = lognormal(rng, 540, 0.65) * (1.4 if transfers else 1)
        duration = max(duration, first_response_gap - wait + 30)
        ended = accepted + dt.timedelta(seconds=duration)
        closed = ended + dt.timedelta(seconds=lognormal(rng, 50, 0.8))
        first_agent = agent
        if transfers:
            others = [a for a in candidates if a != agent]
            if others:
                first_agent = rng.choice(others)
                self.note_work(plan[first_agent], accept_slot,
                               accepted + dt.timedelta(seconds=duration * 0.3))
        self.note_work(plan[agent], accept_slot, closed)
        messages_visitor = max(1, round(duration / 75 * lognormal(rng, 1, 0.35)))
        messages_agent = max(1, messages_visitor + rng.randint(-2, 2))
        response_count = min(messages_visitor, messages_agent)
        later_responses = lognormal(rng, 32, 0.5) * (response_count - 1)
        roll = rng.random()
        outcome = (RESOLVED if roll < (0.72 if transfers else 0.8)
                   else ESCALATED if roll < 0.88 else UNRESOLVED)
        first_response = requested + dt.timedelta(seconds=first_response_gap)
        chat.update(
            accepted_at=accepted, first_response_at=first_response, ended_at=ended, closed_at=closed,
            agent_id=self.agent_ids[agent], first_agent_id=self.agent_ids[first_agent],
            team_id=self.agent_team[agent], outcome=outcome, transfers=transfers,
            initiated_by=PROACTIVE if proactive else REACTIVE,
            messages_visitor=messages_visitor, messages_agent=messages_agent, response_count=response_count,
            response_time_total_s=round(first_response_gap + later_responses, 2),
        )
        if rng.random() < (0.16 if proactive else 0.07):
            self.convert(chat, closed, customer)
        self.latest = max(self.latest, closed, chat["converted_at"] or closed)
        if rng.random() < 0.62:
            count = 1 if rng.random() < 0.7 else (2 if rng.random() < 0.85 else 3)
            for tag_id in self.pick_tags(count):
                self.add(ChatTag, chat_id=chat["id"], tag_id=tag_id)
        if rng.random() < 0.4:
            window = (ended - first_response).total_seconds()
            uses = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.75 else 3
            for canned_id in rng.choices(self.canned_ids, cum_weights=self.canned_cum, k=uses):
                self.add(CannedResponseUse, external_id=self.next_id("canned-use"), canned_response_id=canned_id,
                         agent_id=chat["agent_id"], chat_id=chat["id"],
                         used_at=first_response + dt.timedelta(seconds=rng.random() * window))
        self.survey_chat(chat, customer, wait)
        if rng.random() < 0.015:
            self.review(chat=chat, after=closed)

    def note_work(self, agent_day: _AgentDay, accept_slot: int, until: dt.datetime) -> None:
        if accept_slot < agent_day.shift.rest:
            agent_day.last_close_before_break = max(agent_day.last_close_before_break or until, until)
        agent_day.last_close = max(agent_day.last_close or until, until)

    def convert(self, chat: dict, closed: dt.datetime, customer: int | None) -> None:
        rng = self.rng
        segment = None if customer is None else self.customer_segment[customer]
        median = next((m for name, _, _, m in self.profile.segments if name == segment), 60.0)
        converted = closed + dt.timedelta(seconds=rng.uniform(0, 600))
        if rng.random() < 0.2:
            follow_up = closed + dt.timedelta(days=rng.uniform(1, 3))
            if follow_up < self.range_end:
                converted = follow_up
                chat["conversion_after_follow_up"] = True
        chat["converted_at"] = converted
        chat["conversion_value"] = Decimal(f"{lognormal(rng, median, 0.7):.2f}")

    # -- surveys and reviews ----------------------------------------------------------------

    def csat_answer(self, quality: float) -> tuple[str, int, int]:
        """(scale, score, score on 1-5) for a conversation of this quality (0 bad .. 1 good)."""
        rng = self.rng
        five = max(1, min(5, round(1 + 4 * quality + rng.gauss(0, 0.9))))
        if self.csat_scale == CsatScale.ONE_TO_TEN:
            return Scale.ONE_TO_TEN.value, max(1, 2 * five - rng.randint(0, 1)), five
        if self.csat_scale == CsatScale.GOOD_BAD:
            return Scale.GOOD_BAD.value, int(five >= 4), five
        return Scale.ONE_TO_FIVE.value, five, five

    def add_answer(self, *, kind, scale, score, five, at, conversation, agent_id, customer, touchpoint):
        rng = self.rng
        if at >= self.range_end:
            return
        comment, responded = "", None
        if rng.random() < (0.5 if five <= 2 else 0.2):
            pool = NEGATIVE_COMMENTS if five <= 2 else NEUTRAL_COMMENTS if five == 3 else POSITIVE_COMMENTS
            comment = rng.choice(pool)
            if rng.random() < (0.6 if five <= 2 else 0.3):
                reply = at + dt.timedelta(hours=lognormal(rng, 5, 1.0))
                responded = reply if reply < self.range_end else None
        self.add(
            SurveyAnswer, external_id=self.next_id("survey"), kind=kind, scale=scale,
            score=score, answered_at=at, agent_id=agent_id, comment=comment, responded_at=responded,
            customer_id=None if customer is None else self.customer_ids[customer],
            segment="" if customer is None else self.customer_segment[customer], touchpoint=touchpoint,
            **conversation,
        )

    def survey_chat(self, chat: dict, customer: int | None, wait: float) -> None:
        rng = self.rng
        quality = {RESOLVED: 0.85, ESCALATED: 0.55}.get(chat["outcome"], 0.3)
        quality -= 0.15 * chat["transfers"] + (0.2 if wait > 120 else 0)
        common = {"conversation": {"chat_id": chat["id"]}, "agent_id": chat["agent_id"], "customer": customer,
                  "touchpoint": "chat"}
        closed = chat["closed_at"]
        if rng.random() < 0.22:
            scale, score, five = self.csat_answer(quality)
            at = closed + dt.timedelta(seconds=lognormal(rng, 240, 0.8))
            self.add_answer(kind=CSAT, scale=scale, score=score, five=five, at=at, **common)
        if rng.random() < 0.08:
            effort = max(1, min(7, round(1 + 6 * quality + rng.gauss(0, 1.0))))
            at = closed + dt.timedelta(seconds=lognormal(rng, 300, 0.8))
            self.add_answer(kind=CES, scale=Scale.ONE_TO_SEVEN.value, score=effort,
                            five=1 + round(4 * (effort - 1) / 6), at=at, **common)
        if rng.random() < 0.05:
            self.add_nps(at=closed + dt.timedelta(hours=lognormal(rng, 20, 0.6)), quality=quality, **common)

    def add_nps(self, *, at, quality, **common) -> None:
        score = max(0, min(10, round(2 + 8.5 * quality + self.rng.gauss(0, 1.8))))
        self.add_answer(kind=NPS, scale=Scale.ZERO_TO_TEN.value, score=score,
                        five=1 + round(score * 0.4), at=at, **common)

    def review(self, *, after: dt.datetime, chat: dict | None = None, ticket: dict | None = None) -> None:
        rng = self.rng
        reviewed = after + dt.timedelta(days=rng.uniform(1, 6))
        if reviewed >= self.range_end:
            return
        skill = rng.gauss(0.8, 0.12)
        scores = {c["key"]: max(1, min(c["max_score"], round(skill * c["max_score"] + rng.gauss(0, 0.6))))
                  for c in SCORECARD_CRITERIA}
        conversation = chat or ticket
        self.add(
            QualityReview, external_id=self.next_id("review"), chat_id=chat and chat["id"],
            ticket_id=ticket and ticket["id"], agent_id=conversation["agent_id"],
            scorecard_id=self.scorecard.pk, reviewed_at=reviewed, reviewer=rng.choice(self.profile.reviewers),
            scores=scores,
        )

    # -- tickets ----------------------------------------------------------------------------

    def generate_ticket(self, created: dt.datetime, agent: int) -> None:
        rng = self.rng
        priority = self.pick_weighted(TICKET_PRIORITIES)
        customer = None if rng.random() < 0.15 else self.pick_customer(created)
        ticket = self.add(
            Ticket, external_id=self.next_id("ticket"),
            subject=rng.choice(self.profile.subjects), created_at=created,
            channel=self.pick_weighted(TICKET_CHANNELS), priority=priority,
            agent_id=self.agent_ids[agent], team_id=self.agent_team[agent],
            customer_id=None if customer is None else self.customer_ids[customer],
            is_complaint=rng.random() < 0.05,
        )
        first_gap = lognormal(rng, TICKET_FIRST_RESPONSE_HOURS[priority] * 3600, 0.9)
        resolve_gap = max(first_gap + 60, lognormal(rng, TICKET_RESOLUTION_HOURS[priority] * 3600, 1.0))
        first_response = created + dt.timedelta(seconds=first_gap)
        resolved = created + dt.timedelta(seconds=resolve_gap)
        if rng.random() < 0.07:
            escalated = created + dt.timedelta(seconds=resolve_gap * rng.uniform(0.2, 0.8))
            ticket["escalated_at"] = escalated if escalated < self.range_end else None
        replies = 0
        if resolved < self.range_end:
            closed_later = resolved < self.range_end - dt.timedelta(days=3) and rng.random() < 0.6
            roll = rng.random()
            reopened = 2 if roll < 0.015 else 1 if roll < 0.08 else 0
            one_touch = not reopened and rng.random() < 0.45
            replies = 1 if one_touch else 2 + min(int(rng.expovariate(0.6)), 10) + reopened
            ticket.update(resolved_at=resolved, reopened_count=reopened,
                          status=CLOSED if closed_later else RESOLVED_TICKET)
        elif first_response < self.range_end:
            ticket["status"] = PENDING
            replies = 1 + min(int(rng.expovariate(0.8)), 5)
        else:
            ticket["status"] = OPEN
        if replies:
            ticket.update(
                first_response_at=first_response, agent_replies=replies, response_count=replies,
                response_time_total_s=round(first_gap + lognormal(rng, 3 * 3600, 0.8) * (replies - 1), 1),
            )
        roll = rng.random()
        if ticket["is_complaint"] or roll < 0.15:
            ticket["sentiment"] = "negative"
        elif roll < 0.45:
            ticket["sentiment"] = "positive"
        elif roll < 0.9:
            ticket["sentiment"] = "neutral"
        for tag_id in self.pick_tags(1 if rng.random() < 0.75 else 2):
            self.add(TicketTag, ticket_id=ticket["id"], tag_id=tag_id)
        if ticket["resolved_at"] is not None:
            self.survey_ticket(ticket, customer)
            if rng.random() < 0.02:
                self.review(ticket=ticket, after=ticket["resolved_at"])

    def survey_ticket(self, ticket: dict, customer: int | None) -> None:
        rng = self.rng
        quality = 0.85 - 0.2 * ticket["reopened_count"] - (0.3 if ticket["is_complaint"] else 0)
        common = {"conversation": {"ticket_id": ticket["id"]}, "agent_id": ticket["agent_id"],
                  "customer": customer, "touchpoint": f"ticket:{ticket['channel']}"}
        resolved = ticket["resolved_at"]
        if rng.random() < 0.25:
            scale, score, five = self.csat_answer(quality)
            at = resolved + dt.timedelta(hours=lognormal(rng, 3, 0.9))
            self.add_answer(kind=CSAT, scale=scale, score=score, five=five, at=at, **common)
        if rng.random() < 0.08:
            self.add_nps(at=resolved + dt.timedelta(hours=lognormal(rng, 24, 0.6)), quality=quality, **common)

    # -- availability -----------------------------------------------------------------------

    def add_sessions(self, agent: int, agent_day: _AgentDay, to_utc) -> None:
        """Online from shift start, away for the break, online until the shift ends or the
        agent's last chat is closed, whichever is later. A break that a running chat would
        swallow is skipped, so every handled chat lies inside an online session."""
        shift = agent_day.shift
        started = to_utc(shift.start * SLOT_SECONDS)
        rest_start = to_utc(shift.rest * SLOT_SECONDS)
        rest_end = to_utc((shift.rest + 1) * SLOT_SECONDS)
        ended = max(to_utc(shift.end * SLOT_SECONDS), agent_day.last_close or started)
        if agent_day.last_close_before_break is not None:
            rest_start = max(rest_start, agent_day.last_close_before_break)
        if rest_end - rest_start >= dt.timedelta(minutes=5):
            intervals = [(started, rest_start, ONLINE), (rest_start, rest_end, AWAY), (rest_end, ended, ONLINE)]
        else:
            intervals = [(started, ended, ONLINE)]
        for begin, finish, status in intervals:
            self.add(AgentSession, external_id=self.next_id("session"), agent_id=self.agent_ids[agent],
                     started_at=begin, ended_at=finish, status=status)
        self.latest = max(self.latest, ended)
