import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import audit_record
from accounts.management.commands._helpers import organization_from_slug
from accounts.models import AuditKind
from privacy.services import organization_export_write


class Command(BaseCommand):
    help = "Export all of an organization's data: one JSON Lines file per entity in a zip."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--output", required=True, help="the zip file to write")

    def handle(self, *args, org, output, **options):
        organization = organization_from_slug(org)
        path = Path(output)
        if path.suffix.lower() != ".zip":
            raise CommandError(f"--output “{output}” must end in .zip.")
        if not path.parent.is_dir():
            raise CommandError(
                f"--output “{output}”: the directory “{path.parent}” does not exist."
            )
        started = time.monotonic()
        # Written next to the target and renamed at the end: a failed export leaves no partial zip.
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("wb") as fileobj:
                organization_export_write(organization=organization, fileobj=fileobj)
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Cannot write “{output}”: {exc.strerror or exc}.") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        audit_record(
            organization=organization,
            actor=None,
            kind=AuditKind.ORGANIZATION_EXPORTED,
            target=organization,
            changes={"file": [None, path.name]},
        )
        self.stdout.write(
            f"Exported {organization.slug} to {path} ({path.stat().st_size} bytes) "
            f"in {time.monotonic() - started:.1f} s."
        )
