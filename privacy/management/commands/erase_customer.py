from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._helpers import organization_from_slug
from privacy.services import PrivacyError, customer_erase


class Command(BaseCommand):
    help = (
        "Erase one customer's personal data (name, e-mail, external id -> pseudonym; page addresses, "
        "ticket subjects, survey comments). Rows and metrics stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--customer", required=True, help="the customer's external id")

    def handle(self, *args, org, customer, **options):
        organization = organization_from_slug(org)
        try:
            erased = customer_erase(organization=organization, actor=None, external_id=customer)
        except PrivacyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Erased customer {erased.customer_id} of {organization.slug}, now “{erased.pseudonym}”: "
            f"{erased.chats} chats, {erased.tickets} tickets, {erased.survey_answers} survey answers."
        )
