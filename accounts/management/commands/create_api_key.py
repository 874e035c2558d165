from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import organization_from_slug, validation_error_text
from accounts.services import api_key_create, parse_scopes


class Command(BaseCommand):
    help = "Create an API key for an organization. The key is printed alone on the last line, once."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", default="read", help="read, write or read,write")

    def handle(self, *args, org, name, scope, **options):
        organization = organization_from_slug(org)
        try:
            key, raw = api_key_create(organization=organization, name=name, scopes=parse_scopes(scope))
        except ValidationError as exc:
            raise CommandError(validation_error_text(exc)) from exc
        self.stdout.write(f"Created API key “{key.name}” ({', '.join(key.scopes)}) for {organization.slug}; "
                          "it is shown only now:")
        self.stdout.write(raw)
