"""The build pipeline: for one organization and a chunk of local days, every source's raw rows
read once into a base table, grouped by every grain at once into a parts table, and one
INSERT … SELECT per grain writing the snapshot rows (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from accounts.models import Organization
from reports import components as C
from reports.builders.calendar import Slot, hour_slots, step_labels
from reports.builders.dialect import LONG_INTERVAL, Dialect
from reports.builders.source import (
    BASE_TABLE,
    COLUMN_GRAINS,
    DIM_COLUMNS,
    GROUPED_COLUMN,
    HOURS_TABLE,
    MAX_CHUNK_DAYS,
    PARTS_KEY,
    PARTS_TABLE,
    STEPS_TABLE,
    TAGS_TABLE,
    TEMP_TABLES,
    TEXT_DIMS,
    Range,
    Source,
    tag_alias,
    tag_ids,
)
from reports.builders.sources import (
    BusinessSources,
    CannedSources,
    ChatSources,
    QualitySources,
    SessionSources,
    SurveySources,
    TicketSources,
)
from reports.histogram import bucket_sql
from reports.sla import targets_for


class Builder(ChatSources, TicketSources, SurveySources, CannedSources, QualitySources, BusinessSources,
              SessionSources):
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
        cols += [f"{name} {d.hist.column_type}" for name in C.HISTOGRAMS]
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
            hour = "base.hour" if "hour" in grains else d.null("integer")  # a source of some grains only
            selects.append(
                f"SELECT CASE GROUPING({', '.join(f'base.{c}' for c in grouped)}) {cases} END AS grain, "
                f"base.day AS day, {hour} AS hour, {dim} AS dim, {text} AS dim_text, {out} "
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
                    f"SELECT grain, day, hour, dim, dim_text, metric, {d.hist.aggregate('bk', 'n')} AS h "
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
        hists = [f"COALESCE({d.hist.pick(name)}, {d.hist.empty})" for name in C.HISTOGRAMS]
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
                   self.survey_source(), *self.canned_sources(), *self.quality_sources(),
                   *self.business_sources(), self.session_source(), self.busy_source()]
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
