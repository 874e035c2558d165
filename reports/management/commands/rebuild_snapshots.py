import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.management.commands._helpers import date_argument, organization_from_slug
from reports.freshness import data_days
from reports.snapshots import snapshots_rebuild


class Command(BaseCommand):
    help = "Rebuild an organization's daily snapshots for a range of local days (default: all its data)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--since", type=date_argument, help="first local day (default: the earliest data)")
        parser.add_argument("--until", type=date_argument, help="last local day (default: the latest data or today)")

    def handle(self, *args, org, since, until, verbosity, **options):
        organization = organization_from_slug(org)
        if since is None or until is None:
            today = dt.datetime.now(organization.tzinfo).date()
            earliest, latest = data_days(organization=organization) or (today, today)
            since = since or earliest
            until = until or latest
        if since > until:
            raise CommandError(f"--since {since} is after --until {until}.")
        days = (until - since).days + 1
        with tqdm(total=days, unit="day", desc=f"{organization.slug} snapshots", disable=verbosity == 0) as bar:
            rows = snapshots_rebuild(organization=organization, first=since, last=until, progress=bar.update)
        self.stdout.write(f"Rebuilt {days} days ({since} to {until}) of {organization.slug}: {rows} snapshot rows.")
