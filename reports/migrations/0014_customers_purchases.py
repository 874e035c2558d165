from django.db import migrations

from reports.migrations._components import TABLES_SINCE_0012, AddComponents


class Migration(migrations.Migration):
    """Customer and purchase components (issue 11 item 3), one operation."""

    dependencies = [("reports", "0013_conversions_visitors")]

    operations = [
        AddComponents(
            models=TABLES_SINCE_0012,
            counts=("customers_acquired", "customers_referred", "customers_lost", "purchases"),
            sums=("purchase_amount", "customer_lifespan_seconds"),
        ),
    ]
