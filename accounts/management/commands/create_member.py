from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import organization_from_slug, validation_error_text
from accounts.models import Role
from accounts.services import member_create


class Command(BaseCommand):
    help = "Add a user to an organization with a role (creating the user if needed)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="set (or reset) the user's password")
        parser.add_argument("--name", default="")

    def handle(self, *args, org, email, role, password, name, **options):
        organization = organization_from_slug(org)
        try:
            membership = member_create(organization=organization, email=email, role=role, password=password, name=name)
        except ValidationError as exc:
            raise CommandError(validation_error_text(exc)) from exc
        self.stdout.write(f"{membership.user.email} is {membership.role} of {organization.slug}.")
