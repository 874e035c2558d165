"""factory_boy factories. Child factories take ``organization`` from their parent, so a test
never builds a mixed-tenant graph by accident."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.models import Agent, ApiKey, Membership, Organization, Role, Team, User
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    Customer,
    Purchase,
    QualityReview,
    QualityScorecard,
    Tag,
    Ticket,
    WebsiteTraffic,
)
from surveys.models import SurveyAnswer

UTC = dt.UTC
SAME_ORG = factory.SelfAttribute("..organization")
DEFAULT_PASSWORD = "correct-horse-battery-staple"


class OrgScopedFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    organization = factory.SubFactory("tests.factories.OrganizationFactory")

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.unscoped


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    timezone = "Europe/Helsinki"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook signature
        if create:
            obj.save()


class MembershipFactory(OrgScopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER


class TeamFactory(OrgScopedFactory):
    class Meta:
        model = Team

    external_id = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")


class AgentFactory(OrgScopedFactory):
    class Meta:
        model = Agent

    external_id = factory.Sequence(lambda n: f"agent-{n}")
    name = factory.Faker("name")
    team = factory.SubFactory(TeamFactory, organization=SAME_ORG)


class ApiKeyFactory(OrgScopedFactory):
    """Use accounts.services.api_key_create when the test needs the raw key."""

    class Meta:
        model = ApiKey

    name = "test key"
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")


class CustomerFactory(OrgScopedFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"customer-{n}")
    name = factory.Faker("name")
    acquired_at = dt.datetime(2025, 1, 1, tzinfo=UTC)


class PurchaseFactory(OrgScopedFactory):
    class Meta:
        model = Purchase

    external_id = factory.Sequence(lambda n: f"purchase-{n}")
    customer = factory.SubFactory(CustomerFactory, organization=SAME_ORG)
    amount = 50
    purchased_at = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


class TagFactory(OrgScopedFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class ChatFactory(OrgScopedFactory):
    """An answered chat by default; pass accepted_at=None (and timestamps None) for a missed one."""

    class Meta:
        model = Chat

    external_id = factory.Sequence(lambda n: f"chat-{n}")
    requested_at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    accepted_at = factory.LazyAttribute(lambda o: o.requested_at + dt.timedelta(seconds=20))
    first_response_at = factory.LazyAttribute(lambda o: o.accepted_at and o.accepted_at + dt.timedelta(seconds=10))
    ended_at = factory.LazyAttribute(lambda o: o.accepted_at and o.accepted_at + dt.timedelta(minutes=10))
    closed_at = factory.LazyAttribute(lambda o: o.ended_at and o.ended_at + dt.timedelta(minutes=1))
    agent = factory.SubFactory(AgentFactory, organization=SAME_ORG)
    outcome = factory.LazyAttribute(lambda o: "resolved" if o.accepted_at else "missed")


class TicketFactory(OrgScopedFactory):
    class Meta:
        model = Ticket

    external_id = factory.Sequence(lambda n: f"ticket-{n}")
    created_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    agent = factory.SubFactory(AgentFactory, organization=SAME_ORG)


class SurveyAnswerFactory(OrgScopedFactory):
    class Meta:
        model = SurveyAnswer

    external_id = factory.Sequence(lambda n: f"answer-{n}")
    kind = "csat"
    scale = "1-5"
    score = 5
    answered_at = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class CannedResponseFactory(OrgScopedFactory):
    class Meta:
        model = CannedResponse

    external_id = factory.Sequence(lambda n: f"canned-{n}")
    title = factory.Sequence(lambda n: f"Canned {n}")
    text = "Thank you for contacting us, we are looking into it."


class CannedResponseUseFactory(OrgScopedFactory):
    class Meta:
        model = CannedResponseUse

    external_id = factory.Sequence(lambda n: f"canned-use-{n}")
    canned_response = factory.SubFactory(CannedResponseFactory, organization=SAME_ORG)
    agent = factory.SubFactory(AgentFactory, organization=SAME_ORG)
    used_at = dt.datetime(2026, 3, 2, 10, 5, tzinfo=UTC)


class AgentSessionFactory(OrgScopedFactory):
    class Meta:
        model = AgentSession

    external_id = factory.Sequence(lambda n: f"session-{n}")
    agent = factory.SubFactory(AgentFactory, organization=SAME_ORG)
    started_at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    ended_at = dt.datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


class WebsiteTrafficFactory(OrgScopedFactory):
    class Meta:
        model = WebsiteTraffic

    date = dt.date(2026, 3, 2)
    visitors = 1000


class QualityScorecardFactory(OrgScopedFactory):
    class Meta:
        model = QualityScorecard

    name = "Default scorecard"
    criteria = factory.LazyFunction(lambda: [
        {"key": "tone", "label": "Tone", "weight": 1, "max_score": 5},
        {"key": "accuracy", "label": "Accuracy", "weight": 2, "max_score": 5},
    ])


class QualityReviewFactory(OrgScopedFactory):
    class Meta:
        model = QualityReview

    external_id = factory.Sequence(lambda n: f"review-{n}")
    agent = factory.SubFactory(AgentFactory, organization=SAME_ORG)
    scorecard = factory.SubFactory(QualityScorecardFactory, organization=SAME_ORG)
    reviewed_at = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    scores = factory.LazyFunction(lambda: {"tone": 4, "accuracy": 5})
