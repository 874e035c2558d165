from django.db import migrations

from reports.migrations._components import TABLES_SINCE_0012, AddComponents


class Migration(migrations.Migration):
    """Social-channel, technical-tag and ticket-sentiment components (issue 11 item 7), one operation."""

    dependencies = [("reports", "0014_customers_purchases")]

    operations = [
        AddComponents(
            models=TABLES_SINCE_0012,
            counts=("social_contacts", "contacts_technical", "tickets_sentiment_positive",
                    "tickets_sentiment_negative", "tickets_with_sentiment"),
        ),
    ]
