"""A row in every tenant table for each of two organizations (``filled``), so erasure, export and
deletion are tried against everything and the other organization is always there to be harmed."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.audit import audit_record
from accounts.models import AuditKind, Invitation, Role
from chats.models import ChatTag, TicketTag
from reports.business_hours import materialise
from reports.freshness import mark_dirty
from reports.models import BusinessInterval, Goal, Holiday, SlaTarget
from reports.snapshots import snapshots_rebuild
from schedules.models import ReportDelivery, Unsubscription
from schedules.services import ScheduleData, schedule_create
from tests.factories import (
    AgentFactory,
    AgentSessionFactory,
    ApiKeyFactory,
    CannedResponseUseFactory,
    ChatFactory,
    CustomerFactory,
    MembershipFactory,
    PurchaseFactory,
    QualityReviewFactory,
    SurveyAnswerFactory,
    TagFactory,
    TeamFactory,
    TicketFactory,
    WebsiteTrafficFactory,
)

UTC = dt.UTC
MON, TUE = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
DIRTY_DAY = dt.date(2026, 3, 9)


@dataclass
class Filled:
    organization: object
    customer: object  # the one erased in the tests (external id is an e-mail address)
    bystander: object  # another customer of the same organization
    owner: object


def fill(organization, prefix: str) -> Filled:
    """Rows in every tenant table of ``organization``; personal values carry ``prefix``."""
    team = TeamFactory(organization=organization)
    agent = AgentFactory(organization=organization, team=team, email=f"agent@{prefix}.test")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    manager = MembershipFactory(organization=organization, role=Role.MANAGER)
    customer = CustomerFactory(
        organization=organization,
        external_id=f"jane@{prefix}.test",
        name=f"Jane {prefix}",
        email=f"jane@{prefix}.test",
        segment="enterprise",
    )
    bystander = CustomerFactory(
        organization=organization,
        external_id=f"bob-{prefix}",
        name=f"Bob {prefix}",
        email=f"bob@{prefix}.test",
        segment="smb",
        referred_by=customer,
    )
    PurchaseFactory(organization=organization, customer=customer, amount=120)
    tag = TagFactory(organization=organization)
    chats = [
        ChatFactory(
            organization=organization,
            agent=agent,
            team=team,
            customer=customer,
            requested_at=dt.datetime(2026, 3, 2, 9 + i, tzinfo=UTC),
            page_url=f"https://{prefix}.test/checkout?email=jane@{prefix}.test",
        )
        for i in range(2)
    ]
    chats.append(
        ChatFactory(
            organization=organization,
            agent=agent,
            team=team,
            customer=bystander,
            page_url=f"https://{prefix}.test/pricing",
        )
    )
    missed = ChatFactory(
        organization=organization,
        agent=agent,
        customer=customer,
        accepted_at=None,
        first_response_at=None,
        ended_at=None,
        closed_at=None,
        outcome="missed",
        missed_reason="visitor_left",
    )
    ChatTag.objects.for_org(organization).create(organization=organization, chat=chats[0], tag=tag)
    ticket = TicketFactory(
        organization=organization,
        agent=agent,
        team=team,
        customer=customer,
        subject=f"Refund for Jane {prefix}",
        first_response_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    TicketFactory(
        organization=organization, agent=agent, customer=bystander, subject="Bob's question"
    )
    TicketTag.objects.for_org(organization).create(
        organization=organization, ticket=ticket, tag=tag
    )
    # Answers of the customer: on its chat, on its ticket, one on a chat only (answer customer unset).
    SurveyAnswerFactory(
        organization=organization,
        chat=chats[0],
        customer=customer,
        agent=agent,
        score=2,
        comment=f"Jane {prefix} here, call me at +358 40 123",
        responded_at=dt.datetime(2026, 3, 2, 13, tzinfo=UTC),
        segment="vip",
        touchpoint="post-chat",
    )
    SurveyAnswerFactory(
        organization=organization, ticket=ticket, agent=agent, score=4, comment="Thanks!"
    )
    SurveyAnswerFactory(organization=organization, chat=chats[1], agent=agent, score=5, comment="")
    SurveyAnswerFactory(
        organization=organization,
        chat=chats[2],
        customer=bystander,
        agent=agent,
        score=3,
        comment="Bob's comment",
    )
    SurveyAnswerFactory(
        organization=organization,
        kind="nps",
        scale="0-10",
        score=9,
        customer=customer,
        answered_at=dt.datetime(2026, 3, 3, 8, tzinfo=UTC),
        comment="Would recommend",
    )
    CannedResponseUseFactory(organization=organization, agent=agent, chat=chats[0])
    AgentSessionFactory(organization=organization, agent=agent)
    WebsiteTrafficFactory(organization=organization)
    QualityReviewFactory(organization=organization, agent=agent, chat=chats[0])
    SlaTarget.objects.for_org(organization).create(
        organization=organization, metric="chat_first_response", target_seconds=60
    )
    Goal.objects.for_org(organization).create(
        organization=organization, metric="csat", field="value", at_least=True, target=85
    )
    BusinessInterval.objects.for_org(organization).create(
        organization=organization, weekday=0, start=dt.time(8), end=dt.time(17)
    )
    Holiday.objects.for_org(organization).create(
        organization=organization, date=dt.date(2026, 12, 24)
    )
    ApiKeyFactory(organization=organization)
    now = dt.datetime.now(UTC)
    Invitation.unscoped.create(
        organization=organization,
        email=f"invitee@{prefix}.test",
        role=Role.VIEWER,
        secret_hash="5" * 64,
        sent_at=now,
        expires_at=now + dt.timedelta(days=7),
    )
    schedule = schedule_create(
        organization=organization,
        data=ScheduleData(
            name="Weekly", member_recipients=[manager], scope="agents", agents=[agent]
        ),
        created_by=None,
    )
    ReportDelivery.objects.for_org(organization).create(
        organization=organization,
        schedule=schedule,
        period_start=MON,
        period_end=MON + dt.timedelta(days=6),
        due_at=now,
        recipient=f"boss@{prefix}.test",
        status="sent",
    )
    Unsubscription.objects.for_org(organization).create(
        organization=organization, schedule=schedule, email=f"gone@{prefix}.test"
    )
    audit_record(organization=organization, actor=owner, kind=AuditKind.TEAM_CREATED, target=team)
    materialise(organization)
    snapshots_rebuild(
        organization=organization, first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 4)
    )
    mark_dirty(organization=organization, days={DIRTY_DAY}, enqueue=False)
    del missed
    return Filled(organization=organization, customer=customer, bystander=bystander, owner=owner)


@pytest.fixture
def filled(org):
    return fill(org, "acme")


@pytest.fixture
def other_filled(other_org):
    return fill(other_org, "globex")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
