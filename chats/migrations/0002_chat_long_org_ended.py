"""A partial index over the rare chats that last longer than a day.

Snapshot builders find the chats that reach into a range of days by requested_at (the chats
requested from a day before the range through its end), and the longer ones from before through
this index (reports.builders.Builder.create_busy_intervals; its predicate must stay the same as
Dialect.longer_than_a_day). PostgreSQL only: the embedded SQLite default scans instead.
"""

from django.db import migrations

from chats.migrations._postgres import postgres_only

CREATE = (
    "CREATE INDEX IF NOT EXISTS chat_long_org_ended ON chats_chat (organization_id, ended_at) "
    "WHERE (ended_at - requested_at) > INTERVAL '1 day'"
)
DROP = "DROP INDEX IF EXISTS chat_long_org_ended"


class Migration(migrations.Migration):
    dependencies = [("chats", "0001_initial")]

    operations = [postgres_only(CREATE, DROP)]
