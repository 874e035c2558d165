import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.management.commands._helpers import date_argument, organization_from_slug
from reports.freshness import data_days, enqueue_rebuild
from reports.snapshots import range_rebuild


class Command(BaseCommand):
    help = ("Rebuild an organization's daily snapshots for a range of local days (default: all its data). "
            "The range is marked dirty first: if the command is stopped, the workers finish it.")

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
            result = range_rebuild(organization=organization, first=since, last=until, progress=bar.update)
        if result.more:  # days marked by writes while this ran
            enqueue_rebuild(organization_id=organization.pk)
        failed = sum(since <= day <= until for day in result.failed)
        done = f"{days - failed} of {days}" if failed else f"{days}"
        self.stdout.write(f"Rebuilt {done} days ({since} to {until}) of {organization.slug}: {result.rows} snapshot rows.")
        if result.failed:
            shown = ", ".join(day.isoformat() for day in sorted(result.failed)[:10])
            raise CommandError(
                f"{len(result.failed)} days could not be rebuilt ({shown}{', …' if len(result.failed) > 10 else ''}); "
                f"they are retried automatically: see manage.py failed_days --org {organization.slug}.")
