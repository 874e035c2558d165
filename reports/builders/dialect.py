"""The few SQL spellings PostgreSQL and SQLite disagree on, and the PostgreSQL settings of a
build's transaction. Every other module of the builder writes SQL both databases run."""

from __future__ import annotations

import datetime as dt

from reports.builders.calendar import STEP_SECONDS
from reports.histogram import HistogramSQL

# A chat or an agent session that lasts longer than this is found through a partial index
# (chats migrations 0002 and 0003: chat_long_org_ended, session_long_org_ended) when a range of
# days is built; every other one through its (organization, start) index.
LONG_INTERVAL = dt.timedelta(days=1)
# PostgreSQL settings for the build's transaction (the benchmark's floor runs with the same):
# memory for a month of a large organization's base rows grouped six ways without spilling,
# and no JIT compilation, which costs more (100-200 ms a statement) than it saves on
# statements that each read one chunk.
BUILD_SETTINGS = {"work_mem": "64MB", "jit": "off", "max_parallel_workers_per_gather": "0"}


def pg_json_object_agg(key: str, value: str) -> str:
    """PostgreSQL (the benchmark floor's histograms; snapshots store reports.histogram's packed
    arrays): a JSON object of a group's (text key, number) pairs, assembled as text and
    cast once per group (several times faster than jsonb_object_agg)."""
    return f"""('{{' || string_agg('"' || {key} || '":' || {value}, ',') || '}}')::jsonb"""



class Dialect:
    """The few SQL spellings PostgreSQL and SQLite disagree on."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.vendor == "postgresql"
        self.hist = HistogramSQL(conn.vendor)  # histogram columns (reports.histogram)

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

    def count_if(self, condition: str) -> str:
        return f"COUNT(*) FILTER (WHERE {condition})"

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
