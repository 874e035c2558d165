"""Reads of helpdesk data. Every function takes an already org-scoped queryset or organization."""

from __future__ import annotations

from django.db import models

from accounts.models import Agent, Team
from accounts.tenancy import OrgQuerySet
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    Customer,
    Purchase,
    QualityReview,
    Tag,
    Ticket,
    WebsiteTraffic,
)
from surveys.models import SurveyAnswer

# What the API representation of each model names: (foreign keys to join, many-to-many to prefetch).
# Loading them with the rows keeps a page at a fixed number of queries, whatever its size.
READ_RELATIONS: dict[type[models.Model], tuple[tuple[str, ...], tuple[str, ...]]] = {
    Team: ((), ()),
    Agent: (("team",), ()),
    Customer: (("referred_by",), ()),
    Purchase: (("customer",), ()),
    Tag: ((), ()),
    Chat: (("agent", "first_agent", "team", "customer"), ("tags",)),
    Ticket: (("agent", "team", "customer"), ("tags",)),
    SurveyAnswer: (("chat", "ticket", "agent", "customer"), ()),
    CannedResponse: ((), ()),
    CannedResponseUse: (("canned_response", "agent", "chat", "ticket"), ()),
    AgentSession: (("agent",), ()),
    WebsiteTraffic: ((), ()),
    QualityReview: (("chat", "ticket", "agent"), ()),
}


def with_references(queryset: OrgQuerySet) -> OrgQuerySet:
    """The queryset with every row it references loaded alongside (see ``READ_RELATIONS``).

    The queryset must already be scoped to one organization; references of a row always belong
    to the row's own organization, so nothing from another organization is loaded.
    """
    joins, prefetches = READ_RELATIONS[queryset.model]
    if joins:
        queryset = queryset.select_related(*joins)
    if prefetches:
        queryset = queryset.prefetch_related(*prefetches)
    return queryset
