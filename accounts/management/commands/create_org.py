from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import validation_error_text
from accounts.services import organization_create


class Command(BaseCommand):
    help = "Create an organization (tenant)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Helsinki")

    def handle(self, *args, slug, name, timezone, **options):
        try:
            org = organization_create(slug=slug, name=name, timezone_name=timezone)
        except ValidationError as exc:
            raise CommandError(validation_error_text(exc)) from exc
        self.stdout.write(f"Created organization {org.slug} ({org.name}, {org.timezone}).")
