from __future__ import annotations

from accounts.models import Agent, ApiKey, Membership, Organization, Team, User


def membership_list(*, user: User):
    return Membership.unscoped.filter(user=user).select_related("organization").order_by("organization__name")


def organization_inventory(*, organization: Organization) -> dict[str, int]:
    """How much of each kind of data the organization has (for empty states, not metrics)."""
    from chats.models import CannedResponse, Chat, Customer, Ticket
    from surveys.models import SurveyAnswer

    models = {
        "teams": Team, "agents": Agent, "customers": Customer, "chats": Chat, "tickets": Ticket,
        "survey_answers": SurveyAnswer, "canned_responses": CannedResponse,
        "api_keys": ApiKey, "members": Membership,
    }
    return {name: model.objects.for_org(organization).count() for name, model in models.items()}
