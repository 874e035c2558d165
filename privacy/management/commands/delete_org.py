import time

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import organization_from_slug
from privacy.services import PrivacyError, check_confirmation, organization_delete


class Command(BaseCommand):
    help = (
        "Delete an organization and every row of it (raw data, settings, snapshots, keys, schedules, "
        "deliveries, audit log, memberships). User accounts are kept. Cannot be undone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--confirm", required=True, help="the same slug again")

    def handle(self, *args, org, confirm, **options):
        organization = organization_from_slug(org)
        try:
            check_confirmation(typed=confirm, expected=organization.slug)
        except PrivacyError as exc:
            raise CommandError(f"--confirm: {exc} Nothing was deleted.") from exc
        started = time.monotonic()
        deleted = organization_delete(organization=organization)
        self.stdout.write(
            f"Deleted {deleted.slug}: {deleted.total} rows in {len(deleted.rows)} tables "
            f"in {time.monotonic() - started:.1f} s."
        )
        if deleted.users_without_organization:
            self.stdout.write(
                f"Kept {len(deleted.users_without_organization)} user accounts now in no organization "
                f"(ids {', '.join(map(str, deleted.users_without_organization))})."
            )
