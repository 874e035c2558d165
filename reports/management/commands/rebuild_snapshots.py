import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min
from tqdm import tqdm

from accounts.management.commands._helpers import organization_from_slug
from chats.models import Chat, Ticket
from reports.snapshots import snapshots_rebuild
from surveys.models import SurveyAnswer


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Rebuild an organization's daily snapshots for a range of local days (default: all its data)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--since", type=_date, help="first local day (default: the earliest data)")
        parser.add_argument("--until", type=_date, help="last local day (default: the latest data or today)")

    def handle(self, *args, org, since, until, verbosity, **options):
        organization = organization_from_slug(org)
        if since is None or until is None:
            earliest, latest = self._data_span(organization)
            since = since or earliest
            until = until or latest
        if since > until:
            raise CommandError(f"--since {since} is after --until {until}.")
        days = (until - since).days + 1
        with tqdm(total=days, unit="day", desc=f"{organization.slug} snapshots", disable=verbosity == 0) as bar:
            rows = snapshots_rebuild(organization=organization, first=since, last=until, progress=bar.update)
        self.stdout.write(f"Rebuilt {days} days ({since} to {until}) of {organization.slug}: {rows} snapshot rows.")

    @staticmethod
    def _data_span(organization) -> tuple[dt.date, dt.date]:
        tz = organization.tzinfo
        bounds = [
            Chat.objects.for_org(organization).aggregate(a=Min("requested_at"), b=Max("requested_at")),
            Ticket.objects.for_org(organization).aggregate(a=Min("created_at"), b=Max("resolved_at")),
            SurveyAnswer.objects.for_org(organization).aggregate(a=Min("answered_at"), b=Max("answered_at")),
        ]
        starts = [b["a"] for b in bounds if b["a"]]
        ends = [b["b"] for b in bounds if b["b"]] + starts
        today = dt.datetime.now(tz).date()
        if not starts:
            return today, today
        return min(starts).astimezone(tz).date(), max(ends).astimezone(tz).date()
