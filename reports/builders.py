"""Set-based snapshot builders.

For one organization and a chunk of local days, each source of raw rows (chats, tickets by
creation and by resolution, survey answers, canned-response uses, online sessions, busy time)
is read ONCE into a temporary "base" table: one row per raw row and local hour, carrying its
local day and hour, its agent / team / channel, and the derived values its components need.
Every grain (org, agent, team, channel, tag, hour) is then one grouped statement over that
table, counts, sums and histogram buckets together. Python only adds up grouped results,
which number days × dimension values; it never loops over raw rows.

Local day and hour boundaries are computed in Python with zoneinfo, DST-correct, and joined as
a small calendar table, so the SQL needs no time-zone support and runs on PostgreSQL and
SQLite alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from accounts.models import Organization
from chats.models import CannedResponse
from reports.histogram import bucket_sql
from reports.models import SlaMetric
from reports.sla import target_case_sql, targets_for
from surveys.models import (
    CSAT_NEGATIVE_UPTO,
    CSAT_POSITIVE_FROM,
    NPS_DETRACTOR_UPTO,
    NPS_PROMOTER_FROM,
    SCALE_BOUNDS,
)

# Largest day range built in one pass: bounds statement size (SQLite's parameter limit) and
# transaction length.
MAX_CHUNK_DAYS = 31
CALENDAR_STEP = dt.timedelta(minutes=15)  # every real UTC offset is a multiple of 15 minutes


# --- calendar -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    day: dt.date
    hour: int | None
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime    # UTC, exclusive


def local_midnight(day: dt.date, tz) -> dt.datetime:
    """The UTC instant a local day starts (DST-correct: the first instant of that date)."""
    naive = dt.datetime.combine(day, dt.time())
    start = naive.replace(tzinfo=tz)
    # A midnight that does not exist (a DST gap at 00:00) starts at the gap's end.
    if start.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        start = start.replace(fold=1)
    return start.astimezone(dt.UTC)


def day_slots(first: dt.date, last: dt.date, tz) -> list[Slot]:
    slots, day = [], first
    while day <= last:
        nxt = day + dt.timedelta(days=1)
        slots.append(Slot(day, None, local_midnight(day, tz), local_midnight(nxt, tz)))
        day = nxt
    return slots


def hour_slots(first: dt.date, last: dt.date, tz) -> list[Slot]:
    """UTC intervals labelled with their local (day, hour). In the autumn DST change one local
    hour happens twice: two slots with the same label, which grouping adds together."""
    slots: list[Slot] = []
    for d in day_slots(first, last, tz):
        t = d.start
        while t < d.end:
            local = t.astimezone(tz)
            label = (local.date(), local.hour)
            step_end = min(t + CALENDAR_STEP, d.end)
            if slots and (slots[-1].day, slots[-1].hour) == label and slots[-1].end == t:
                slots[-1] = Slot(label[0], label[1], slots[-1].start, step_end)
            else:
                slots.append(Slot(label[0], label[1], t, step_end))
            t = step_end
    return slots


STEP_SECONDS = int(CALENDAR_STEP.total_seconds())


def step_labels(first: dt.date, last: dt.date, tz) -> list[tuple[int, dt.date, int]]:
    """(step index, local day, local hour) of every 15-minute UTC step in the local days.

    A point in time falls in step ``floor(epoch seconds / 900)``; joining on that index is an
    equality (hash) join, so labelling a million rows costs one pass, not rows × slots.
    """
    out = []
    for slot in hour_slots(first, last, tz):
        t = slot.start
        while t < slot.end:
            out.append((int(t.timestamp()) // STEP_SECONDS, slot.day, slot.hour))
            t += CALENDAR_STEP
    return out


# --- dialect ------------------------------------------------------------------------------

class Dialect:
    """The few SQL spellings PostgreSQL and SQLite disagree on."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.vendor == "postgresql"

    def seconds(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))::float8"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def within_seconds(self, later: str, earlier: str, seconds_sql: str) -> str:
        if self.pg:
            return f"{later} <= {earlier} + ({seconds_sql})::float8 * INTERVAL '1 second'"
        return f"julianday({later}) <= julianday({earlier}) + ({seconds_sql}) / 86400.0"

    def json_object_agg(self, key: str, value: str) -> str:
        return f"jsonb_object_agg({key}, {value})" if self.pg else f"json_group_object({key}, {value})"

    def json(self, expr: str) -> str:
        """A JSON value nested into another (SQLite would otherwise quote it as a string)."""
        return expr if self.pg else f"json({expr})"

    def same(self, a: str, b: str) -> str:
        """Null-safe equality."""
        return f"{a} IS NOT DISTINCT FROM {b}" if self.pg else f"{a} IS {b}"

    def true(self, expr: str) -> str:
        return expr if self.pg else f"({expr} = 1)"

    def plus_hours(self, ts: str, hours: int) -> str:
        if self.pg:
            return f"({ts} + INTERVAL '{hours} hours')"
        return f"datetime({ts}, '+{hours} hours')"

    def step_of(self, ts: str) -> str:
        if self.pg:
            return f"FLOOR(EXTRACT(EPOCH FROM {ts}) / {STEP_SECONDS})::bigint"
        return f"(CAST(strftime('%%s', {ts}) AS INTEGER) / {STEP_SECONDS})"  # %% escapes the placeholder

    def datetime_param(self, value: dt.datetime):
        return self.conn.ops.adapt_datetimefield_value(value)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# --- grains -------------------------------------------------------------------------------

GRAINS = ("org", "agent", "team", "channel", "tag", "hour")


@dataclass
class Source:
    """A kind of raw row and the components it adds, on the local day (and hour) of
    `timestamp`, or, for an interval source, on every local hour the interval overlaps."""

    name: str
    from_sql: str                                 # FROM ... (main table and its alias)
    timestamp: str = ""                           # the column that decides the local day
    interval: tuple[str, str] | None = None       # (start, end) of an interval source
    dims: dict[str, str] = field(default_factory=dict)  # agent / team / channel -> SQL
    joins: str = ""                               # joins the dims need
    refs: dict[str, str] = field(default_factory=dict)  # ids kept for the tag join
    tag_join: str = ""                            # from base alias `base` to tags, at aggregation
    tag_dim: str = ""                             # the tag id expression after tag_join
    columns: dict[str, str] = field(default_factory=dict)   # per-row derived values
    counts: dict[str, str] = field(default_factory=dict)    # component -> condition (counted)
    sums: dict[str, str] = field(default_factory=dict)      # component -> value (summed)
    durations: dict[str, str] = field(default_factory=dict)  # duration -> seconds (NULL: none)
    where: str = "1 = 1"
    params: list = field(default_factory=list)    # for `columns`, in order of appearance
    ctes: str = ""                                # extra CTEs (after the calendar)
    cte_params: list = field(default_factory=list)

    def supports(self, grain: str) -> bool:
        if grain in ("org", "hour"):
            return True
        if grain == "tag":
            return bool(self.tag_join)
        return grain in self.dims


BASE_TABLE = "hm_snapshot_base"
BUSY_TABLE = "hm_snapshot_busy"
STEPS_TABLE = "hm_calendar_steps"
HOURS_TABLE = "hm_calendar_hours"
DIM_COLUMNS = {"agent": "agent_dim", "team": "team_dim", "channel": "channel_dim"}


class Builder:
    def __init__(self, organization: Organization, conn=connection):
        self.org = organization
        self.d = Dialect(conn)
        self.conn = conn
        self.targets = targets_for(organization=organization)

    def chat_source(self) -> Source:
        d = self.d
        frt_target, frt_params = target_case_sql(
            self.targets[SlaMetric.CHAT_FIRST_RESPONSE], channel="c.channel", priority=None)
        wait_target, wait_params = target_case_sql(
            self.targets[SlaMetric.CHAT_WAIT], channel="c.channel", priority=None)
        answered = "c.accepted_at IS NOT NULL"
        duration = f"CASE WHEN {answered} AND c.ended_at IS NOT NULL THEN {d.seconds('c.ended_at', 'c.accepted_at')} END"
        wrap = f"CASE WHEN c.ended_at IS NOT NULL AND c.closed_at IS NOT NULL THEN {d.seconds('c.closed_at', 'c.ended_at')} END"
        repeat = (
            "c.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM chats_chat c2 "
            "WHERE c2.organization_id = c.organization_id AND c2.customer_id = c.customer_id "
            "AND c2.requested_at > c.requested_at AND "
            f"{d.within_seconds('c2.requested_at', 'c.requested_at', '%s')})"
        )
        has_tag = "EXISTS (SELECT 1 FROM chats_chattag x WHERE x.chat_id = c.id)"
        columns = {
            "answered": f"CASE WHEN {answered} THEN 1 ELSE 0 END",
            "missed_reason": "c.missed_reason",
            "outcome": "c.outcome",
            "proactive": "CASE WHEN c.initiated_by = 'agent' THEN 1 ELSE 0 END",
            "transfers": "c.transfers",
            "msgs": f"CASE WHEN {answered} THEN c.messages_visitor + c.messages_agent END",
            "resp_total": f"CASE WHEN {answered} THEN c.response_time_total_s ELSE 0 END",
            "resp_count": f"CASE WHEN {answered} THEN c.response_count ELSE 0 END",
            "frt": f"CASE WHEN {answered} AND c.first_response_at IS NOT NULL THEN {d.seconds('c.first_response_at', 'c.requested_at')} END",
            "frt_target": frt_target,
            "wait": f"CASE WHEN {answered} THEN {d.seconds('c.accepted_at', 'c.requested_at')} END",
            "wait_target": wait_target,
            "dur": duration,
            "wrap": wrap,
            "chat_resp": f"CASE WHEN {answered} AND c.response_count > 0 THEN c.response_time_total_s / c.response_count END",
            "tagged": f"CASE WHEN {has_tag} THEN 1 ELSE 0 END",
            "tag_n": "(SELECT COUNT(*) FROM chats_chattag x WHERE x.chat_id = c.id)",
            "high_tag": (
                "CASE WHEN EXISTS (SELECT 1 FROM chats_chattag x JOIN chats_tag t ON t.id = x.tag_id "
                f"WHERE x.chat_id = c.id AND {d.true('t.high_priority')}) THEN 1 ELSE 0 END"
            ),
            "canned": f"CASE WHEN {answered} AND EXISTS (SELECT 1 FROM chats_cannedresponseuse u WHERE u.chat_id = c.id) THEN 1 ELSE 0 END",
            "repeat": f"CASE WHEN {answered} AND {repeat} THEN 1 ELSE 0 END",
            "converted": "CASE WHEN c.converted_at IS NOT NULL THEN 1 ELSE 0 END",
            "conv_value": "COALESCE(c.conversion_value, 0)",
        }
        params = frt_params + wait_params + [self.org.follow_up_window_hours * 3600]
        return Source(
            name="chats",
            from_sql="chats_chat c",
            timestamp="c.requested_at",
            dims={"agent": "c.agent_id", "team": "COALESCE(c.team_id, ag.team_id)", "channel": "c.channel"},
            joins="LEFT JOIN accounts_agent ag ON ag.id = c.agent_id",
            refs={"row_id": "c.id"},
            tag_join="JOIN chats_chattag tg ON tg.chat_id = base.row_id",
            tag_dim="tg.tag_id",
            columns=columns,
            params=params,
            counts={
                "chats_total": "1 = 1",
                "chats_answered": "answered = 1",
                "chats_missed": "answered = 0",
                "missed_visitor_left": "answered = 0 AND missed_reason = 'visitor_left'",
                "missed_timeout": "answered = 0 AND missed_reason = 'timeout'",
                "missed_no_agent_online": "answered = 0 AND missed_reason = 'no_agent_online'",
                "chats_proactive": "proactive = 1",
                "chats_transferred": "answered = 1 AND transfers > 0",
                "outcome_resolved": "answered = 1 AND outcome = 'resolved'",
                "outcome_escalated": "answered = 1 AND outcome = 'escalated'",
                "outcome_unresolved": "answered = 1 AND outcome = 'unresolved'",
                "chats_short": "msgs <= 5",
                "chats_medium": "msgs > 5 AND msgs <= 15",
                "chats_long": "msgs > 15",
                "chats_tagged": "tagged = 1",
                "chats_high_priority_tag": "high_tag = 1",
                "chats_with_canned": "canned = 1",
                "fcr_chats": "answered = 1 AND outcome NOT IN ('escalated', 'unresolved') AND repeat = 0",
                "fcr_repeat_contacts": "repeat = 1",
                "chats_converted": "converted = 1",
                "frt_within_target": "frt IS NOT NULL AND frt <= frt_target",
                "wait_within_target": "wait IS NOT NULL AND wait <= wait_target",
            },
            sums={
                "messages_total": "COALESCE(msgs, 0)",
                "response_time_total": "resp_total",
                "response_count": "resp_count",
                "tag_assignments": "tag_n",
                "conversion_value": "conv_value",
            },
            durations={
                "first_response_time": "frt",
                "wait_time": "wait",
                "chat_duration": "dur",
                "wrap_up_time": "wrap",
                "handle_time": "CASE WHEN dur IS NOT NULL THEN dur + COALESCE(wrap, 0) END",
                "chat_response_time": "chat_resp",
            },
        )

    @staticmethod
    def _ticket_dims() -> dict:
        return {
            "dims": {"agent": "t.agent_id", "team": "COALESCE(t.team_id, ag.team_id)", "channel": "t.channel"},
            "joins": "LEFT JOIN accounts_agent ag ON ag.id = t.agent_id",
            "refs": {"row_id": "t.id"},
            "tag_join": "JOIN chats_tickettag tg ON tg.ticket_id = base.row_id",
            "tag_dim": "tg.tag_id",
        }

    def ticket_created_source(self) -> Source:
        target, params = target_case_sql(
            self.targets[SlaMetric.TICKET_FIRST_RESPONSE], channel="t.channel", priority="t.priority")
        return Source(
            name="tickets_created",
            from_sql="chats_ticket t",
            timestamp="t.created_at",
            **self._ticket_dims(),
            columns={
                "priority": "t.priority",
                "frt": f"CASE WHEN t.first_response_at IS NOT NULL THEN {self.d.seconds('t.first_response_at', 't.created_at')} END",
                "frt_target": target,
            },
            params=params,
            counts={
                "tickets_created": "1 = 1",
                **{f"tickets_{p}": f"priority = '{p}'" for p in ("low", "normal", "high", "urgent")},
                "ticket_frt_within_target": "frt IS NOT NULL AND frt <= frt_target",
            },
            durations={"ticket_first_response_time": "frt"},
        )

    def ticket_resolved_source(self) -> Source:
        d = self.d
        target, params = target_case_sql(
            self.targets[SlaMetric.TICKET_RESOLUTION], channel="t.channel", priority="t.priority")
        complaint_start = f"CASE WHEN {d.true('t.is_complaint')} THEN t.created_at ELSE t.escalated_at END"
        return Source(
            name="tickets_resolved",
            from_sql="chats_ticket t",
            timestamp="t.resolved_at",
            **self._ticket_dims(),
            columns={
                "res": d.seconds("t.resolved_at", "t.created_at"),
                "res_target": target,
                "reopened": "t.reopened_count",
                "replies": "t.agent_replies",
                "complaint": (
                    f"CASE WHEN {d.true('t.is_complaint')} OR t.escalated_at IS NOT NULL "
                    f"THEN {d.seconds('t.resolved_at', complaint_start)} END"
                ),
            },
            params=params,
            counts={
                "tickets_resolved": "1 = 1",
                "tickets_reopened": "reopened > 0",
                "tickets_one_touch": "reopened = 0 AND replies <= 1",
                "resolution_within_target": "res <= res_target",
            },
            durations={"resolution_time": "res", "complaint_resolution_time": "complaint"},
        )

    @staticmethod
    def _conversation_dims(agent: str, main: str) -> dict:
        """Dimensions of a row tied to a chat (alias ch) or a ticket (alias tk)."""
        return {
            "dims": {"agent": agent, "team": "COALESCE(ch.team_id, tk.team_id, ag.team_id)",
                     "channel": "COALESCE(ch.channel, tk.channel)"},
            "joins": f"LEFT JOIN accounts_agent ag ON ag.id = {agent}",
            "refs": {"chat_ref": f"{main}.chat_id", "ticket_ref": f"{main}.ticket_id"},
            # A row has a chat or a ticket, never both: one join finds its tags, the other one
            # row of NULLs.
            "tag_join": "LEFT JOIN chats_chattag ct ON ct.chat_id = base.chat_ref "
                        "LEFT JOIN chats_tickettag tt ON tt.ticket_id = base.ticket_ref",
            "tag_dim": "COALESCE(ct.tag_id, tt.tag_id)",
        }

    def survey_source(self) -> Source:
        def case(mapping: dict[str, int], op: str) -> str:
            whens = " ".join(f"WHEN '{scale}' THEN CASE WHEN s.score {op} {v} THEN 1 ELSE 0 END" for scale, v in mapping.items())
            return f"CASE s.scale {whens} ELSE 0 END"

        tops = {scale: high for scale, (_, high) in SCALE_BOUNDS.items() if scale in CSAT_POSITIVE_FROM}
        agent = "COALESCE(s.agent_id, ch.agent_id, tk.agent_id)"
        return Source(
            name="surveys",
            from_sql=(
                "surveys_surveyanswer s LEFT JOIN chats_chat ch ON ch.id = s.chat_id "
                "LEFT JOIN chats_ticket tk ON tk.id = s.ticket_id"
            ),
            timestamp="s.answered_at",
            **self._conversation_dims(agent, "s"),
            columns={
                "kind": "s.kind",
                "scale": "s.scale",
                "score": "s.score",
                "positive": case(CSAT_POSITIVE_FROM, ">="),
                "negative": case(CSAT_NEGATIVE_UPTO, "<="),
                "top": case(tops, "="),
                "commented": "CASE WHEN s.comment <> '' THEN 1 ELSE 0 END",
                "replied": "CASE WHEN s.comment <> '' AND s.responded_at IS NOT NULL THEN 1 ELSE 0 END",
                "canned": "CASE WHEN EXISTS (SELECT 1 FROM chats_cannedresponseuse u WHERE u.chat_id = s.chat_id) THEN 1 ELSE 0 END",
            },
            counts={
                "csat_n": "kind = 'csat'",
                "csat_positive": "kind = 'csat' AND positive = 1",
                "csat_top": "kind = 'csat' AND top = 1",
                "csat_negative": "kind = 'csat' AND negative = 1",
                "csat_score_n": f"kind = 'csat' AND scale = '{self.org.csat_scale}'",
                "csat_canned_n": "kind = 'csat' AND canned = 1",
                "csat_canned_positive": "kind = 'csat' AND canned = 1 AND positive = 1",
                "nps_n": "kind = 'nps'",
                "nps_promoters": f"kind = 'nps' AND score >= {NPS_PROMOTER_FROM}",
                "nps_detractors": f"kind = 'nps' AND score <= {NPS_DETRACTOR_UPTO}",
                "ces_n": "kind = 'ces' AND scale = '1-7'",
                "ces5_n": "kind = 'ces' AND scale = '1-5'",
                "feedback_total": "commented = 1",
                "feedback_replied": "replied = 1",
            },
            sums={
                "csat_score_sum": f"CASE WHEN kind = 'csat' AND scale = '{self.org.csat_scale}' THEN score ELSE 0 END",
                "ces_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score ELSE 0 END",
                "ces_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score * score ELSE 0 END",
                "ces5_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score ELSE 0 END",
                "ces5_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score * score ELSE 0 END",
            },
        )

    def canned_sources(self) -> list[Source]:
        # Seconds saved per use: the response's own figure, else its typing time. Computed in
        # Python once per response (few rows) and joined as a small table.
        saved = [
            (r.pk, r.effective_seconds_saved)
            for r in CannedResponse.objects.for_org(self.org).only("id", "text", "seconds_saved")
        ]
        if not saved:
            return []
        cast = "(%s::bigint, %s::float8)" if self.d.pg else "(%s, %s)"
        return [Source(
            name="canned",
            from_sql=(
                "chats_cannedresponseuse u JOIN saved sv ON sv.id = u.canned_response_id "
                "LEFT JOIN chats_chat ch ON ch.id = u.chat_id LEFT JOIN chats_ticket tk ON tk.id = u.ticket_id"
            ),
            timestamp="u.used_at",
            **self._conversation_dims("u.agent_id", "u"),
            columns={"secs": "sv.secs"},
            counts={"canned_uses": "1 = 1"},
            sums={"canned_seconds_saved": "secs"},
            ctes=f"saved(id, secs) AS (VALUES {', '.join([cast] * len(saved))})",
            cte_params=[v for row in saved for v in row],
        )]

    def _overlap(self, start: str, end: str) -> str:
        d = self.d
        return d.seconds(d.least(end, "cal.end_at"), d.greatest(start, "cal.start_at"))

    def session_source(self) -> Source:
        """Online time, split at local midnight (and local hours)."""
        return Source(
            name="sessions",
            from_sql="chats_agentsession se",
            interval=("se.started_at", "se.ended_at"),
            dims={"agent": "se.agent_id", "team": "ag.team_id"},
            joins="JOIN accounts_agent ag ON ag.id = se.agent_id",
            where="se.status = 'online'",
            columns={"online": self._overlap("se.started_at", "se.ended_at")},
            sums={"online_seconds": "online"},
        )

    def create_busy_intervals(self, cur, range_start: dt.datetime, range_end: dt.datetime) -> None:
        """Online time with at least one active chat, as intervals in BUSY_TABLE: the union of
        each agent's chat intervals (concurrent chats count once; gaps-and-islands over window
        functions), intersected with the agent's online sessions. Materialized on its own so
        the calendar join reads it once."""
        d = self.d
        cur.execute(f"DROP TABLE IF EXISTS {BUSY_TABLE}")
        cur.execute(f"""
        CREATE TEMPORARY TABLE {BUSY_TABLE} AS
        WITH iv AS (
            SELECT c.agent_id, c.accepted_at AS s, c.ended_at AS e FROM chats_chat c
            WHERE c.organization_id = %s AND c.agent_id IS NOT NULL AND c.accepted_at IS NOT NULL
              AND c.ended_at > c.accepted_at AND c.accepted_at < %s AND c.ended_at > %s
        ),
        mk AS (
            SELECT agent_id, s, e, CASE WHEN s <= MAX(e) OVER (
                PARTITION BY agent_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0 ELSE 1 END AS opens FROM iv
        ),
        isl AS (SELECT agent_id, s, e, SUM(opens) OVER (PARTITION BY agent_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island FROM mk),
        merged AS (SELECT agent_id, MIN(s) AS s, MAX(e) AS e FROM isl GROUP BY agent_id, island)
        SELECT se.organization_id, m.agent_id, {d.greatest('m.s', 'se.started_at')} AS s, {d.least('m.e', 'se.ended_at')} AS e
        FROM merged m JOIN chats_agentsession se ON se.agent_id = m.agent_id AND se.status = 'online'
          AND se.organization_id = %s AND se.started_at < m.e AND se.ended_at > m.s
        """, [self.org.pk, d.datetime_param(range_end), d.datetime_param(range_start), self.org.pk])

    def busy_source(self) -> Source:
        """Busy time (see create_busy_intervals), split at local midnight and hours."""
        return Source(
            name="busy",
            from_sql=f"{BUSY_TABLE} b",
            interval=("b.s", "b.e"),
            dims={"agent": "b.agent_id", "team": "ag.team_id"},
            joins="JOIN accounts_agent ag ON ag.id = b.agent_id",
            columns={"busy": self._overlap("b.s", "b.e")},
            sums={"busy_seconds": "busy"},
        )

    # --- SQL assembly -----------------------------------------------------------------------

    def create_calendar(self, cur, slots: list[Slot], steps: list) -> None:
        """The chunk's local hours (HOURS_TABLE) and 15-minute steps (STEPS_TABLE), once."""
        d, ops = self.d, self.conn.ops
        ts_type = "timestamptz" if d.pg else "text"
        for table, ddl, rows in (
            (STEPS_TABLE, "step bigint PRIMARY KEY, day date NOT NULL, hour integer NOT NULL",
             [(step, ops.adapt_datefield_value(day), hour) for step, day, hour in steps]),
            (HOURS_TABLE, f"day date NOT NULL, hour integer NOT NULL, start_at {ts_type} NOT NULL, end_at {ts_type} NOT NULL",
             [(ops.adapt_datefield_value(s.day), s.hour, d.datetime_param(s.start), d.datetime_param(s.end)) for s in slots]),
        ):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TEMPORARY TABLE {table} ({ddl})")
            if table == HOURS_TABLE:
                cur.execute(f"CREATE INDEX {table}_end ON {table} (end_at)")
            width = len(rows[0])
            for i in range(0, len(rows), 1000):  # stays under SQLite's parameter limit
                batch = rows[i:i + 1000]
                cur.execute(f"INSERT INTO {table} VALUES {', '.join(['(' + ', '.join(['%s'] * width) + ')'] * len(batch))}",
                            [v for row in batch for v in row])

    def _create_base(self, cur, source: Source, slots: list[Slot]) -> None:
        """The source's rows in the chunk, one per raw row and local hour slot."""
        d = self.d
        range_params = [d.datetime_param(slots[0].start), d.datetime_param(slots[-1].end)]
        if source.interval:
            # Few rows (sessions): overlap every hour slot; the range test uses the index.
            start, end = source.interval
            # Slots are at most 2 hours long (the repeated autumn hour), which bounds the
            # indexed end_at range each interval can meet.
            join = (f"JOIN {HOURS_TABLE} cal ON cal.end_at > {start} AND cal.end_at <= {d.plus_hours(end, 2)} "
                    f"AND cal.start_at < {end}")
            in_range = f"{end} > %s AND {start} < %s"
        else:
            join = f"JOIN {STEPS_TABLE} cal ON cal.step = {d.step_of(source.timestamp)}"
            in_range = f"{source.timestamp} >= %s AND {source.timestamp} < %s"
        main_alias = source.from_sql.split()[1]
        select = ["cal.day AS day", "cal.hour AS hour"]
        select += [f"{source.dims.get(grain, 'NULL')} AS {column}" for grain, column in DIM_COLUMNS.items()]
        select += [f"{expr} AS {name}" for name, expr in {**source.refs, **source.columns}.items()]
        with_ctes = f"WITH {source.ctes} " if source.ctes else ""
        cur.execute(f"DROP TABLE IF EXISTS {BASE_TABLE}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {BASE_TABLE} AS {with_ctes}SELECT {', '.join(select)} "
            f"FROM {source.from_sql} {join} {source.joins} "
            f"WHERE {main_alias}.organization_id = %s AND {in_range} AND {source.where}",
            source.cte_params + source.params + [self.org.pk] + range_params,
        )

    @staticmethod
    def _aggregates(source: Source) -> list[tuple[str, str]]:
        out = [(name, f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)") for name, cond in source.counts.items()]
        out += [(name, f"SUM({expr})") for name, expr in source.sums.items()]
        for name, expr in source.durations.items():
            out += [(f"{name}_sum", f"SUM({expr})"), (f"{name}_n", f"COUNT({expr})")]
        return out

    def _aggregate_grain(self, cur, source: Source, grain: str, into: dict) -> None:
        """One statement: the grain's groups with their counts, sums and histograms."""
        d = self.d
        if grain == "tag":
            dim, joins = source.tag_dim, source.tag_join
        else:
            dim, joins = (f"base.{DIM_COLUMNS[grain]}" if grain in DIM_COLUMNS else "NULL"), ""
        hour = "base.hour" if grain == "hour" else "NULL"
        not_null = f"WHERE {dim} IS NOT NULL" if dim != "NULL" else ""
        aggs = self._aggregates(source)
        ctes = [f"b AS (SELECT base.*, {hour} AS ghour, {dim} AS dim FROM {BASE_TABLE} base {joins} {not_null})",
                f"agg AS (SELECT day, ghour, dim, {', '.join(f'{e} AS {n}' for n, e in aggs)} FROM b GROUP BY day, ghour, dim)"]
        select, join = "agg.*", ""
        if source.durations:
            buckets = " UNION ALL ".join(
                f"SELECT day, ghour, dim, '{name}' AS metric, {bucket_sql('v')} AS bk "
                f"FROM (SELECT day, ghour, dim, {expr} AS v FROM b) x{i} WHERE v IS NOT NULL"
                for i, (name, expr) in enumerate(source.durations.items())
            )
            ctes += [
                f"hb AS ({buckets})",
                "hc AS (SELECT day, ghour, dim, metric, bk, COUNT(*) AS n FROM hb GROUP BY day, ghour, dim, metric, bk)",
                f"hm AS (SELECT day, ghour, dim, metric, {d.json_object_agg('bk', 'n')} AS h FROM hc GROUP BY day, ghour, dim, metric)",
                f"hj AS (SELECT day, ghour, dim, {d.json_object_agg('metric', d.json('h'))} AS hists FROM hm GROUP BY day, ghour, dim)",
            ]
            select = "agg.*, hj.hists"
            join = (f"LEFT JOIN hj ON hj.day = agg.day AND {d.same('hj.ghour', 'agg.ghour')} "
                    f"AND {d.same('hj.dim', 'agg.dim')}")
        cur.execute(f"WITH {', '.join(ctes)} SELECT {select} FROM agg {join}")
        for row in cur.fetchall():
            target = into[(_as_date(row[0]), row[1], row[2])]
            for (name, _), value in zip(aggs, row[3:3 + len(aggs)], strict=True):
                if value:
                    target[name] = target.get(name, 0) + value
            hists = row[3 + len(aggs)] if source.durations else None
            if isinstance(hists, str):
                hists = json.loads(hists)
            for metric, hist in (hists or {}).items():
                merged = target.setdefault(f"{metric}_hist", {})
                for b, n in hist.items():
                    merged[b] = merged.get(b, 0) + int(n)

    def build_chunk(self, first: dt.date, last: dt.date) -> dict[str, dict[tuple, dict]]:
        """{grain: {(day, hour, dimension): components}} for every group with any data."""
        slots = hour_slots(first, last, self.org.tzinfo)
        steps = step_labels(first, last, self.org.tzinfo)
        sources = [self.chat_source(), self.ticket_created_source(), self.ticket_resolved_source(),
                   self.survey_source(), *self.canned_sources(), self.session_source(), self.busy_source()]
        result: dict[str, dict[tuple, dict]] = {grain: defaultdict(dict) for grain in GRAINS}
        with self.conn.cursor() as cur:
            self.create_calendar(cur, slots, steps)
            self.create_busy_intervals(cur, slots[0].start, slots[-1].end)
            for source in sources:
                self._create_base(cur, source, slots)
                for grain in GRAINS:
                    if source.supports(grain):
                        self._aggregate_grain(cur, source, grain, result[grain])
            for table in (BASE_TABLE, BUSY_TABLE, STEPS_TABLE, HOURS_TABLE):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
        return result


def chunks(first: dt.date, last: dt.date, size: int = MAX_CHUNK_DAYS) -> Iterable[tuple[dt.date, dt.date]]:
    start = first
    while start <= last:
        end = min(last, start + dt.timedelta(days=size - 1))
        yield start, end
        start = end + dt.timedelta(days=1)

