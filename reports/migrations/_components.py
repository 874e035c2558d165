"""A migration operation adding snapshot components to every snapshot table at once (the
migration loader skips modules starting with _).

Django's AddField costs a model state re-render per column and, on SQLite, a copy of the whole
table per column (a field with a default is added by remaking the table): 15 tables × a dozen
components was minutes of ``migrate``. ``AddComponents`` is one operation per migration: the
state gains every field of every table with one reload per table, and the database one
``ALTER TABLE`` per table on PostgreSQL (every column in one statement; their defaults dropped
after, as AddField leaves them), one cheap ``ADD COLUMN`` per column on SQLite (a constant
default needs no table copy).
"""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations.base import Operation

from reports.histogram import HistogramField

# The snapshot tables from migration 0012 on ({model name: keeps histograms}), frozen: a later
# table gets a list of its own.
TABLES_SINCE_0012 = {
    "agentdaysnapshot": True, "agentmonthsnapshot": True, "cannedresponsedaysnapshot": True,
    "channeldaysnapshot": True, "channelmonthsnapshot": True, "criteriondaysnapshot": True, "daysnapshot": True,
    "hourofweekmonthsnapshot": False, "hoursnapshot": True, "monthsnapshot": True, "segmentdaysnapshot": True,
    "tagdaysnapshot": True, "tagmonthsnapshot": True, "teamdaysnapshot": True, "teammonthsnapshot": True,
    "touchpointdaysnapshot": True,
}


def _table(state, app_label: str, model_name: str) -> str:
    """The model's table from its state, without rendering the state's apps (which costs
    seconds over the snapshot models' hundreds of fields)."""
    return state.models[app_label, model_name].options.get("db_table") or f"{app_label}_{model_name}"


class AddComponents(Operation):
    """Add ``counts`` (bigint), ``sums`` (float) and ``durations`` (``<d>_sum``, ``<d>_n`` and,
    where the model keeps histograms, ``<d>_hist``) to each model of ``models`` (lower-case
    names of reports models, with whether it keeps histograms)."""

    reversible = True

    def __init__(self, models: dict[str, bool], counts=(), sums=(), durations=()):
        self.models = dict(models)
        self.counts = tuple(counts)
        self.sums = tuple(sums)
        self.durations = tuple(durations)

    def deconstruct(self):
        return (self.__class__.__name__, [], {"models": self.models, "counts": self.counts, "sums": self.sums,
                                              "durations": self.durations})

    def fields(self, histograms: bool) -> list[tuple[str, models.Field, str]]:
        """(name, field, (PostgreSQL type, SQLite type, default)) of the components."""
        out = [(c, models.BigIntegerField(default=0), ("bigint", "bigint", "0")) for c in self.counts]
        out += [(s, models.FloatField(default=0), ("double precision", "real", "0")) for s in self.sums]
        for d in self.durations:
            out += [(f"{d}_sum", models.FloatField(default=0), ("double precision", "real", "0")),
                    (f"{d}_n", models.BigIntegerField(default=0), ("bigint", "bigint", "0"))]
            if histograms:
                out.append((f"{d}_hist", HistogramField(), ("bigint[]", "text", "'{}'")))
        return out

    def state_forwards(self, app_label, state):
        for model_name, histograms in self.models.items():
            model_state = state.models[app_label, model_name]
            for name, field, _ in self.fields(histograms):
                model_state.fields[name] = field
        # One reload of every table (and what they relate to) together, not one per table.
        state.reload_models([(app_label, model_name) for model_name in self.models], delay=True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pg = schema_editor.connection.vendor == "postgresql"
        q = schema_editor.quote_name
        for model_name, histograms in self.models.items():
            table = q(_table(to_state, app_label, model_name))
            columns = [(q(name), types[0] if pg else types[1], types[2]) for name, _, types in self.fields(histograms)]
            if pg:
                schema_editor.execute(f"ALTER TABLE {table} " + ", ".join(
                    f"ADD COLUMN {c} {t} NOT NULL DEFAULT {default}" for c, t, default in columns))
                schema_editor.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} DROP DEFAULT"
                                                                        for c, _, _ in columns))
            else:
                for c, t, default in columns:
                    schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {c} {t} NOT NULL DEFAULT {default}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        q = schema_editor.quote_name
        for model_name, histograms in self.models.items():
            table = q(_table(from_state, app_label, model_name))
            for name, _, _ in self.fields(histograms):
                schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {q(name)}")

    def describe(self):
        return f"Add {len(self.counts) + len(self.sums) + len(self.durations)} components to {len(self.models)} snapshot tables"

    @property
    def migration_name_fragment(self):
        return "components"
