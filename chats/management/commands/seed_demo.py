import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.management.commands._helpers import date_argument
from chats.demo.seed import LOGIN_URL, DemoOrganizationsExist, seed_demo


class Command(BaseCommand):
    help = ("Seed two demo organizations (Acme Support, Europe/Helsinki; Globex Help, America/New_York) "
            "with a year of realistic data and one login per role.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="random seed (same seed and end date: same data)")
        parser.add_argument("--chats", type=int, default=20000, help="chats in total, split 70/30")
        parser.add_argument("--reset", action="store_true", help="delete the demo organizations first")
        parser.add_argument("--end-date", type=date_argument, default=None,
                            help="last day of data, YYYY-MM-DD (default: yesterday, UTC)")

    def handle(self, *args, seed, chats, reset, end_date, verbosity, **options):
        if chats < 0:
            raise CommandError("--chats must not be negative.")
        end_date = end_date or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        with tqdm(total=chats, unit="chat", desc="seeding", disable=verbosity < 1) as bar:
            try:
                result = seed_demo(seed=seed, chats=chats, end_date=end_date, reset=reset, progress=bar.update)
            except DemoOrganizationsExist as exc:
                raise CommandError(str(exc)) from exc
        for summary in result.summaries:
            counts = ", ".join(f"{n} {model}" for model, n in sorted(summary.counts.items()))
            self.stdout.write(f"{summary.organization.slug}: {counts}; "
                              f"{len(summary.days)} local days marked for a snapshot rebuild")
        self.stdout.write(f"Data covers {result.start} to {result.end}. Log in at {LOGIN_URL}")
        rows = [("e-mail", "role", "organization", "password")]
        rows += [(c.email, c.role, c.organizations, c.password) for c in result.credentials]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
