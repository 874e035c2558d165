from django.db import migrations

from reports.migrations._components import TABLES_SINCE_0012, AddComponents


class Migration(migrations.Migration):
    """The engagement score's contacts tied to a customer (issue 11 item 4), one operation."""

    dependencies = [("reports", "0015_social_insights")]

    operations = [
        AddComponents(models=TABLES_SINCE_0012, counts=("contacts_with_customer",)),
    ]
