"""The SQLite spellings of the builder's time arithmetic (the embedded default): exact seconds.

Run on a real in-memory SQLite with timestamps stored as Django stores them there
('YYYY-MM-DD HH:MM:SS[.ffffff]'), whatever database the suite itself uses. julianday() would
give 60.00004 s for a first response exactly on a 60 s target, a breach on SQLite and none on
PostgreSQL.
"""

import datetime as dt
import sqlite3
from types import SimpleNamespace

import pytest

from reports.builders import STEP_SECONDS, Dialect

SQLITE = Dialect(SimpleNamespace(vendor="sqlite"))
T0 = dt.datetime(2025, 3, 30, 0, 59, 59, 999_999)


def run(sql: str, *values: dt.datetime):
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE t (a TEXT, b TEXT)")
        db.execute("INSERT INTO t VALUES (?, ?)", [str(v) for v in values])
        # Django's SQLite cursor turns %% into % when it binds parameters.
        return db.execute(f"SELECT {sql.replace('%%', '%')} FROM t").fetchone()[0]


@pytest.mark.parametrize("delta", [
    dt.timedelta(seconds=60),
    dt.timedelta(seconds=59, microseconds=999_999),
    dt.timedelta(seconds=60, microseconds=1),
    dt.timedelta(microseconds=1),
    dt.timedelta(0),
    dt.timedelta(days=3, seconds=7, microseconds=500_000),
    dt.timedelta(seconds=-90, microseconds=250_000),
])
def test_seconds_are_exact(delta):
    later = T0 + delta
    assert run(SQLITE.seconds("a", "b"), later, T0) == delta.total_seconds()


def test_window_and_long_interval_boundaries_are_exact():
    window = "259200"  # 72 hours
    assert run(SQLITE.within_seconds("a", "b", window), T0 + dt.timedelta(hours=72), T0) == 1
    assert run(SQLITE.within_seconds("a", "b", window), T0 + dt.timedelta(hours=72, microseconds=1), T0) == 0
    assert run(SQLITE.longer_than_a_day("b", "a"), T0 + dt.timedelta(days=1), T0) == 0
    assert run(SQLITE.longer_than_a_day("b", "a"), T0 + dt.timedelta(days=1, microseconds=1), T0) == 1


def test_calendar_step_of_an_instant_just_before_a_step_boundary():
    # 00:14:59.999999 is still in the step that starts at 00:00 (strftime of the whole text
    # rounds it up to 00:15:00, the next step, and at 23:59:59.9996 to the next day).
    for ts in (dt.datetime(2025, 3, 30, 0, 14, 59, 999_999), dt.datetime(2025, 3, 30, 23, 59, 59, 999_600)):
        expected = int(ts.replace(tzinfo=dt.UTC).timestamp()) // STEP_SECONDS
        assert run(SQLITE.step_of("a"), ts, ts) == expected
