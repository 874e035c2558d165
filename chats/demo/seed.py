"""The demo: two organizations in different time zones, a login per role, a year of data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import Agent, Membership, Organization, Role, User
from accounts.services import organization_create
from chats.demo.catalog import DEMO_PROFILES
from chats.demo.generator import (
    GenerationSummary,
    allocate,
    generate_organization_data,
    local_midnight,
)
from chats.models import (
    AgentSession,
    CannedResponseUse,
    Chat,
    ChatTag,
    Customer,
    Purchase,
    QualityReview,
    Ticket,
    TicketTag,
    WebsiteTraffic,
)
from surveys.models import SurveyAnswer

DEMO_PASSWORD = "demo-password-2026"
LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"
DAYS_OF_DATA = 365
# A member of every demo organization, to show the organization switcher.
SWITCHER_EMAIL = "switcher@demo.test"
DEMO_ORGS_EXIST = (
    "The demo organizations already exist ({slugs}). Run seed_demo with --reset to delete and "
    "re-create them."
)


class DemoOrganizationsExist(Exception):
    pass


@dataclass(frozen=True)
class Credential:
    email: str
    role: str
    organizations: str
    password: str = DEMO_PASSWORD


@dataclass
class DemoResult:
    credentials: list[Credential]
    summaries: list[GenerationSummary]
    start: dt.date
    end: dt.date


def demo_slugs() -> list[str]:
    return [profile.slug for profile in DEMO_PROFILES]


# The bulk of a demo organization, children before parents. The organization's own cascade
# would load every chat into memory to delete it; these go first with one DELETE each.
BULK_MODELS = (ChatTag, TicketTag, CannedResponseUse, SurveyAnswer, QualityReview, AgentSession,
               Purchase, WebsiteTraffic, Chat, Ticket, Customer)


def _delete_bulk_rows(organization: Organization) -> None:
    """Delete the organization's rows of BULK_MODELS with one statement per table, as long as
    nothing but already emptied tables points at the table (a model added later that points at
    chats leaves chats, and what follows, to the organization's cascade)."""
    emptied: set[type] = set()
    with connection.cursor() as cursor:
        for model in BULK_MODELS:
            pointing = {rel.related_model for rel in model._meta.related_objects}
            if not pointing <= emptied | {model}:
                break
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization.pk])
            emptied.add(model)


def demo_reset() -> int:
    """Delete the demo organizations and, by cascade, everything in them. Returns how many."""
    organizations = list(Organization.objects.filter(slug__in=demo_slugs()))
    for organization in organizations:
        _delete_bulk_rows(organization)
        organization.delete()
    return len(organizations)


@transaction.atomic
def seed_demo(
    *, seed: int, chats: int, end_date: dt.date, reset: bool = False,
    progress: Callable[[int], object] | None = None,
) -> DemoResult:
    """Create the demo organizations with ``chats`` chats over the 365 days ending ``end_date``.

    Deterministic: the same seed and end date give the same rows (primary keys aside). Without
    ``reset`` existing demo organizations are an error; with it they are deleted first.
    """
    existing = sorted(Organization.objects.filter(slug__in=demo_slugs()).values_list("slug", flat=True))
    if existing:
        if not reset:
            raise DemoOrganizationsExist(DEMO_ORGS_EXIST.format(slugs=", ".join(existing)))
        demo_reset()
    start = end_date - dt.timedelta(days=DAYS_OF_DATA - 1)
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: it is slow on purpose
    credentials: list[Credential] = []
    summaries: list[GenerationSummary] = []
    organizations = []
    for profile, org_chats in zip(DEMO_PROFILES, allocate(chats, [p.share for p in DEMO_PROFILES]), strict=True):
        organization = organization_create(slug=profile.slug, name=profile.name, timezone_name=profile.timezone)
        created = local_midnight(start - dt.timedelta(days=30), organization.tzinfo)
        Organization.objects.filter(pk=organization.pk).update(created_at=created)
        summaries.append(generate_organization_data(
            organization=organization, rng=random.Random(f"{seed}:{profile.slug}"), chats=org_chats,
            start=start, end=end_date, profile=profile, progress=progress,
        ))
        credentials += _role_members(organization, password_hash)
        organizations.append(organization)
    switcher = _demo_user(SWITCHER_EMAIL, "Demo user in every organization", password_hash)
    for organization in organizations:
        Membership.unscoped.create(organization=organization, user=switcher, role=Role.MANAGER)
    credentials.append(Credential(SWITCHER_EMAIL, Role.MANAGER, ", ".join(o.slug for o in organizations)))
    return DemoResult(credentials=credentials, summaries=summaries, start=start, end=end_date)


def _demo_user(email: str, name: str, password_hash: str) -> User:
    user, _ = User.objects.update_or_create(
        email=email, defaults={"name": name, "password": password_hash, "is_active": True}
    )
    return user


def _role_members(organization: Organization, password_hash: str) -> list[Credential]:
    """One login per role; the agent login is linked to the organization's first agent."""
    agent = Agent.unscoped.filter(organization=organization).order_by("external_id").first()
    credentials = []
    for role in Role:
        email = f"{role.value}@{organization.slug}.test"
        name = agent.name if role == Role.AGENT and agent else f"{organization.name} {role.label}"
        user = _demo_user(email, str(name), password_hash)
        Membership.unscoped.create(organization=organization, user=user, role=role)
        if role == Role.AGENT and agent:
            Agent.unscoped.filter(pk=agent.pk).update(user=user)
        credentials.append(Credential(email, role.value, organization.slug))
    return credentials
