"""A partial index over the rare agent sessions that last longer than a day.

Snapshot builders find the sessions that reach into a range of days by started_at (those
started from a day before the range through its end) and the longer ones through this index
(reports.builders.Builder.create_sessions; its predicate must stay the same as
Dialect.longer_than_a_day). PostgreSQL only: the embedded SQLite default scans instead.
"""

from django.db import migrations

from chats.migrations._postgres import postgres_only

CREATE = (
    "CREATE INDEX IF NOT EXISTS session_long_org_ended ON chats_agentsession (organization_id, ended_at) "
    "WHERE (ended_at - started_at) > INTERVAL '1 day'"
)
DROP = "DROP INDEX IF EXISTS session_long_org_ended"


class Migration(migrations.Migration):
    dependencies = [("chats", "0002_chat_long_org_ended")]

    operations = [postgres_only(CREATE, DROP)]
