"""The floor: hand-written SQL computing the snapshot components straight from raw rows.

One statement per source for the whole range (no chunks): the source's rows with their derived
values are read once (a MATERIALIZED CTE), then every grain is one GROUPING SETS aggregation
(day; day+hour; day+agent; day+team; day+channel) and the tag grain one join; histogram buckets
are computed once per row and duration and aggregated with the same GROUPING SETS, then folded
into JSON with ``jsonb_object_agg`` as the builder does. Per-chat facts the builder finds with
correlated subqueries (tags, canned use, repeat contact) are hash joins and a window function
here. Local day and hour come from ``AT TIME ZONE``; interval sources (sessions, busy time) are
split at UTC hour boundaries, which are local hour boundaries in whole-hour-offset zones such as
Europe/Helsinki. Results are fetched to the client and discarded (SELECT only).

Component definitions follow reports/builders.py (same conditions, same SLA default targets: the
benchmark organizations have no SlaTarget rows).
"""

from __future__ import annotations

import datetime as dt

from reports import histogram
from reports.builders import pg_json_object_agg
from reports.builders.calendar import STEP_SECONDS, step_labels
from reports.builders.pipeline import chunks
from reports.histogram import bucket_key_sql, bucket_sql

# The engine's histogram storage: packed bigint[] (bucket << COUNT_BITS | count) since the read
# path of issue 15, JSON objects before; the floor builds the same form.
PACKED = hasattr(histogram, "COUNT_BITS")
COUNT_BITS = getattr(histogram, "COUNT_BITS", 32)

CALENDAR_TABLE = "bench_floor_calendar"

GROUPING_DIMS = ("hour", "agent_dim", "team_dim", "channel_dim")
DIM_TYPES = {"hour": "int", "agent_dim": "bigint", "team_dim": "bigint", "channel_dim": "text"}


def _secs(later: str, earlier: str) -> str:
    return f"date_part('epoch', {later} - {earlier})"  # float8 (EXTRACT computes a slower numeric)


# A group's histogram: integer buckets counted, keyed as stored, assembled as the builder does.
HIST = pg_json_object_agg(bucket_key_sql("bk"), "n")


def _local(ts: str) -> str:
    """The local day and hour of `ts`, from the prebuilt calendar joined by _cal(ts)."""
    return "cal.day, cal.hour"


def _cal(ts: str) -> str:
    """The calendar join (CALENDAR_TABLE, built once per floor run by create_calendar): the
    15-minute UTC step of `ts`, an equality (hash) join."""
    return f"JOIN {CALENDAR_TABLE} cal ON cal.step = floor(date_part('epoch', {ts}) / {STEP_SECONDS})::bigint"


def _hist_groups(counts: str, out: str, keys: str, durations: dict) -> list[str]:
    """CTEs folding (keys, metric, bucket, n) rows of `counts` into one histogram per group and
    metric, in the snapshot's storage form: packed bigint[] columns (``<metric>_hist``) where
    the engine stores them so, else one JSON object of ``{metric: {bucket: n}}`` (``hists``)."""
    if PACKED:
        cols = ", ".join(f"array_agg((bk::bigint << {COUNT_BITS}) | n ORDER BY bk) FILTER (WHERE metric = '{m}') AS {m}_hist"
                         for m in durations)
        return [f"{out} AS (SELECT {keys}, {cols} FROM {counts} GROUP BY {keys})"]
    return [f"{out}m AS (SELECT {keys}, metric, {HIST} AS h FROM {counts} GROUP BY {keys}, metric)",
            f"{out} AS (SELECT {keys}, jsonb_object_agg(metric, h) AS hists FROM {out}m GROUP BY {keys})"]


def _hist_cols(alias: str, durations: dict) -> str:
    return ", ".join(f"{alias}.{m}_hist" for m in durations) if PACKED else f"{alias}.hists"


def _statement(rows_sql: str, counts: dict, sums: dict, durations: dict, dims: tuple[str, ...], tag_rows: str) -> str:
    """counts: name -> condition; sums: name -> value; durations: name -> seconds (NULL: none).
    dims: the grouping columns the source has (besides day); tag_rows: SELECT of r joined to its
    tags as `tag_dim` ('' when the source has no tag grain)."""
    aggs = [f"COUNT(*) FILTER (WHERE {c}) AS {n}" for n, c in counts.items()]
    aggs += [f"SUM({v}) AS {n}" for n, v in sums.items()]
    for n, v in durations.items():
        aggs += [f"SUM({v}) AS {n}_sum", f"COUNT({v}) AS {n}_n"]
    agg_sql = ", ".join(aggs)
    sets = ", ".join(["(day)"] + [f"(day, {d})" for d in dims])
    gcols = ", ".join(dims)
    keys = f"day, {gcols}, GROUPING({gcols}) AS g"
    ctes = [f"r AS MATERIALIZED ({rows_sql})",
            f"a AS (SELECT {keys}, {agg_sql} FROM r GROUP BY GROUPING SETS ({sets}))"]
    values = ", ".join(f"('{n}', {v})" for n, v in durations.items())
    ctes += [
        f"hc AS (SELECT {keys}, m.metric, {bucket_sql('m.v')} AS bk, COUNT(*) AS n "
        f"FROM r CROSS JOIN LATERAL (VALUES {values}) AS m(metric, v) WHERE m.v IS NOT NULL "
        f"GROUP BY GROUPING SETS ({', '.join(['(day, metric, bk)'] + [f'(day, {d}, metric, bk)' for d in dims])}))",
        *_hist_groups("hc", "hj", f"g, day, {gcols}", durations),
    ] if durations else []
    if not durations:
        select = "SELECT a.*, NULL::bigint AS tag_dim, NULL::jsonb AS hists FROM a"
    else:
        # NULL-safe join on the group key (dimension columns are NULL outside their grouping set).
        on = " AND ".join(["hj.g = a.g", "hj.day = a.day"] + [f"hj.{d} IS NOT DISTINCT FROM a.{d}" for d in dims])
        select = f"SELECT a.*, NULL::bigint AS tag_dim, {_hist_cols('hj', durations)} FROM a LEFT JOIN hj ON {on}"
    if tag_rows:
        ctes.append(f"rt AS ({tag_rows})")
        nulls = ", ".join(f"NULL::{DIM_TYPES[d]} AS {d}" for d in dims)
        tag_aggs = agg_sql
        ctes.append(f"ta AS (SELECT day, {nulls}, -1 AS g, {tag_aggs}, tag_dim FROM rt GROUP BY day, tag_dim)")
        if durations:
            ctes += [
                f"tc AS (SELECT day, tag_dim, m.metric, {bucket_sql('m.v')} AS bk, COUNT(*) AS n "
                f"FROM rt CROSS JOIN LATERAL (VALUES {values}) AS m(metric, v) WHERE m.v IS NOT NULL "
                "GROUP BY day, tag_dim, metric, bk)",
                *_hist_groups("tc", "tj", "day, tag_dim", durations),
            ]
            select += f" UNION ALL SELECT ta.*, {_hist_cols('tj', durations)} FROM ta LEFT JOIN tj USING (day, tag_dim)"
        else:
            select += " UNION ALL SELECT ta.*, NULL::jsonb FROM ta"
    return f"WITH {', '.join(ctes)} {select}"


def chats_sql(window_hours: int) -> str:
    ans = "c.accepted_at IS NOT NULL"
    rows = f"""
        SELECT {_local('c.requested_at')}, c.agent_id AS agent_dim, COALESCE(c.team_id, ag.team_id) AS team_dim,
               c.channel AS channel_dim, c.id,
               {ans} AS ans, c.missed_reason, c.outcome, c.initiated_by = 'agent' AS proactive, c.transfers,
               CASE WHEN {ans} THEN c.messages_visitor + c.messages_agent END AS msgs,
               CASE WHEN {ans} THEN c.response_time_total_s ELSE 0 END AS resp_total,
               CASE WHEN {ans} THEN c.response_count ELSE 0 END AS resp_count,
               CASE WHEN {ans} AND c.first_response_at IS NOT NULL THEN {_secs('c.first_response_at', 'c.requested_at')} END AS frt,
               CASE WHEN {ans} THEN {_secs('c.accepted_at', 'c.requested_at')} END AS wait,
               CASE WHEN {ans} AND c.ended_at IS NOT NULL THEN {_secs('c.ended_at', 'c.accepted_at')} END AS dur,
               CASE WHEN c.ended_at IS NOT NULL AND c.closed_at IS NOT NULL THEN {_secs('c.closed_at', 'c.ended_at')} END AS wrap,
               CASE WHEN {ans} AND c.response_count > 0 THEN c.response_time_total_s / c.response_count END AS chat_resp,
               COALESCE(tg.n, 0) AS tag_n, COALESCE(tg.hp, false) AS high_tag,
               {ans} AND cu.chat_id IS NOT NULL AS canned,
               {ans} AND c.customer_id IS NOT NULL AND c.nxt > 0 AS rep,
               c.converted_at IS NOT NULL AS converted, COALESCE(c.conversion_value, 0) AS conv_value
        FROM (
            SELECT c.*, COUNT(*) OVER (PARTITION BY c.customer_id ORDER BY c.requested_at
                RANGE BETWEEN INTERVAL '1 microsecond' FOLLOWING AND INTERVAL '{int(window_hours)} hours' FOLLOWING) AS nxt
            FROM chats_chat c
            WHERE c.organization_id = %(org)s AND c.requested_at >= %(start)s
              AND c.requested_at < %(end)s + INTERVAL '{int(window_hours)} hours'
        ) c
        {_cal('c.requested_at')}
        LEFT JOIN accounts_agent ag ON ag.id = c.agent_id
        LEFT JOIN (SELECT x.chat_id, COUNT(*) AS n, bool_or(t.high_priority) AS hp FROM chats_chattag x
                   JOIN chats_tag t ON t.id = x.tag_id WHERE x.organization_id = %(org)s GROUP BY x.chat_id) tg ON tg.chat_id = c.id
        LEFT JOIN (SELECT DISTINCT chat_id FROM chats_cannedresponseuse
                   WHERE organization_id = %(org)s AND chat_id IS NOT NULL) cu ON cu.chat_id = c.id
        WHERE c.requested_at < %(end)s"""
    counts = {
        "chats_total": "true", "chats_answered": "ans", "chats_missed": "NOT ans",
        "missed_visitor_left": "NOT ans AND missed_reason = 'visitor_left'",
        "missed_timeout": "NOT ans AND missed_reason = 'timeout'",
        "missed_no_agent_online": "NOT ans AND missed_reason = 'no_agent_online'",
        "chats_proactive": "proactive", "chats_transferred": "ans AND transfers > 0",
        "outcome_resolved": "ans AND outcome = 'resolved'", "outcome_escalated": "ans AND outcome = 'escalated'",
        "outcome_unresolved": "ans AND outcome = 'unresolved'",
        "chats_short": "msgs <= 5", "chats_medium": "msgs > 5 AND msgs <= 15", "chats_long": "msgs > 15",
        "chats_tagged": "tag_n > 0", "chats_high_priority_tag": "high_tag", "chats_with_canned": "canned",
        "fcr_chats": "ans AND outcome NOT IN ('escalated', 'unresolved') AND NOT rep",
        "fcr_repeat_contacts": "rep", "chats_converted": "converted",
        "frt_within_target": "frt <= 60", "wait_within_target": "wait <= 60",
    }
    sums = {"messages_total": "COALESCE(msgs, 0)", "response_time_total": "resp_total", "response_count": "resp_count",
            "tag_assignments": "tag_n", "conversion_value": "conv_value"}
    durations = {"first_response_time": "frt", "wait_time": "wait", "chat_duration": "dur", "wrap_up_time": "wrap",
                 "handle_time": "dur + COALESCE(wrap, 0)", "chat_response_time": "chat_resp"}
    tags = "SELECT r.*, x.tag_id AS tag_dim FROM r JOIN chats_chattag x ON x.chat_id = r.id"
    return _statement(rows, counts, sums, durations, GROUPING_DIMS, tags)


TICKET_DIMS = "t.agent_id AS agent_dim, COALESCE(t.team_id, ag.team_id) AS team_dim, t.channel AS channel_dim, t.id"
TICKET_TAGS = "SELECT r.*, x.tag_id AS tag_dim FROM r JOIN chats_tickettag x ON x.ticket_id = r.id"


def tickets_created_sql() -> str:
    target = ("CASE t.priority WHEN 'urgent' THEN 3600 WHEN 'high' THEN 14400 WHEN 'normal' THEN 28800 "
              "WHEN 'low' THEN 86400 END")
    rows = f"""
        SELECT {_local('t.created_at')}, {TICKET_DIMS}, t.priority,
               CASE WHEN t.first_response_at IS NOT NULL THEN {_secs('t.first_response_at', 't.created_at')} END AS frt,
               {target} AS frt_target
        FROM chats_ticket t {_cal('t.created_at')} LEFT JOIN accounts_agent ag ON ag.id = t.agent_id
        WHERE t.organization_id = %(org)s AND t.created_at >= %(start)s AND t.created_at < %(end)s"""
    counts = {"tickets_created": "true", **{f"tickets_{p}": f"priority = '{p}'" for p in ("low", "normal", "high", "urgent")},
              "ticket_frt_within_target": "frt <= frt_target"}
    return _statement(rows, counts, {}, {"ticket_first_response_time": "frt"}, GROUPING_DIMS, TICKET_TAGS)


def tickets_resolved_sql() -> str:
    target = ("CASE t.priority WHEN 'urgent' THEN 14400 WHEN 'high' THEN 86400 WHEN 'normal' THEN 259200 "
              "WHEN 'low' THEN 604800 END")
    rows = f"""
        SELECT {_local('t.resolved_at')}, {TICKET_DIMS},
               {_secs('t.resolved_at', 't.created_at')} AS res, {target} AS res_target,
               t.reopened_count AS reopened, t.agent_replies AS replies,
               CASE WHEN t.is_complaint OR t.escalated_at IS NOT NULL THEN
                    {_secs('t.resolved_at', 'CASE WHEN t.is_complaint THEN t.created_at ELSE t.escalated_at END')} END AS complaint
        FROM chats_ticket t {_cal('t.resolved_at')} LEFT JOIN accounts_agent ag ON ag.id = t.agent_id
        WHERE t.organization_id = %(org)s AND t.resolved_at >= %(start)s AND t.resolved_at < %(end)s"""
    counts = {"tickets_resolved": "true", "tickets_reopened": "reopened > 0",
              "tickets_one_touch": "reopened = 0 AND replies <= 1", "resolution_within_target": "res <= res_target"}
    return _statement(rows, counts, {}, {"resolution_time": "res", "complaint_resolution_time": "complaint"},
                      GROUPING_DIMS, TICKET_TAGS)


CONVERSATION_TAGS = ("SELECT r.*, x.tag_id AS tag_dim FROM r JOIN chats_chattag x ON x.chat_id = r.chat_ref "
                     "UNION ALL SELECT r.*, x.tag_id FROM r JOIN chats_tickettag x ON x.ticket_id = r.ticket_ref")


def surveys_sql(csat_scale: str) -> str:
    positive = "CASE s.scale WHEN '1-5' THEN s.score >= 4 WHEN '1-10' THEN s.score >= 9 WHEN 'good-bad' THEN s.score >= 1 ELSE false END"
    negative = "CASE s.scale WHEN '1-5' THEN s.score <= 2 WHEN '1-10' THEN s.score <= 6 WHEN 'good-bad' THEN s.score <= 0 ELSE false END"
    top = "CASE s.scale WHEN '1-5' THEN s.score = 5 WHEN '1-10' THEN s.score = 10 WHEN 'good-bad' THEN s.score = 1 ELSE false END"
    rows = f"""
        SELECT {_local('s.answered_at')}, COALESCE(s.agent_id, ch.agent_id, tk.agent_id) AS agent_dim,
               COALESCE(ch.team_id, tk.team_id, ag.team_id) AS team_dim, COALESCE(ch.channel, tk.channel) AS channel_dim,
               s.chat_id AS chat_ref, s.ticket_id AS ticket_ref, s.kind, s.scale, s.score,
               {positive} AS positive, {negative} AS negative, {top} AS top,
               s.comment <> '' AS commented, s.comment <> '' AND s.responded_at IS NOT NULL AS replied,
               cu.chat_id IS NOT NULL AS canned
        FROM surveys_surveyanswer s {_cal('s.answered_at')}
        LEFT JOIN chats_chat ch ON ch.id = s.chat_id LEFT JOIN chats_ticket tk ON tk.id = s.ticket_id
        LEFT JOIN accounts_agent ag ON ag.id = COALESCE(s.agent_id, ch.agent_id, tk.agent_id)
        LEFT JOIN (SELECT DISTINCT chat_id FROM chats_cannedresponseuse
                   WHERE organization_id = %(org)s AND chat_id IS NOT NULL) cu ON cu.chat_id = s.chat_id
        WHERE s.organization_id = %(org)s AND s.answered_at >= %(start)s AND s.answered_at < %(end)s"""
    own = f"kind = 'csat' AND scale = '{csat_scale}'"
    counts = {
        "csat_n": "kind = 'csat'", "csat_positive": "kind = 'csat' AND positive", "csat_top": "kind = 'csat' AND top",
        "csat_negative": "kind = 'csat' AND negative", "csat_score_n": own,
        "csat_canned_n": "kind = 'csat' AND canned", "csat_canned_positive": "kind = 'csat' AND canned AND positive",
        "nps_n": "kind = 'nps'", "nps_promoters": "kind = 'nps' AND score >= 9", "nps_detractors": "kind = 'nps' AND score <= 6",
        "ces_n": "kind = 'ces' AND scale = '1-7'", "ces5_n": "kind = 'ces' AND scale = '1-5'",
        "feedback_total": "commented", "feedback_replied": "replied",
    }
    sums = {
        "csat_score_sum": f"CASE WHEN {own} THEN score ELSE 0 END",
        "ces_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score ELSE 0 END",
        "ces_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-7' THEN score * score ELSE 0 END",
        "ces5_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score ELSE 0 END",
        "ces5_sq_sum": "CASE WHEN kind = 'ces' AND scale = '1-5' THEN score * score ELSE 0 END",
    }
    return _statement(rows, counts, sums, {}, GROUPING_DIMS, CONVERSATION_TAGS)


def canned_sql() -> str:
    saved = ("COALESCE(cr.seconds_saved, CASE WHEN btrim(cr.text) = '' THEN 0 "
             "ELSE cardinality(regexp_split_to_array(btrim(cr.text), '\\s+')) * 60.0 / 40 END)")
    rows = f"""
        SELECT {_local('u.used_at')}, u.agent_id AS agent_dim, COALESCE(ch.team_id, tk.team_id, ag.team_id) AS team_dim,
               COALESCE(ch.channel, tk.channel) AS channel_dim, u.chat_id AS chat_ref, u.ticket_id AS ticket_ref,
               sv.secs
        FROM chats_cannedresponseuse u {_cal('u.used_at')}
        JOIN (SELECT cr.id, {saved}::float8 AS secs FROM chats_cannedresponse cr WHERE cr.organization_id = %(org)s) sv
             ON sv.id = u.canned_response_id
        LEFT JOIN chats_chat ch ON ch.id = u.chat_id LEFT JOIN chats_ticket tk ON tk.id = u.ticket_id
        LEFT JOIN accounts_agent ag ON ag.id = u.agent_id
        WHERE u.organization_id = %(org)s AND u.used_at >= %(start)s AND u.used_at < %(end)s"""
    return _statement(rows, {"canned_uses": "true"}, {"canned_seconds_saved": "secs"}, {},
                      GROUPING_DIMS, CONVERSATION_TAGS)


def _hour_split(interval_sql: str, value: str) -> str:
    """Rows of (agent_id, s, e) split at UTC hour boundaries within [start, end)."""
    seconds = _secs("LEAST(i.e, h + INTERVAL '1 hour')", "GREATEST(i.s, h)")
    return f"""
        SELECT cal.day, cal.hour,
               i.agent_id AS agent_dim, ag.team_id AS team_dim,
               {seconds} AS {value}
        FROM ({interval_sql}) i JOIN accounts_agent ag ON ag.id = i.agent_id,
             generate_series(date_trunc('hour', GREATEST(i.s, %(start)s), 'UTC'),
                             LEAST(i.e, %(end)s) - INTERVAL '1 microsecond', INTERVAL '1 hour') AS h
             {_cal('h')}
        WHERE i.s < %(end)s AND i.e > %(start)s"""


# Online sessions reaching into the chunk, found on (organization, started_at): those started from
# a day before the chunk, and the rare longer ones (partial index session_long_org_ended).
SESSIONS = ("SELECT agent_id, started_at AS s, ended_at AS e FROM chats_agentsession "
            "WHERE organization_id = %(org)s AND status = 'online' AND started_at < %(end)s AND ended_at > %(start)s "
            "AND started_at >= %(lookback)s UNION ALL "
            "SELECT agent_id, started_at, ended_at FROM chats_agentsession "
            "WHERE organization_id = %(org)s AND status = 'online' AND started_at < %(lookback)s AND ended_at > %(start)s "
            "AND ended_at - started_at > INTERVAL '1 day'")


def sessions_sql() -> str:
    sessions = SESSIONS
    return _statement(_hour_split(sessions, "online"), {}, {"online_seconds": "online"}, {},
                      ("hour", "agent_dim", "team_dim"), "")


def busy_sql() -> str:
    busy = f"""
        WITH iv AS (
            SELECT agent_id, accepted_at AS s, ended_at AS e FROM chats_chat
            WHERE organization_id = %(org)s AND agent_id IS NOT NULL AND accepted_at IS NOT NULL
              AND ended_at > accepted_at AND accepted_at < %(end)s AND ended_at > %(start)s
              AND requested_at >= %(lookback)s AND requested_at < %(end)s
            UNION ALL
            SELECT agent_id, accepted_at, ended_at FROM chats_chat
            WHERE organization_id = %(org)s AND agent_id IS NOT NULL AND accepted_at IS NOT NULL
              AND ended_at > accepted_at AND accepted_at < %(end)s AND ended_at > %(start)s
              AND requested_at < %(lookback)s AND ended_at - requested_at > INTERVAL '1 day'
        ),
        se AS MATERIALIZED ({SESSIONS}),
        mk AS (
            SELECT agent_id, s, e, CASE WHEN s <= MAX(e) OVER (PARTITION BY agent_id ORDER BY s, e
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS opens FROM iv
        ),
        isl AS (SELECT agent_id, s, e, SUM(opens) OVER (PARTITION BY agent_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island FROM mk),
        merged AS (SELECT agent_id, MIN(s) AS s, MAX(e) AS e FROM isl GROUP BY agent_id, island)
        SELECT m.agent_id, GREATEST(m.s, se.s) AS s, LEAST(m.e, se.e) AS e
        FROM merged m JOIN se ON se.agent_id = m.agent_id AND se.s < m.e AND se.e > m.s"""
    return _statement(_hour_split(busy, "busy"), {}, {"busy_seconds": "busy"}, {}, ("hour", "agent_dim", "team_dim"), "")


def floor_statements(org) -> dict[str, str]:
    return {
        "chats": chats_sql(org.follow_up_window_hours),
        "tickets_created": tickets_created_sql(),
        "tickets_resolved": tickets_resolved_sql(),
        "surveys": surveys_sql(org.csat_scale),
        "canned": canned_sql(),
        "sessions": sessions_sql(),
        "busy": busy_sql(),
    }


def floor_params(org, start: dt.datetime, end: dt.datetime) -> dict:
    return {"org": org.pk, "tz": org.timezone, "start": start, "end": end, "lookback": start - dt.timedelta(days=1)}


def create_calendar(cur, first: dt.date, last: dt.date, tz) -> None:
    """CALENDAR_TABLE: every 15-minute UTC step of the local days first..last with its local day
    and hour (the builder's step labels), one COPY, analyzed."""
    cur.execute(f"DROP TABLE IF EXISTS {CALENDAR_TABLE}")
    cur.execute(f"CREATE TEMPORARY TABLE {CALENDAR_TABLE} (step bigint PRIMARY KEY, day date NOT NULL, hour int NOT NULL)")
    with cur.copy(f"COPY {CALENDAR_TABLE} (step, day, hour) FROM STDIN") as copy:
        for row in step_labels(first, last, tz):
            copy.write_row(row)
    cur.execute(f"ANALYZE {CALENDAR_TABLE}")


def month_chunks(first: dt.date, last: dt.date):
    """The builder's chunks of the range (reports.builders: at most 31 days each)."""
    return list(chunks(first, last))


# --- the 365-day overview straight from raw rows (read-speed comparison) ----------------------

OVERVIEW_SQL = """
WITH c AS (
    SELECT c.accepted_at IS NOT NULL AS ans, c.missed_reason, c.outcome, c.agent_id,
           CASE WHEN c.accepted_at IS NOT NULL AND c.first_response_at IS NOT NULL
                THEN date_part('epoch', c.first_response_at - c.requested_at) END AS frt,
           CASE WHEN c.accepted_at IS NOT NULL THEN date_part('epoch', c.accepted_at - c.requested_at) END AS wait,
           CASE WHEN c.accepted_at IS NOT NULL AND c.ended_at IS NOT NULL THEN date_part('epoch', c.ended_at - c.accepted_at)
                + COALESCE(date_part('epoch', c.closed_at - c.ended_at), 0) END AS handle,
           c.accepted_at IS NOT NULL AND c.customer_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM chats_chat c2 WHERE c2.organization_id = c.organization_id AND c2.customer_id = c.customer_id
                 AND c2.requested_at > c.requested_at AND c2.requested_at <= c.requested_at + %(window)s * INTERVAL '1 hour') AS rep
    FROM chats_chat c
    WHERE c.organization_id = %(org)s AND c.requested_at >= %(start)s AND c.requested_at < %(end)s
),
cs AS (
    SELECT COUNT(*) AS chats_total, COUNT(*) FILTER (WHERE NOT ans) AS chats_missed,
           COUNT(*) FILTER (WHERE NOT ans AND missed_reason = 'visitor_left') AS visitor_left,
           COUNT(*) FILTER (WHERE NOT ans AND missed_reason = 'timeout') AS timeout,
           COUNT(*) FILTER (WHERE ans) AS answered, COUNT(DISTINCT agent_id) FILTER (WHERE ans) AS agents,
           AVG(frt) AS frt_avg, percentile_disc(0.5) WITHIN GROUP (ORDER BY frt) AS frt_p50,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY frt) AS frt_p90, COUNT(frt) AS frt_n,
           COUNT(*) FILTER (WHERE frt <= 60) AS frt_met,
           AVG(wait) AS wait_avg, percentile_disc(0.5) WITHIN GROUP (ORDER BY wait) AS wait_p50,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY wait) AS wait_p90, COUNT(wait) AS wait_n,
           COUNT(*) FILTER (WHERE wait <= 60) AS wait_met,
           AVG(handle) AS handle_avg, percentile_disc(0.5) WITHIN GROUP (ORDER BY handle) AS handle_p50,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY handle) AS handle_p90,
           COUNT(*) FILTER (WHERE ans AND outcome NOT IN ('escalated', 'unresolved') AND NOT rep) AS fcr,
           COUNT(*) FILTER (WHERE rep) AS repeats, COUNT(*) FILTER (WHERE ans AND outcome = 'escalated') AS escalated
    FROM c
),
ss AS (
    SELECT COUNT(*) FILTER (WHERE kind = 'csat') AS csat_n,
           COUNT(*) FILTER (WHERE kind = 'csat' AND CASE scale WHEN '1-5' THEN score >= 4 WHEN '1-10' THEN score >= 9 ELSE score >= 1 END) AS csat_pos,
           AVG(score) FILTER (WHERE kind = 'csat' AND scale = %(csat_scale)s) AS csat_avg,
           COUNT(*) FILTER (WHERE kind = 'nps') AS nps_n, COUNT(*) FILTER (WHERE kind = 'nps' AND score >= 9) AS promoters,
           COUNT(*) FILTER (WHERE kind = 'nps' AND score <= 6) AS detractors
    FROM surveys_surveyanswer WHERE organization_id = %(org)s AND answered_at >= %(start)s AND answered_at < %(end)s
),
tc AS (
    SELECT COUNT(*) AS created, COUNT(*) FILTER (WHERE priority = 'urgent') AS urgent,
           COUNT(*) FILTER (WHERE priority = 'high') AS high, COUNT(first_response_at) AS frt_n,
           COUNT(*) FILTER (WHERE date_part('epoch', first_response_at - created_at) <= CASE priority
                WHEN 'urgent' THEN 3600 WHEN 'high' THEN 14400 WHEN 'normal' THEN 28800 ELSE 86400 END) AS frt_met
    FROM chats_ticket WHERE organization_id = %(org)s AND created_at >= %(start)s AND created_at < %(end)s
),
tr AS (
    SELECT COUNT(*) AS resolved, COUNT(*) FILTER (WHERE reopened_count = 0 AND agent_replies <= 1) AS one_touch,
           AVG(date_part('epoch', resolved_at - created_at)) AS res_avg,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - created_at) AS res_p50,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - created_at) AS res_p90,
           COUNT(*) FILTER (WHERE date_part('epoch', resolved_at - created_at) <= CASE priority
                WHEN 'urgent' THEN 14400 WHEN 'high' THEN 86400 WHEN 'normal' THEN 259200 ELSE 604800 END) AS res_met
    FROM chats_ticket WHERE organization_id = %(org)s AND resolved_at >= %(start)s AND resolved_at < %(end)s
),
bl AS (
    SELECT COUNT(*) FILTER (WHERE created_at < %(end)s) - COUNT(*) FILTER (WHERE resolved_at < %(end)s) AS backlog
    FROM chats_ticket WHERE organization_id = %(org)s
)
SELECT * FROM cs, ss, tc, tr, bl
"""
