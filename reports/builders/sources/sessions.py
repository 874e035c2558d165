"""Agent time: online sessions and busy time (online with at least one active chat), interval
sources split at local midnight and hours."""

from __future__ import annotations

from reports.builders.source import BUSY_TABLE, SESSIONS_TABLE, Range, Source
from reports.builders.sources.common import SourceSQL


class SessionSources(SourceSQL):
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
