"""Set-based snapshot builders.

For one organization and a chunk of local days, each source of raw rows (chats, tickets by
creation and by resolution, survey answers, canned-response uses, online sessions, busy time)
is read ONCE into a temporary "base" table: one row per raw row and local hour, carrying its
local day and hour, its agent / team / channel, the derived values its components need and
the histogram bucket of each of its durations. One statement then groups that table by every
grain at once (org, hour, agent, team, channel: GROUPING SETS on PostgreSQL; tag: a join to the
source's tags), another the duration buckets, into a "parts" table; finally one
INSERT … SELECT per grain adds up every source's parts into the snapshot table. No raw row and
no snapshot row passes through Python.

Local day and hour boundaries are computed in Python with zoneinfo, DST-correct, and joined as
a small calendar table, so the SQL needs no time-zone support and runs on PostgreSQL and
SQLite alike.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from chats.models import CannedResponse, Tag
from reports import components as C
from reports.histogram import bucket_key_sql, bucket_sql
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


def tag_alias(i: int) -> str:
    """PostgreSQL: the alias of the LATERAL subquery reading a base row's tag ids from its
    source's i-th tag link table (see Builder._create_base)."""
    return f"tg{i}"


def tag_ids(i: int) -> str:
    """PostgreSQL: the SQL of those tag ids (an array, NULL for none), for the source's columns."""
    return f"{tag_alias(i)}.ids"


def pg_json_object_agg(key: str, value: str) -> str:
    """PostgreSQL: a JSON object of a group's (text key, number) pairs, assembled as text and
    cast once per group (several times faster than jsonb_object_agg)."""
    return f"""('{{' || string_agg('"' || {key} || '":' || {value}, ',') || '}}')::jsonb"""


# --- dialect ------------------------------------------------------------------------------

class Dialect:
    """The few SQL spellings PostgreSQL and SQLite disagree on."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.vendor == "postgresql"

    def seconds(self, later: str, earlier: str) -> str:
        if self.pg:
            # date_part, not EXTRACT: a float8 straight away (EXTRACT computes a numeric, several
            # times slower per row; the values are the same).
            return f"date_part('epoch', {later} - {earlier})"
        # Integer microseconds (whole seconds, then the text's six fraction digits), divided once:
        # exact, as on PostgreSQL. (julianday's double of days is only good to ~40 µs: 60 s
        # could come out 60.00004.)
        def micros(ts: str) -> str:
            return f"({self._sqlite_whole_seconds(ts)} * 1000000 + CAST(substr({ts}, 21) AS INTEGER))"

        return f"(({micros(later)} - {micros(earlier)}) / 1000000.0)"

    @staticmethod
    def _sqlite_whole_seconds(ts: str) -> str:
        """SQLite: the whole seconds since the epoch of a stored timestamp, read from its text up
        to the seconds (Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]'; strftime of the whole text
        would round .9995 up to the next second). %% escapes the placeholder."""
        return f"CAST(strftime('%%s', substr({ts}, 1, 19)) AS INTEGER)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"MIN({a}, {b})"

    def within_seconds(self, later: str, earlier: str, seconds_sql: str) -> str:
        if self.pg:
            return f"{later} <= {earlier} + ({seconds_sql})::float8 * INTERVAL '1 second'"
        return f"{self.seconds(later, earlier)} <= ({seconds_sql})"

    def json_object_agg(self, key: str, value: str) -> str:
        return pg_json_object_agg(key, value) if self.pg else f"json_group_object({key}, {value})"

    def true(self, expr: str) -> str:
        return expr if self.pg else f"({expr} = 1)"

    def plus_hours(self, ts: str, hours: int) -> str:
        if self.pg:
            return f"({ts} + INTERVAL '{hours} hours')"
        return f"datetime({ts}, '+{hours} hours')"

    def step_of(self, ts: str) -> str:
        if self.pg:
            return f"FLOOR(date_part('epoch', {ts}) / {STEP_SECONDS})::bigint"
        return f"({self._sqlite_whole_seconds(ts)} / {STEP_SECONDS})"

    def datetime_param(self, value: dt.datetime):
        return self.conn.ops.adapt_datetimefield_value(value)

    def null(self, sql_type: str) -> str:
        """A typed NULL (UNION ALL branches must agree on types in PostgreSQL)."""
        return f"NULL::{sql_type}" if self.pg else "NULL"

    @property
    def float_type(self) -> str:
        return "double precision" if self.pg else "REAL"

    @property
    def json_type(self) -> str:
        return "jsonb" if self.pg else "TEXT"

    @property
    def empty_json(self) -> str:
        return "'{}'::jsonb" if self.pg else "'{}'"

    def count_if(self, condition: str) -> str:
        return f"COUNT(*) FILTER (WHERE {condition})"

    def pick(self, column: str) -> str:
        """The one non-NULL value of a column in a group (PostgreSQL has no MAX(jsonb))."""
        return f"(array_agg({column}) FILTER (WHERE {column} IS NOT NULL))[1]" if self.pg else f"MAX({column})"

    def longer_than_a_day(self, start: str, end: str) -> str:
        """An interval longer than LONG_INTERVAL: matches the predicates of the partial indexes
        chat_long_org_ended and session_long_org_ended (PostgreSQL)."""
        if self.pg:
            return f"({end} - {start}) > INTERVAL '1 day'"
        return f"{self.seconds(end, start)} > {int(LONG_INTERVAL.total_seconds())}"

    def lookup(self, table: str, alias: str, key: str) -> str:
        """LEFT JOIN `table` by primary key `key` as one indexed lookup per row. On PostgreSQL
        a LATERAL subquery (OFFSET 0 keeps it one), so a few late rows never hash a whole table."""
        if self.pg:
            return f"LEFT JOIN LATERAL (SELECT * FROM {table} WHERE id = {key} OFFSET 0) {alias} ON true"
        return f"LEFT JOIN {table} {alias} ON {alias}.id = {key}"

    def analyze(self, cur, table: str) -> None:
        """Fresh statistics for a temporary table the next statements group and join."""
        if self.pg:
            cur.execute(f"ANALYZE {table}")

    def configure(self, cur) -> None:
        """Session settings for the build's transaction (see BUILD_SETTINGS)."""
        if self.pg:
            for name, value in BUILD_SETTINGS.items():
                cur.execute(f"SET LOCAL {name} = '{value}'")


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# --- grains ---------------------------------------------------------------------------------

GRAINS = ("org", "agent", "team", "channel", "tag", "hour", "segment", "touchpoint")
# Grains read from the base table's own columns (the tag grain joins the source's tag rows),
# and the base column each groups by besides the day.
COLUMN_GRAINS = ("org", "hour", "agent", "team", "channel", "segment", "touchpoint")
GROUPED_COLUMN = {"hour": "hour", **{g: f"{g}_dim" for g in ("agent", "team", "channel", "segment", "touchpoint")}}
# The parts-table column holding each grain's dimension (integer ids, text, or the hour).
PARTS_KEY = {"org": None, "hour": "hour", "agent": "dim", "team": "dim", "tag": "dim",
             "channel": "dim_text", "segment": "dim_text", "touchpoint": "dim_text"}


@dataclass
class Source:
    """A kind of raw row and the components it adds, on the local day (and hour) of
    `timestamp`, or, for an interval source, on every local hour the interval overlaps."""

    name: str
    from_sql: str                                 # FROM ... (main table and its alias)
    timestamp: str = ""                           # the column that decides the local day
    interval: tuple[str, str] | None = None       # (start, end) of an interval source
    dims: dict[str, str] = field(default_factory=dict)  # agent / team / channel -> SQL
    joins: str = ""                               # joins the dims and columns need
    refs: dict[str, str] = field(default_factory=dict)  # ids kept for the tag join
    # Tag links of a base row: (link table, its column, the base column it matches).
    tags: list[tuple[str, str, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)   # per-row derived values
    counts: dict[str, str] = field(default_factory=dict)    # component -> condition (counted)
    sums: dict[str, str] = field(default_factory=dict)      # component -> value (summed)
    durations: dict[str, str] = field(default_factory=dict)  # duration -> seconds (NULL: none)
    where: str = "1 = 1"
    params: list = field(default_factory=list)    # for `columns`, in order of appearance
    ctes: str = ""                                # extra CTEs
    cte_params: list = field(default_factory=list)

    def supports(self, grain: str) -> bool:
        if grain in ("org", "hour"):
            return True
        if grain == "tag":
            return bool(self.tags)
        return grain in self.dims


BASE_TABLE = "hm_snapshot_base"
TAGS_TABLE = "hm_snapshot_base_tags"
PARTS_TABLE = "hm_snapshot_parts"
BUSY_TABLE = "hm_snapshot_busy"
SESSIONS_TABLE = "hm_snapshot_sessions"
STEPS_TABLE = "hm_calendar_steps"
HOURS_TABLE = "hm_calendar_hours"
TEMP_TABLES = (BASE_TABLE, TAGS_TABLE, PARTS_TABLE, BUSY_TABLE, SESSIONS_TABLE, STEPS_TABLE, HOURS_TABLE)
DIM_COLUMNS = {grain: column for grain, column in GROUPED_COLUMN.items() if grain != "hour"}
TEXT_DIMS = frozenset(grain for grain, key in PARTS_KEY.items() if key == "dim_text")
# A chat or an agent session that lasts longer than this is found through a partial index
# (chats migrations 0002 and 0003: chat_long_org_ended, session_long_org_ended) when a range of
# days is built; every other one through its (organization, start) index.
LONG_INTERVAL = dt.timedelta(days=1)
# PostgreSQL settings for the build's transaction (the benchmark's floor runs with the same):
# memory for a month of a large organization's base rows grouped six ways without spilling,
# and no JIT compilation, which costs more (100-200 ms a statement) than it saves on
# statements that each read one chunk.
BUILD_SETTINGS = {"work_mem": "64MB", "jit": "off", "max_parallel_workers_per_gather": "0"}


@dataclass(frozen=True)
class Range:
    """The chunk as UTC instants, adapted for the connection's SQL parameters."""

    start: object
    end: object
    lookback: object  # start - LONG_INTERVAL


class Builder:
    """Builds and writes the snapshots of one organization, one chunk of local days at a time.

    For each source, the chunk's raw rows are read once into BASE_TABLE (one row per raw row
    and local hour, with every derived value and the histogram bucket of every duration);
    then one statement groups that table by every grain at once (GROUPING SETS on
    PostgreSQL, a UNION ALL of grouped selects on SQLite) into PARTS_TABLE, counts and sums
    in one row per group, histograms in one row per group and duration. At the end one
    INSERT … SELECT per grain adds up the parts of every source into the snapshot table.
    No row of data passes through Python.
    """

    def __init__(self, organization: Organization, conn=connection):
        self.org = organization
        self.d = Dialect(conn)
        self.conn = conn
        self.targets = targets_for(organization=organization)

    # --- sources --------------------------------------------------------------------------

    def chat_source(self) -> Source:
        d = self.d
        frt_target, frt_params = target_case_sql(
            self.targets[SlaMetric.CHAT_FIRST_RESPONSE], channel="c.channel", priority=None)
        wait_target, wait_params = target_case_sql(
            self.targets[SlaMetric.CHAT_WAIT], channel="c.channel", priority=None)
        high = list(Tag.objects.for_org(self.org).filter(high_priority=True).values_list("pk", flat=True))
        if d.pg:  # the chat's tag ids, read once per chat with its tag rows (see _create_base)
            tag_n = f"COALESCE(cardinality({tag_ids(0)}), 0)"
            high_sql = f"{tag_ids(0)} && ARRAY[{', '.join(['%s'] * len(high))}]::bigint[]"
        else:
            tag_n = "(SELECT COUNT(*) FROM chats_chattag x WHERE x.chat_id = c.id)"
            high_sql = self._exists("chats_chattag", f"chat_id = c.id AND tag_id IN ({', '.join(['%s'] * len(high))})")
        answered = "c.accepted_at IS NOT NULL"
        duration = f"CASE WHEN {answered} AND c.ended_at IS NOT NULL THEN {d.seconds('c.ended_at', 'c.accepted_at')} END"
        wrap = f"CASE WHEN c.ended_at IS NOT NULL AND c.closed_at IS NOT NULL THEN {d.seconds('c.closed_at', 'c.ended_at')} END"
        # Per-chat facts from other tables: correlated subqueries, each an index lookup per
        # chat (a nested loop the planner cannot turn into a scan of the whole table).
        repeat = (
            "c.customer_id IS NOT NULL AND EXISTS (SELECT 1 FROM chats_chat c2 "
            "WHERE c2.organization_id = c.organization_id AND c2.customer_id = c.customer_id "
            "AND c2.requested_at > c.requested_at AND "
            f"{d.within_seconds('c2.requested_at', 'c.requested_at', '%s')})"
        )
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
            "tag_n": tag_n,
            # The organization's few high-priority tags are parameters.
            "high_tag": f"CASE WHEN {high_sql} THEN 1 ELSE 0 END" if high else "0",
            "canned": f"CASE WHEN {answered} AND {self._exists('chats_cannedresponseuse', 'chat_id = c.id')} THEN 1 ELSE 0 END",
            "repeat": f"CASE WHEN {answered} AND {repeat} THEN 1 ELSE 0 END",
            "converted": "CASE WHEN c.converted_at IS NOT NULL THEN 1 ELSE 0 END",
            "conv_value": "COALESCE(c.conversion_value, 0)",
        }
        return Source(
            name="chats",
            from_sql="chats_chat c",
            timestamp="c.requested_at",
            dims={"agent": "c.agent_id", "team": "COALESCE(c.team_id, ag.team_id)", "channel": "c.channel"},
            joins="LEFT JOIN accounts_agent ag ON ag.id = c.agent_id",
            refs={"row_id": "c.id"},
            tags=[("chats_chattag", "chat_id", "row_id")],
            columns=columns,
            params=frt_params + wait_params + high + [self.org.follow_up_window_hours * 3600],
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
                "chats_tagged": "tag_n > 0",
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

    def fcr_source(self) -> Source:
        """The chats source reduced to first-contact resolution: all that a chat requested later
        can change on an earlier day (through the follow-up window)."""
        full = self.chat_source()
        return replace(
            full, name="chats_fcr", columns={k: full.columns[k] for k in ("answered", "outcome", "repeat")},
            params=[self.org.follow_up_window_hours * 3600],  # the repeat test's window
            counts={k: full.counts[k] for k in C.FCR_COMPONENTS}, sums={}, durations={},
        )

    @staticmethod
    def _exists(table: str, condition: str) -> str:
        """Whether `table` has a row meeting `condition`: an indexed lookup per base row. (A
        scalar subquery, not EXISTS, which PostgreSQL may run as one hashed scan of the whole
        table: cheap for a year, not for the few rows of a late day.)"""
        return f"(SELECT id FROM {table} WHERE {condition} LIMIT 1) IS NOT NULL"

    @staticmethod
    def _ticket_dims() -> dict:
        return {
            "dims": {"agent": "t.agent_id", "team": "COALESCE(t.team_id, ag.team_id)", "channel": "t.channel"},
            "joins": "LEFT JOIN accounts_agent ag ON ag.id = t.agent_id",
            "refs": {"row_id": "t.id"},
            "tags": [("chats_tickettag", "ticket_id", "row_id")],
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

    def _conversation_dims(self, agent: str, main: str) -> dict:
        """Dimensions of a row tied to a chat (alias ch) or a ticket (alias tk)."""
        d = self.d
        return {
            "dims": {"agent": agent, "team": "COALESCE(ch.team_id, tk.team_id, ag.team_id)",
                     "channel": "COALESCE(ch.channel, tk.channel)"},
            "joins": (f"{d.lookup('chats_chat', 'ch', f'{main}.chat_id')} {d.lookup('chats_ticket', 'tk', f'{main}.ticket_id')} "
                      f"LEFT JOIN accounts_agent ag ON ag.id = {agent}"),
            "refs": {"chat_ref": f"{main}.chat_id", "ticket_ref": f"{main}.ticket_id"},
            # A row has a chat or a ticket, never both: the tags of the one it has.
            "tags": [("chats_chattag", "chat_id", "chat_ref"), ("chats_tickettag", "ticket_id", "ticket_ref")],
        }

    def survey_source(self) -> Source:
        def case(mapping: dict[str, int], op: str) -> str:
            whens = " ".join(f"WHEN '{scale}' THEN CASE WHEN s.score {op} {v} THEN 1 ELSE 0 END" for scale, v in mapping.items())
            return f"CASE s.scale {whens} ELSE 0 END"

        tops = {scale: high for scale, (_, high) in SCALE_BOUNDS.items() if scale in CSAT_POSITIVE_FROM}
        agent = "COALESCE(s.agent_id, ch.agent_id, tk.agent_id)"
        conversation = self._conversation_dims(agent, "s")
        # Segment: the answer's own, else its customer's (the answer's, else the conversation's).
        conversation["joins"] += " " + self.d.lookup("chats_customer", "cu", "COALESCE(s.customer_id, ch.customer_id, tk.customer_id)")
        conversation["dims"].update(segment="COALESCE(NULLIF(s.segment, ''), cu.segment, '')", touchpoint="s.touchpoint")
        return Source(
            name="surveys",
            from_sql="surveys_surveyanswer s",
            timestamp="s.answered_at",
            **conversation,
            columns={
                "kind": "s.kind",
                "scale": "s.scale",
                "score": "s.score",
                "positive": case(CSAT_POSITIVE_FROM, ">="),
                "negative": case(CSAT_NEGATIVE_UPTO, "<="),
                "top": case(tops, "="),
                "commented": "CASE WHEN s.comment <> '' THEN 1 ELSE 0 END",
                "replied": "CASE WHEN s.comment <> '' AND s.responded_at IS NOT NULL THEN 1 ELSE 0 END",
                "canned": f"CASE WHEN {self._exists('chats_cannedresponseuse', 'chat_id = s.chat_id')} THEN 1 ELSE 0 END",
                # A CES answer's partner for the correlation: the mean CSAT score (organization's
                # scale) of its conversation, an indexed lookup per CES answer.
                "pair_csat": (
                    "CASE WHEN s.kind = 'ces' AND s.scale = '1-7' THEN COALESCE("
                    + ", ".join(
                        f"(SELECT AVG(s2.score) FROM surveys_surveyanswer s2 WHERE s2.{column} = s.{column} "
                        f"AND s2.kind = 'csat' AND s2.scale = '{self.org.csat_scale}')"
                        for column in ("chat_id", "ticket_id"))
                    + ") END"
                ),
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
                **{f"ces_score_{i}": f"kind = 'ces' AND scale = '1-7' AND score = {i}" for i in range(1, 8)},
                **{f"ces5_score_{i}": f"kind = 'ces' AND scale = '1-5' AND score = {i}" for i in range(1, 6)},
                "ces_csat_pairs": "pair_csat IS NOT NULL",
                "feedback_total": "commented = 1",
                "feedback_replied": "replied = 1",
            },
            sums={
                "csat_score_sum": f"CASE WHEN kind = 'csat' AND scale = '{self.org.csat_scale}' THEN score ELSE 0 END",
                "ces_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score ELSE 0 END",
                "ces_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score * score ELSE 0 END",
                "ces5_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score ELSE 0 END",
                "ces5_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score * score ELSE 0 END",
                "ces_csat_ces_sum": "CASE WHEN pair_csat IS NOT NULL THEN score ELSE 0 END",
                "ces_csat_csat_sum": "COALESCE(pair_csat, 0)",
                "ces_csat_ces_sq_sum": "CASE WHEN pair_csat IS NOT NULL THEN score * score ELSE 0 END",
                "ces_csat_csat_sq_sum": "COALESCE(pair_csat * pair_csat, 0)",
                "ces_csat_product_sum": "COALESCE(score * pair_csat, 0)",
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
            from_sql="chats_cannedresponseuse u JOIN saved sv ON sv.id = u.canned_response_id",
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

    def create_sessions(self, cur, rng: Range) -> None:
        """SESSIONS_TABLE: the online sessions that reach into the chunk, read once for online
        and busy time. Found by started_at: those started from LONG_INTERVAL before the chunk
        through its end, and, through a partial index, the rare longer ones from before."""
        sessions = ("SELECT se.organization_id, se.agent_id, se.started_at, se.ended_at FROM chats_agentsession se "
                    "WHERE se.organization_id = %s AND se.status = 'online' AND se.ended_at > %s AND se.started_at < %s AND ")
        cur.execute(f"DROP TABLE IF EXISTS {SESSIONS_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {SESSIONS_TABLE} AS {sessions} se.started_at >= %s UNION ALL "
                    f"{sessions} se.started_at < %s AND {self.d.longer_than_a_day('se.started_at', 'se.ended_at')}",
                    [self.org.pk, rng.start, rng.end, rng.lookback] * 2)

    def session_source(self) -> Source:
        """Online time, split at local midnight (and local hours)."""
        return Source(
            name="sessions",
            from_sql=f"{SESSIONS_TABLE} se",
            interval=("se.started_at", "se.ended_at"),
            dims={"agent": "se.agent_id", "team": "ag.team_id"},
            joins="JOIN accounts_agent ag ON ag.id = se.agent_id",
            columns={"online": self._overlap("se.started_at", "se.ended_at")},
            sums={"online_seconds": "online"},
        )

    def create_busy_intervals(self, cur, rng: Range) -> None:
        """Online time with at least one active chat, as intervals in BUSY_TABLE: the union of
        each agent's chat intervals that reach into the chunk (concurrent chats count once;
        gaps-and-islands over window functions), intersected with the agent's online
        sessions. Materialized on its own so the calendar join reads it once.

        The chats are found by requested_at: those requested from LONG_INTERVAL before the chunk
        through its end, and, through a partial index, the rare longer ones from before."""
        d = self.d
        chat = ("SELECT c.agent_id, c.accepted_at AS s, c.ended_at AS e FROM chats_chat c "
                "WHERE c.organization_id = %s AND c.agent_id IS NOT NULL AND c.accepted_at IS NOT NULL "
                "AND c.ended_at > c.accepted_at AND c.accepted_at < %s AND c.ended_at > %s AND ")
        cur.execute(f"DROP TABLE IF EXISTS {BUSY_TABLE}")
        cur.execute(f"""
        CREATE TEMPORARY TABLE {BUSY_TABLE} AS
        WITH iv AS (
            {chat} c.requested_at >= %s AND c.requested_at < %s
            UNION ALL
            {chat} c.requested_at < %s AND {d.longer_than_a_day('c.requested_at', 'c.ended_at')}
        ),
        mk AS (
            SELECT agent_id, s, e, CASE WHEN s <= MAX(e) OVER (
                PARTITION BY agent_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0 ELSE 1 END AS opens FROM iv
        ),
        isl AS (SELECT agent_id, s, e, SUM(opens) OVER (PARTITION BY agent_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island FROM mk),
        merged AS (SELECT agent_id, MIN(s) AS s, MAX(e) AS e FROM isl GROUP BY agent_id, island)
        SELECT se.organization_id, m.agent_id, {d.greatest('m.s', 'se.started_at')} AS s, {d.least('m.e', 'se.ended_at')} AS e
        FROM merged m JOIN {SESSIONS_TABLE} se ON se.agent_id = m.agent_id AND se.started_at < m.e AND se.ended_at > m.s
        """, [self.org.pk, rng.end, rng.start, rng.lookback, rng.end,
              self.org.pk, rng.end, rng.start, rng.lookback])

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
        for table, columns, rows in (
            (STEPS_TABLE, [("step", "bigint PRIMARY KEY"), ("day", "date"), ("hour", "integer")],
             [(step, ops.adapt_datefield_value(day), hour) for step, day, hour in steps]),
            (HOURS_TABLE, [("day", "date"), ("hour", "integer"), ("start_at", ts_type), ("end_at", ts_type)],
             [(ops.adapt_datefield_value(s.day), s.hour, d.datetime_param(s.start), d.datetime_param(s.end)) for s in slots]),
        ):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TEMPORARY TABLE {table} ({', '.join(f'{name} {sql_type} NOT NULL' for name, sql_type in columns)})")
            if table == HOURS_TABLE:
                cur.execute(f"CREATE INDEX {table}_end ON {table} (end_at)")
            if d.pg:  # one array parameter per column
                arrays = ", ".join(f"%s::{sql_type.split()[0]}[]" for _, sql_type in columns)
                cur.execute(f"INSERT INTO {table} SELECT * FROM unnest({arrays})", [list(col) for col in zip(*rows, strict=True)])
            else:
                for i in range(0, len(rows), 1000):  # stays under SQLite's parameter limit
                    batch = rows[i:i + 1000]
                    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
                    cur.execute(f"INSERT INTO {table} VALUES {values}", [v for row in batch for v in row])
            self.d.analyze(cur, table)

    def create_parts(self, cur) -> None:
        """PARTS_TABLE: per source, grain and group, its components (the others NULL)."""
        d = self.d
        cols = ["grain text NOT NULL", "day date NOT NULL", "hour integer", "dim bigint", "dim_text text"]
        cols += [f"{name} {'bigint' if name in C.INTEGER_COMPONENTS else d.float_type}" for name in C.ADDITIVE]
        cols += [f"{name} {d.json_type}" for name in C.HISTOGRAMS]
        cur.execute(f"DROP TABLE IF EXISTS {PARTS_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {PARTS_TABLE} ({', '.join(cols)})")

    def _create_base(self, cur, source: Source, slots: list[Slot]) -> None:
        """The source's rows in the chunk, one per raw row and local hour slot, with every
        derived value, each duration's seconds (d_<name>) and histogram bucket (b_<name>)."""
        d = self.d
        range_params = [d.datetime_param(slots[0].start), d.datetime_param(slots[-1].end)]
        if source.interval:
            # Few rows (the chunk's sessions and busy intervals): overlap every hour slot.
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
        select += [f"{source.dims.get(grain, d.null('text' if grain in TEXT_DIMS else 'bigint'))} AS {column}"
                   for grain, column in DIM_COLUMNS.items()]
        select += [f"{expr} AS {name}" for name, expr in {**source.refs, **source.columns}.items()]
        tag_joins = ""
        if d.pg and source.tags:
            # The row's tag ids as an array (column tag_ids), one index lookup per row and link
            # table (a row has a chat or a ticket, so at most one array is not NULL); the tag
            # rows unnest it (_tag_rows).
            for i, (table, column, ref) in enumerate(source.tags):
                tag_joins += (f" LEFT JOIN LATERAL (SELECT array_agg(x.tag_id) AS ids FROM {table} x "
                              f"WHERE x.{column} = {source.refs[ref]}) {tag_alias(i)} ON true")
            arrays = functools.reduce(lambda a, b: f"array_cat({a}, {b})", map(tag_ids, range(len(source.tags))))
            select.append(f"{arrays} AS tag_ids")
        with_ctes = f"WITH {source.ctes} " if source.ctes else ""
        rows = (f"{with_ctes}SELECT {', '.join(select)} FROM {source.from_sql} {join}{tag_joins} {source.joins} "
                f"WHERE {main_alias}.organization_id = %s AND {in_range} AND {source.where}")
        if source.durations:
            seconds = ", ".join(f"{expr} AS d_{name}" for name, expr in source.durations.items())
            buckets = ", ".join(f"{bucket_sql(f'd_{name}')} AS b_{name}" for name in source.durations)
            rows = f"SELECT s.*, {buckets} FROM (SELECT r.*, {seconds} FROM ({rows}) r) s"
        cur.execute(f"DROP TABLE IF EXISTS {BASE_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {BASE_TABLE} AS {rows}",
                    source.cte_params + source.params + [self.org.pk] + range_params)

    def _tag_rows(self) -> str:
        """The base rows once per tag of their chat or ticket (column tag_dim), as a FROM item:
        on PostgreSQL the unnested tag id arrays of the base rows, on SQLite TAGS_TABLE."""
        if self.d.pg:
            return f"(SELECT b.*, t.tag_dim FROM {BASE_TABLE} b CROSS JOIN LATERAL unnest(b.tag_ids) AS t(tag_dim))"
        return TAGS_TABLE

    def _create_tag_rows(self, cur, source: Source) -> None:
        """SQLite: TAGS_TABLE, each base row joined to the tag links of its chat or ticket.
        (PostgreSQL reads the tag ids once per row into the base table instead: a join the
        planner could turn into a scan of the whole link table, which a late day's few rows
        would not repay.)"""
        if self.d.pg or not source.supports("tag"):
            return
        selects = [f"SELECT base.*, tg.tag_id AS tag_dim FROM {BASE_TABLE} base JOIN {table} tg ON tg.{column} = base.{ref}"
                   for table, column, ref in source.tags]
        cur.execute(f"DROP TABLE IF EXISTS {TAGS_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {TAGS_TABLE} AS {' UNION ALL '.join(selects)}")

    def _grouped(self, source: Source, outputs: list[tuple[str, str]], rows: str, tag_rows: str,
                 extra: tuple[str, ...] = ()) -> str:
        """SELECT grain, day, hour, dim, dim_text and `outputs` (column, aggregate) from `rows`
        (aliased base) grouped by every column grain the source supports, and from `tag_rows`
        (base rows with a tag_dim) by tag; `extra` columns are grouped by too."""
        d = self.d
        grains = [g for g in COLUMN_GRAINS if source.supports(g)]
        out = ", ".join(f"{expr} AS {col}" for col, expr in outputs)
        extra_sql = "".join(f", {e}" for e in extra)
        selects = []
        if d.pg:
            # GROUPING(...) has a bit per grouped column, 1 where a row's set leaves it out.
            grouped = [GROUPED_COLUMN[g] for g in grains if g in GROUPED_COLUMN]
            bits = {g: sum(1 << (len(grouped) - 1 - i) for i, col in enumerate(grouped) if col != GROUPED_COLUMN.get(g))
                    for g in grains}
            cases = " ".join(f"WHEN {bits[g]} THEN '{g}'" for g in grains)
            sets = ", ".join(
                "(base.day" + (f", base.{GROUPED_COLUMN[g]}" if g in GROUPED_COLUMN else "") + f"{extra_sql})"
                for g in grains)
            # Outside its own set a grouped column is NULL, so each key is the one of the set.
            def key(name: str, sql_type: str) -> str:
                cols = [f"base.{GROUPED_COLUMN[g]}" for g in grains if PARTS_KEY[g] == name]
                return f"COALESCE({', '.join(cols)})" if cols else d.null(sql_type)

            dim, text = key("dim", "bigint"), key("dim_text", "text")
            selects.append(
                f"SELECT CASE GROUPING({', '.join(f'base.{c}' for c in grouped)}) {cases} END AS grain, "
                f"base.day AS day, base.hour AS hour, {dim} AS dim, {text} AS dim_text, {out} "
                f"FROM {rows} GROUP BY GROUPING SETS ({sets})")
        else:
            for g in grains:
                hour, dim, text = (f"base.{GROUPED_COLUMN[g]}" if PARTS_KEY[g] == k else "NULL"
                                   for k in ("hour", "dim", "dim_text"))
                group = ", ".join(e for e in ("base.day", hour, dim, text) if e != "NULL")
                selects.append(f"SELECT '{g}' AS grain, base.day AS day, {hour} AS hour, {dim} AS dim, {text} AS dim_text, "
                               f"{out} FROM {rows} GROUP BY {group}{extra_sql}")
        if source.supports("tag"):
            selects.append(
                f"SELECT 'tag' AS grain, base.day AS day, {d.null('integer')} AS hour, base.tag_dim AS dim, "
                f"{d.null('text')} AS dim_text, {out} FROM {tag_rows} GROUP BY base.day, base.tag_dim{extra_sql}")
        return " UNION ALL ".join(selects)

    def _aggregate(self, cur, source: Source) -> None:
        """Counts, sums and duration sums/counts of every grain: one statement."""
        d = self.d
        outputs = [(name, d.count_if(cond)) for name, cond in source.counts.items()]
        outputs += [(name, f"SUM({expr})") for name, expr in source.sums.items()]
        for name in source.durations:
            outputs += [(f"{name}_sum", f"SUM(d_{name})"), (f"{name}_n", f"COUNT(d_{name})")]
        columns = ["grain", "day", "hour", "dim", "dim_text", *(col for col, _ in outputs)]
        cur.execute(f"INSERT INTO {PARTS_TABLE} ({', '.join(columns)}) "
                    + self._grouped(source, outputs, f"{BASE_TABLE} base", f"{self._tag_rows()} base"))

    def _histograms(self, cur, source: Source) -> None:
        """Every duration's histogram for every grain: bucket counts grouped by every grain at
        once, then one JSON object per group and duration."""
        if not source.durations:
            return
        d = self.d
        def unpivot(table: str, keep: list[str]) -> str:
            """One row per (row, duration with a value): on PostgreSQL one scan of `table`."""
            if d.pg:
                values = ", ".join(f"({i}, src.b_{name})" for i, name in enumerate(source.durations))
                return (f"(SELECT {', '.join(f'src.{k}' for k in keep)}, v.metric, v.bk FROM {table} src "
                        f"CROSS JOIN LATERAL (VALUES {values}) AS v(metric, bk) WHERE v.bk IS NOT NULL) base")
            return "(" + " UNION ALL ".join(
                f"SELECT {', '.join(keep)}, {i} AS metric, b_{name} AS bk FROM {table} src WHERE b_{name} IS NOT NULL"
                for i, name in enumerate(source.durations)) + ") base"

        counts = self._grouped(
            source, [("metric", "base.metric"), ("bk", "base.bk"), ("n", "COUNT(*)")],
            unpivot(BASE_TABLE, ["day", "hour", *DIM_COLUMNS.values()]),
            unpivot(self._tag_rows(), ["day", "tag_dim"]) if source.supports("tag") else "",
            extra=("base.metric", "base.bk"))
        # One JSON object per group and duration, then placed in that duration's column.
        hists = ", ".join(f"CASE WHEN metric = {i} THEN h END" for i in range(len(source.durations)))
        columns = ", ".join(f"{name}_hist" for name in source.durations)
        cur.execute(f"INSERT INTO {PARTS_TABLE} (grain, day, hour, dim, dim_text, {columns}) "
                    f"SELECT grain, day, hour, dim, dim_text, {hists} FROM ("
                    f"SELECT grain, day, hour, dim, dim_text, metric, {d.json_object_agg(bucket_key_sql('bk'), 'n')} AS h "
                    f"FROM ({counts}) hc GROUP BY grain, day, hour, dim, dim_text, metric) hm")

    def run_source(self, cur, source: Source, slots: list[Slot]) -> None:
        self._create_base(cur, source, slots)
        self._create_tag_rows(cur, source)
        self._aggregate(cur, source)
        self._histograms(cur, source)

    def write_snapshots(self, cur, first: dt.date, last: dt.date, tables: dict[str, tuple[str, str | None]]) -> int:
        """Replace the chunk's snapshot rows: per grain, one DELETE and one INSERT … SELECT
        adding up the parts of every source. `tables`: grain -> (table, dimension column)."""
        d, ops = self.d, self.conn.ops
        day_params = [self.org.pk, ops.adapt_datefield_value(first), ops.adapt_datefield_value(last)]
        built_at = d.datetime_param(timezone.now())
        sums = [f"COALESCE(SUM({name}), 0)" for name in C.ADDITIVE]
        hists = [f"COALESCE({d.pick(name)}, {d.empty_json})" for name in C.HISTOGRAMS]
        written = 0
        for grain, (table, dim_column) in tables.items():
            cur.execute(f"DELETE FROM {table} WHERE organization_id = %s AND day >= %s AND day <= %s", day_params)
            dim = PARTS_KEY[grain]
            columns = ["organization_id", "day", "built_at", *([dim_column] if dim else []), *C.ADDITIVE, *C.HISTOGRAMS]
            cur.execute(
                f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in columns)}) "
                f"SELECT %s, day, %s, {f'{dim}, ' if dim else ''}{', '.join(sums + hists)} FROM {PARTS_TABLE} "
                f"WHERE grain = %s{f' AND {dim} IS NOT NULL' if dim else ''} GROUP BY day{f', {dim}' if dim else ''}",
                [self.org.pk, built_at, grain])
            written += cur.rowcount
        return written

    def update_components(self, cur, source: Source, tables: dict[str, tuple[str, str | None]]) -> int:
        """Overwrite the source's components in the chunk's existing snapshot rows with the
        parts: per grain one UPDATE … FROM (PostgreSQL and SQLite)."""
        d, ops = self.d, self.conn.ops
        names = list(source.counts) + list(source.sums)
        built_at = d.datetime_param(timezone.now())
        updated = 0
        for grain, (table, dim_column) in tables.items():
            if not source.supports(grain):
                continue
            key = PARTS_KEY[grain]
            sums = ", ".join(f"COALESCE(SUM({n}), 0) AS {n}" for n in names)
            grouped = (f"SELECT day{f', {key} AS k' if key else ''}, {sums} FROM {PARTS_TABLE} "
                       f"WHERE grain = %s{f' AND {key} IS NOT NULL' if key else ''} GROUP BY day{f', {key}' if key else ''}")
            match = f" AND {table}.{ops.quote_name(dim_column)} = p.k" if key else ""
            cur.execute(
                f"UPDATE {table} SET {', '.join(f'{ops.quote_name(n)} = p.{n}' for n in names)}, built_at = %s "
                f"FROM ({grouped}) p WHERE {table}.organization_id = %s AND {table}.day = p.day{match}",
                [built_at, grain, self.org.pk])
            updated += cur.rowcount
        return updated

    def build_fcr_chunk(self, first: dt.date, last: dt.date, tables: dict[str, tuple[str, str | None]]) -> int:
        """Recompute only the first-contact-resolution components of the local days first..last
        in their existing snapshot rows (a later chat changed which of their chats were repeat
        contacts, nothing else); returns the rows updated."""
        tz = self.org.tzinfo
        slots = hour_slots(first, last, tz)
        source = self.fcr_source()
        with self.conn.cursor() as cur:
            self.d.configure(cur)
            self.create_calendar(cur, slots, step_labels(first, last, tz))
            self.create_parts(cur)
            self._create_base(cur, source, slots)
            self._create_tag_rows(cur, source)
            self._aggregate(cur, source)
            updated = self.update_components(cur, source, tables)
            for table in TEMP_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
        return updated

    def build_chunk(self, first: dt.date, last: dt.date, tables: dict[str, tuple[str, str | None]]) -> int:
        """Build the local days first..last and replace their snapshot rows (in the caller's
        transaction); returns the rows written."""
        tz = self.org.tzinfo
        slots = hour_slots(first, last, tz)
        steps = step_labels(first, last, tz)
        start, end = slots[0].start, slots[-1].end
        param = self.d.datetime_param
        rng = Range(param(start), param(end), param(start - LONG_INTERVAL))
        sources = [self.chat_source(), self.ticket_created_source(), self.ticket_resolved_source(),
                   self.survey_source(), *self.canned_sources(), self.session_source(), self.busy_source()]
        with self.conn.cursor() as cur:
            self.d.configure(cur)
            self.create_calendar(cur, slots, steps)
            self.create_parts(cur)
            self.create_sessions(cur, rng)
            self.create_busy_intervals(cur, rng)
            for source in sources:
                self.run_source(cur, source, slots)
            written = self.write_snapshots(cur, first, last, tables)
            for table in TEMP_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
        return written


def chunks(first: dt.date, last: dt.date, size: int = MAX_CHUNK_DAYS) -> Iterable[tuple[dt.date, dt.date]]:
    start = first
    while start <= last:
        end = min(last, start + dt.timedelta(days=size - 1))
        yield start, end
        start = end + dt.timedelta(days=1)
