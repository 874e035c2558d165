"""``manage.py send_due_reports [--dry-run]``: run the report dispatcher once (cron-only
deployments, operators). Without a worker the deliveries are sent in this process."""

from django.core.management.base import BaseCommand

from schedules import services
from schedules.tasks import send_schedule_period_task


class Command(BaseCommand):
    help = "Send the scheduled report e-mails that are due (once each)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the due runs; send and change nothing.")

    def handle(self, *args, dry_run=False, **options):
        result = services.dispatch_due(enqueue=None if dry_run else self._enqueue, dry_run=dry_run)
        verb = "would send" if dry_run else "sent or queued"
        for schedule_id, due in result.enqueued:
            self.stdout.write(f"schedule {schedule_id} due {due}: {verb}")
        for schedule_id, due in result.skipped:
            self.stdout.write(f"schedule {schedule_id} due {due}: skipped (older than the horizon)")
        for schedule_id, due in result.retries:
            self.stdout.write(f"schedule {schedule_id} due {due}: retrying what is still to be sent")
        self.stdout.write(self.style.SUCCESS(
            f"{len(result.enqueued)} due, {len(result.skipped)} skipped, {len(result.retries)} retried"))

    def _enqueue(self, schedule_id: int, due_at: str) -> None:
        send_schedule_period_task.delay(schedule_id, due_at)
