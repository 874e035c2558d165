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

The parts, by file:

- ``calendar.py``: local midnights, hour slots and 15-minute steps (DST-correct);
- ``dialect.py``: the SQL spellings PostgreSQL and SQLite disagree on, the build's settings;
- ``source.py``: the grains, ``Source`` (a kind of raw row and its components), temp tables;
- ``sources/<source>.py``: each source's SQL (``chats``, ``tickets``, ``surveys``, ``canned``,
  ``sessions`` for online and busy time), a mixin of the Builder;
- ``pipeline.py``: the Builder (base table, grouping, histograms, writing) and the chunks.
"""

from reports.builders.calendar import (
    CALENDAR_STEP,
    STEP_SECONDS,
    Slot,
    day_slots,
    hour_slots,
    local_midnight,
    step_labels,
)
from reports.builders.dialect import BUILD_SETTINGS, LONG_INTERVAL, Dialect, pg_json_object_agg
from reports.builders.pipeline import Builder, chunks
from reports.builders.source import GRAINS, MAX_CHUNK_DAYS, PARTS_KEY, Range, Source

__all__ = [
    "BUILD_SETTINGS", "CALENDAR_STEP", "GRAINS", "LONG_INTERVAL", "MAX_CHUNK_DAYS", "PARTS_KEY", "STEP_SECONDS",
    "Builder", "Dialect", "Range", "Slot", "Source", "chunks", "day_slots", "hour_slots", "local_midnight",
    "pg_json_object_agg", "step_labels",
]
