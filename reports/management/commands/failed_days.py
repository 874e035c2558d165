from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import organization_from_slug
from accounts.models import Organization
from reports.freshness import failed_marks
from reports.snapshots import failed_days_retry


class Command(BaseCommand):
    help = ("List the days whose snapshot rebuild failed, per organization, with the error, the attempts "
            "and the next automatic attempt; with --retry, retry them now and report what still fails.")

    def add_arguments(self, parser):
        parser.add_argument("--org", help="organization slug (default: every organization)")
        parser.add_argument("--retry", action="store_true", help="retry the failed days now, ignoring their backoff")

    def handle(self, *args, org, retry, **options):
        organization = organization_from_slug(org) if org else None
        if retry:
            ids = {organization.pk} if organization else set(failed_marks().values_list("organization_id", flat=True))
            for target in Organization.objects.filter(pk__in=ids).order_by("slug"):
                result = failed_days_retry(organization=target)
                self.stdout.write(f"{target.slug}: retried; {len(result.rebuilt)} days rebuilt, "
                                  f"{len(result.failed)} still failing.")
        marks = list(failed_marks(organization=organization))
        if not marks:
            self.stdout.write("No failed days.")
            return
        current = None
        for mark in marks:
            if mark.organization_id != current:
                current = mark.organization_id
                count = sum(m.organization_id == current for m in marks)
                self.stdout.write(f"{mark.organization.slug} (id {current}): {count} failed days")
            next_attempt = mark.next_attempt_at.isoformat(timespec="seconds") if mark.next_attempt_at else "at once"
            self.stdout.write(
                f"  {mark.day.isoformat()}  attempts {mark.attempts}  failed {mark.failed_at.isoformat(timespec='seconds')}"
                f"  next attempt {next_attempt}  {' '.join(mark.last_error.split())}")
        if retry:
            raise CommandError(f"{len(marks)} days still fail.")
