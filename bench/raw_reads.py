"""The best raw-row answer to a grouped read: the overview metrics per group, current and
previous period, straight from the chats, tickets and survey tables in one statement.

Written for speed, not reuse: each source is read once over both periods (the period is a column),
grouped by (period, group key) with plain aggregates; percentiles by ``percentile_disc`` over an
array of fractions (one sort per group for both); the repeat contact of first-contact resolution
is a window function over the customer's chats (no correlated subquery); dimension attributes are
hash joins; the local day, hour, week and month come from ``AT TIME ZONE``. Only the sources the
asked metrics need are read (segment and touchpoint: survey answers only). Component definitions
follow the floor (bench/engine_floor.py) and the builder: SLA default targets, 60 s for chat FRT
and wait, answered chats only for durations.
"""

from __future__ import annotations

import datetime as dt

from reports.builders import local_midnight

CHAT_METRICS = {"chats_total", "chats_missed", "first_response_time", "wait_time", "handle_time", "fcr_rate",
                "sla_compliance"}
SURVEY_METRICS = {"csat", "nps", "ces"}
CREATED_METRICS = {"tickets_total", "sla_compliance"}
RESOLVED_METRICS = {"resolution_time", "sla_compliance"}

TIME_KEYS = {
    "hour": "date_trunc('hour', {ts} AT TIME ZONE %(tz)s)",
    "day": "({ts} AT TIME ZONE %(tz)s)::date",
    "week": "date_trunc('week', {ts} AT TIME ZONE %(tz)s)::date",
    "month": "date_trunc('month', {ts} AT TIME ZONE %(tz)s)::date",
}


def _key(group_by: str | None, ts: str, dims: dict[str, str]) -> str:
    if group_by is None:
        return "NULL::text"
    if group_by in TIME_KEYS:
        return TIME_KEYS[group_by].format(ts=ts) + "::text"
    return f"({dims[group_by]})::text"


def _chats(group_by: str | None, window: int) -> str:
    dims = {"agent": "c.agent_id", "team": "COALESCE(c.team_id, ag.team_id)", "channel": "c.channel", "tag": "x.tag_id"}
    joins = ""
    if group_by == "team":
        joins += " LEFT JOIN accounts_agent ag ON ag.id = c.agent_id"
    if group_by == "tag":
        joins += " JOIN chats_chattag x ON x.chat_id = c.id"
    secs = "date_part('epoch', {} - {})"
    return f"""
c0 AS (
    SELECT c.id, c.requested_at, c.accepted_at, c.first_response_at, c.ended_at, c.closed_at, c.agent_id,
           c.team_id, c.channel, c.outcome, c.customer_id,
           COUNT(*) OVER (PARTITION BY c.customer_id ORDER BY c.requested_at
                          RANGE BETWEEN INTERVAL '1 microsecond' FOLLOWING AND INTERVAL '{window} hours' FOLLOWING) AS nxt
    FROM chats_chat c
    WHERE c.organization_id = %(org)s AND c.requested_at >= %(pstart)s
      AND c.requested_at < %(end)s + INTERVAL '{window} hours'
),
c1 AS (
    SELECT {_key(group_by, 'c.requested_at', dims)} AS g, c.requested_at >= %(start)s AS cur,
           c.accepted_at IS NOT NULL AS ans, c.outcome,
           CASE WHEN c.accepted_at IS NOT NULL AND c.first_response_at IS NOT NULL
                THEN {secs.format('c.first_response_at', 'c.requested_at')} END AS frt,
           CASE WHEN c.accepted_at IS NOT NULL THEN {secs.format('c.accepted_at', 'c.requested_at')} END AS wait,
           CASE WHEN c.accepted_at IS NOT NULL AND c.ended_at IS NOT NULL
                THEN {secs.format('c.ended_at', 'c.accepted_at')}
                     + COALESCE({secs.format('c.closed_at', 'c.ended_at')}, 0) END AS handle,
           c.accepted_at IS NOT NULL AND c.customer_id IS NOT NULL AND c.nxt > 0 AS rep
    FROM c0 c{joins}
    WHERE c.requested_at < %(end)s
),
ca AS (
    SELECT cur, g, COUNT(*) AS chats, COUNT(*) FILTER (WHERE NOT ans) AS missed, COUNT(*) FILTER (WHERE ans) AS answered,
           AVG(frt) AS frt_avg, percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY frt) AS frt_p,
           COUNT(frt) AS frt_n, COUNT(*) FILTER (WHERE frt <= 60) AS frt_met,
           AVG(wait) AS wait_avg, percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait) AS wait_p,
           COUNT(*) FILTER (WHERE wait <= 60) AS wait_met,
           AVG(handle) AS handle_avg, percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY handle) AS handle_p,
           COUNT(*) FILTER (WHERE ans AND outcome NOT IN ('escalated', 'unresolved') AND NOT rep) AS fcr,
           COUNT(*) FILTER (WHERE rep) AS repeats
    FROM c1 GROUP BY cur, g
)"""


def _surveys(group_by: str | None, csat: bool, nps: bool, ces: bool) -> str:
    dims = {"agent": "COALESCE(s.agent_id, ch.agent_id, tk.agent_id)",
            "team": "COALESCE(ch.team_id, tk.team_id, ag.team_id)", "channel": "COALESCE(ch.channel, tk.channel)",
            "segment": "COALESCE(NULLIF(s.segment, ''), cu.segment)", "touchpoint": "s.touchpoint", "tag": "tag_id"}
    joins = ""
    if group_by in ("agent", "team", "channel"):
        joins = " LEFT JOIN chats_chat ch ON ch.id = s.chat_id LEFT JOIN chats_ticket tk ON tk.id = s.ticket_id"
        if group_by == "team":
            joins += " LEFT JOIN accounts_agent ag ON ag.id = COALESCE(s.agent_id, ch.agent_id, tk.agent_id)"
    if group_by == "segment":
        joins = " LEFT JOIN chats_customer cu ON cu.id = s.customer_id"
    base = ("SELECT s.answered_at, s.kind, s.scale, s.score, s.chat_id, s.ticket_id, s.agent_id, s.segment, "
            "s.customer_id, s.touchpoint FROM surveys_surveyanswer s WHERE s.organization_id = %(org)s "
            "AND s.answered_at >= %(pstart)s AND s.answered_at < %(end)s")
    if group_by == "tag":
        rows = (f"s0 AS ({base}), s1 AS ("
                "SELECT s.*, x.tag_id FROM s0 s JOIN chats_chattag x ON x.chat_id = s.chat_id "
                "UNION ALL SELECT s.*, y.tag_id FROM s0 s JOIN chats_tickettag y ON y.ticket_id = s.ticket_id), "
                f"s2 AS (SELECT {_key(group_by, 's.answered_at', dims)} AS g, s.answered_at >= %(start)s AS cur, "
                "s.kind, s.scale, s.score FROM s1 s)")
    else:
        rows = (f"s0 AS ({base}), s2 AS (SELECT {_key(group_by, 's.answered_at', dims)} AS g, "
                f"s.answered_at >= %(start)s AS cur, s.kind, s.scale, s.score FROM s0 s{joins})")
    aggs = []
    if csat:
        aggs += ["COUNT(*) FILTER (WHERE kind = 'csat') AS csat_n",
                 "COUNT(*) FILTER (WHERE kind = 'csat' AND CASE scale WHEN '1-5' THEN score >= 4 WHEN '1-10' THEN score >= 9 "
                 "ELSE score >= 1 END) AS csat_pos",
                 "AVG(score) FILTER (WHERE kind = 'csat' AND scale = %(csat_scale)s) AS csat_avg"]
    if nps:
        aggs += ["COUNT(*) FILTER (WHERE kind = 'nps') AS nps_n",
                 "COUNT(*) FILTER (WHERE kind = 'nps' AND score >= 9) AS promoters",
                 "COUNT(*) FILTER (WHERE kind = 'nps' AND score <= 6) AS detractors"]
    if ces:
        aggs += ["AVG(score) FILTER (WHERE kind = 'ces' AND scale = '1-7') AS ces_avg"]
    return f"{rows}, sa AS (SELECT cur, g, {', '.join(aggs)} FROM s2 GROUP BY cur, g)"


def _tickets(group_by: str | None, created: bool, resolved: bool) -> str:
    dims = {"agent": "t.agent_id", "team": "COALESCE(t.team_id, ag.team_id)", "channel": "t.channel", "tag": "x.tag_id"}
    joins = ""
    if group_by == "team":
        joins += " LEFT JOIN accounts_agent ag ON ag.id = t.agent_id"
    if group_by == "tag":
        joins += " JOIN chats_tickettag x ON x.ticket_id = t.id"
    parts = []
    if created:
        parts.append(f"""
ta AS (
    SELECT t.created_at >= %(start)s AS cur, {_key(group_by, 't.created_at', dims)} AS g, COUNT(*) AS created,
           COUNT(t.first_response_at) AS ticket_frt_n,
           COUNT(*) FILTER (WHERE date_part('epoch', t.first_response_at - t.created_at) <= CASE t.priority
                WHEN 'urgent' THEN 3600 WHEN 'high' THEN 14400 WHEN 'normal' THEN 28800 ELSE 86400 END) AS ticket_frt_met
    FROM chats_ticket t{joins}
    WHERE t.organization_id = %(org)s AND t.created_at >= %(pstart)s AND t.created_at < %(end)s
    GROUP BY 1, 2
)""")
    if resolved:
        parts.append(f"""
tr AS (
    SELECT cur, g, COUNT(*) AS resolved, AVG(res) AS res_avg,
           percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY res) AS res_p,
           COUNT(*) FILTER (WHERE res <= res_target) AS res_met
    FROM (
        SELECT t.resolved_at >= %(start)s AS cur, {_key(group_by, 't.resolved_at', dims)} AS g,
               date_part('epoch', t.resolved_at - t.created_at) AS res,
               CASE t.priority WHEN 'urgent' THEN 14400 WHEN 'high' THEN 86400 WHEN 'normal' THEN 259200
                    ELSE 604800 END AS res_target
        FROM chats_ticket t{joins}
        WHERE t.organization_id = %(org)s AND t.resolved_at >= %(pstart)s AND t.resolved_at < %(end)s
    ) r GROUP BY cur, g
)""")
    return ",".join(parts)


def statement(org, metrics: list[str], group_by: str | None, first: dt.date, last: dt.date) -> tuple[str, dict]:
    """(SQL, parameters) answering `metrics` grouped by `group_by` for first..last and the same
    number of days before."""
    asked = set(metrics)
    days = (last - first).days + 1
    tz = org.tzinfo
    params = {"org": org.pk, "tz": org.timezone, "csat_scale": org.csat_scale,
              "pstart": local_midnight(first - dt.timedelta(days=days), tz), "start": local_midnight(first, tz),
              "end": local_midnight(last + dt.timedelta(days=1), tz)}
    ctes, names = [], []
    survey_only = group_by in ("segment", "touchpoint")
    if asked & CHAT_METRICS and not survey_only:
        ctes.append(_chats(group_by, int(org.follow_up_window_hours)))
        names.append("ca")
    if asked & SURVEY_METRICS:
        ctes.append(_surveys(group_by, "csat" in asked, "nps" in asked, "ces" in asked))
        names.append("sa")
    created, resolved = bool(asked & CREATED_METRICS) and not survey_only, bool(asked & RESOLVED_METRICS) and not survey_only
    if created or resolved:
        ctes.append(_tickets(group_by, created, resolved))
        names += (["ta"] if created else []) + (["tr"] if resolved else [])
    joined = names[0] + "".join(f" FULL JOIN {n} USING (cur, g)" for n in names[1:])
    return f"WITH {','.join(ctes)} SELECT * FROM {joined}", params
