"""What a build is made of: the grains, a Source (a kind of raw row and the components it adds),
the temporary tables of a chunk and the chunk's range."""

from __future__ import annotations

from dataclasses import dataclass, field

# Largest day range built in one pass: bounds statement size (SQLite's parameter limit) and
# transaction length.
MAX_CHUNK_DAYS = 31

GRAINS = ("org", "agent", "team", "channel", "tag", "hour", "segment", "touchpoint", "canned_response", "criterion")
# Grains read from the base table's own columns (the tag grain joins the source's tag rows),
# and the base column each groups by besides the day.
COLUMN_GRAINS = ("org", "hour", "agent", "team", "channel", "segment", "touchpoint", "canned_response", "criterion")
GROUPED_COLUMN = {"hour": "hour", **{g: f"{g}_dim" for g in ("agent", "team", "channel", "segment", "touchpoint",
                                                             "canned_response", "criterion")}}
# The parts-table column holding each grain's dimension (integer ids, text, or the hour).
PARTS_KEY = {"org": None, "hour": "hour", "agent": "dim", "team": "dim", "tag": "dim",
             "channel": "dim_text", "segment": "dim_text", "touchpoint": "dim_text", "canned_response": "dim",
             "criterion": "dim_text"}




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
    # Only these grains (None: org, hour, the dims' and, with tags, tag): a source whose rows
    # repeat another's under a finer key (one per canned response of a chat) adds to that key
    # only, never to the org's totals again.
    only: tuple[str, ...] | None = None

    def supports(self, grain: str) -> bool:
        if self.only is not None:
            return grain in self.only
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


def tag_alias(i: int) -> str:
    """PostgreSQL: the alias of the LATERAL subquery reading a base row's tag ids from its
    source's i-th tag link table (see Builder._create_base)."""
    return f"tg{i}"


def tag_ids(i: int) -> str:
    """PostgreSQL: the SQL of those tag ids (an array, NULL for none), for the source's columns."""
    return f"{tag_alias(i)}.ids"



@dataclass(frozen=True)
class Range:
    """The chunk as UTC instants, adapted for the connection's SQL parameters."""

    start: object
    end: object
    lookback: object  # start - LONG_INTERVAL
