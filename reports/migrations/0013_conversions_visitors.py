from django.db import migrations

from reports.migrations._components import TABLES_SINCE_0012, AddComponents


class Migration(migrations.Migration):
    """Conversion and website-visitor components (issue 11 items 1 and 2), one operation."""

    dependencies = [("reports", "0012_iqs_criterion_grain")]

    operations = [
        AddComponents(
            models=TABLES_SINCE_0012,
            counts=("conversions", "conversions_proactive", "chats_answered_proactive", "conversions_after_follow_up",
                    "chats_with_time_on_site", "website_visitors"),
            sums=("conversions_value", "time_on_site_before_chat"),
            durations=("conversion_time",),
        ),
    ]
