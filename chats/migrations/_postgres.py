"""Helpers for hand-written migrations (the migration loader skips modules starting with _)."""

from django.db import migrations


def postgres_only(forward: str, backward: str) -> migrations.RunPython:
    """Run raw SQL on PostgreSQL only (partial indexes with interval arithmetic): the embedded
    SQLite default does without."""

    def run(sql):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)
        return apply

    return migrations.RunPython(run(forward), run(backward))
