from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import Agent, ApiKey, Membership, Organization, Role, Team, User


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


# --- Settings: objects named in a URL, fetched within the organization ------------------------
# Zulip's access_* shape: fetch and check in one step; another organization's id and a missing
# id are the same 404.

def access_membership(*, organization: Organization, membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.for_org(organization).select_related("user"), pk=membership_id)


def access_invitation(*, organization: Organization, invitation_id: int):
    from accounts.models import Invitation

    return get_object_or_404(Invitation.objects.for_org(organization), pk=invitation_id)


def access_team(*, organization: Organization, team_id: int) -> Team:
    return get_object_or_404(Team.objects.for_org(organization), pk=team_id)


def access_agent(*, organization: Organization, agent_id: int) -> Agent:
    return get_object_or_404(Agent.objects.for_org(organization).select_related("team", "user"), pk=agent_id)


def access_tag(*, organization: Organization, tag_id: int):
    from chats.models import Tag

    return get_object_or_404(Tag.objects.for_org(organization).select_related("merged_into"), pk=tag_id)


def member_list(*, organization: Organization):
    """Members with their users, owners first, then by e-mail."""
    from django.db.models import Case, IntegerField, Value, When

    order = Case(*[When(role=role, then=Value(i)) for i, role in enumerate(Role.values)], output_field=IntegerField())
    return (Membership.objects.for_org(organization).select_related("user")
            .annotate(role_order=order).order_by("role_order", "user__email"))


def pending_invitations(*, organization: Organization):
    from accounts.models import Invitation

    return (Invitation.objects.for_org(organization).filter(accepted_at__isnull=True, revoked_at__isnull=True)
            .select_related("invited_by").order_by("email"))


def team_list(*, organization: Organization):
    from django.db.models import Count, Q

    return (Team.objects.for_org(organization)
            .annotate(agent_count=Count("agents", filter=Q(agents__organization_id=organization.pk)))
            .order_by("-active", "name"))


def agent_list(*, organization: Organization, team_id: int | None = None):
    agents = Agent.objects.for_org(organization).select_related("team", "user").order_by("-active", "name")
    if team_id is not None:
        agents = agents.filter(team_id=team_id)
    return agents


def tag_list(*, organization: Organization):
    """Tags in use first, then archived ones, then those merged into another."""
    from django.db.models import F

    from chats.models import Tag

    return (Tag.objects.for_org(organization).select_related("merged_into")
            .order_by(F("merged_into_id").asc(nulls_first=True), "archived", "category", "name"))
