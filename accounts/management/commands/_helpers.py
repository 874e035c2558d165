from django.core.management.base import CommandError

from accounts.models import Organization


def organization_from_slug(slug: str) -> Organization:
    try:
        return Organization.objects.get(slug=slug)
    except Organization.DoesNotExist as exc:
        raise CommandError(f"No organization with slug “{slug}”.") from exc


def validation_error_text(exc) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def date_argument(value: str):
    """argparse ``type=`` for a YYYY-MM-DD option inside the report window (the days reports can
    be read for; year 1 or 9999 overflowed local midnights further on), with an error that names
    the value."""
    import datetime as dt

    from reports.metrics.service import EARLIEST_DAY, LATEST_DAY

    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD).") from exc
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise CommandError(f"“{value}” is outside {EARLIEST_DAY} to {LATEST_DAY}.")
    return day
