import datetime as dt
import hashlib
import random
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.test import Client, override_settings

from accounts.models import Agent, Membership, Organization, Role, Team
from chats.demo import DEMO_PASSWORD, generate_organization_data
from chats.demo.seed import DEMO_ORGS_EXIST, LOGIN_URL, SWITCHER_EMAIL
from chats.demo.writer import RowWriter, row_defaults
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    ChatTag,
    Customer,
    Purchase,
    QualityReview,
    QualityScorecard,
    Tag,
    Ticket,
    TicketTag,
    WebsiteTraffic,
)
from reports.models import DirtyDay
from surveys.models import SurveyAnswer
from tests.factories import OrganizationFactory

END = dt.date(2025, 6, 30)
START = END - dt.timedelta(days=364)
CHATS = 1000
T0 = dt.datetime(2025, 5, 5, 10, 0, tzinfo=dt.UTC)
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
TABLES = (Team, Agent, Customer, Purchase, Tag, Chat, ChatTag, Ticket, TicketTag, CannedResponse,
          CannedResponseUse, AgentSession, WebsiteTraffic, QualityScorecard, QualityReview, SurveyAnswer)


def seed(*args: str, chats: int = CHATS, seed: int = 3) -> str:
    out = StringIO()
    call_command("seed_demo", "--chats", str(chats), "--seed", str(seed), "--end-date", END.isoformat(),
                 *args, stdout=out, verbosity=0)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at its end (tests nest in it).

    A fast password hasher keeps the dozen logins quick; the hashing itself is Django's."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_output, db):
    return demo_output, Organization.objects.get(slug="acme"), Organization.objects.get(slug="globex")


@pytest.fixture
def org(db):
    """Not conftest's ``org``: its slug "acme" is the demo's, which this module may hold."""
    return OrganizationFactory(slug="blank", timezone="Asia/Shanghai")


def digest() -> str:
    """A stable fingerprint of the seeded chats, tickets and survey answers (no primary keys)."""
    rows = [
        list(Chat.unscoped.order_by("organization__slug", "external_id").values_list(
            "organization__slug", "external_id", "requested_at", "accepted_at", "first_response_at",
            "ended_at", "closed_at", "agent__external_id", "first_agent__external_id", "team__external_id",
            "customer__external_id", "channel", "initiated_by", "outcome", "missed_reason",
            "messages_visitor", "messages_agent", "response_time_total_s", "response_count", "transfers",
            "converted_at", "conversion_value", "conversion_after_follow_up", "time_on_site_before_chat_s",
            "page_url")),
        list(Ticket.unscoped.order_by("organization__slug", "external_id").values_list(
            "organization__slug", "external_id", "subject", "created_at", "first_response_at",
            "resolved_at", "status", "channel", "priority", "agent__external_id", "customer__external_id",
            "reopened_count", "agent_replies", "response_time_total_s", "is_complaint", "escalated_at",
            "sentiment")),
        list(SurveyAnswer.unscoped.order_by("organization__slug", "external_id").values_list(
            "organization__slug", "external_id", "kind", "scale", "score", "answered_at",
            "chat__external_id", "ticket__external_id", "agent__external_id", "comment", "responded_at",
            "segment", "touchpoint")),
    ]
    assert all(rows), "nothing to compare"
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_two_organizations_in_their_time_zones_with_the_chats_split_70_30(seeded):
    _, acme, globex = seeded
    assert (acme.name, acme.timezone) == ("Acme Support", "Europe/Helsinki")
    assert (globex.name, globex.timezone) == ("Globex Help", "America/New_York")
    assert Chat.objects.for_org(acme).count() == 700
    assert Chat.objects.for_org(globex).count() == 300
    assert Agent.objects.for_org(acme).count() + Agent.objects.for_org(globex).count() == 40


@pytest.mark.parametrize("model", TABLES, ids=lambda m: m.__name__)
def test_every_table_has_rows_in_both_organizations(seeded, model):
    _, acme, globex = seeded
    assert model.objects.for_org(acme).exists()
    assert model.objects.for_org(globex).exists()


def test_every_role_can_log_in_and_one_user_is_in_both_organizations(seeded):
    output, acme, globex = seeded
    for org in (acme, globex):
        for role in Role.values:
            email = f"{role}@{org.slug}.test"
            assert Membership.objects.for_org(org).get(user__email=email).role == role
            assert Client().login(email=email, password=DEMO_PASSWORD), email
            assert email in output
        agent = Agent.objects.for_org(org).get(user__email=f"agent@{org.slug}.test")
        assert agent.user.name == agent.name
    switcher_orgs = Membership.unscoped.filter(user__email=SWITCHER_EMAIL).values_list("organization__slug", flat=True)
    assert sorted(switcher_orgs) == ["acme", "globex"]
    assert Client().login(email=SWITCHER_EMAIL, password=DEMO_PASSWORD)
    assert LOGIN_URL in output and DEMO_PASSWORD in output


def _local_hours(org) -> tuple[Counter, Counter]:
    tz = ZoneInfo(org.timezone)
    weekday_hours, days = Counter(), Counter()
    for requested in Chat.objects.for_org(org).values_list("requested_at", flat=True):
        local = requested.astimezone(tz)
        days["weekend" if local.weekday() >= 5 else "weekday"] += 1
        if local.weekday() < 5:
            weekday_hours[local.hour] += 1
    return weekday_hours, days


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_chats_arrive_in_local_working_hours_on_weekdays(seeded, slug):
    org = Organization.objects.get(slug=slug)
    hours, days = _local_hours(org)
    working = sum(hours[h] for h in range(9, 17)) / 8
    night = sum(hours[h] for h in range(0, 6)) / 6
    # The profile is ~9.2 chats per working hour for every 0.4 at night (local time); in UTC,
    # New York's working hours would land in the evening and this would fail.
    assert working > 8 * max(night, 1)
    # 52 weekends against 261 weekdays, and a weekend day is about 40% of a weekday.
    assert days["weekday"] / 261 > 1.8 * days["weekend"] / 104


def test_missed_chats_have_reasons_and_no_agent_online_means_outside_shifts(seeded):
    _, acme, _ = seeded
    chats = Chat.objects.for_org(acme)
    missed = chats.filter(accepted_at__isnull=True)
    assert 0.12 <= missed.count() / chats.count() <= 0.22
    assert set(missed.values_list("missed_reason", flat=True)) == {"visitor_left", "timeout", "no_agent_online"}
    tz = ZoneInfo(acme.timezone)
    offline = [c.astimezone(tz) for c in missed.filter(missed_reason="no_agent_online").values_list("requested_at", flat=True)]
    # Weekday shifts run 07:00-21:00 and weekend shifts 09:00-17:00 (local).
    outside = [t for t in offline if (t.weekday() >= 5 and not 9 <= t.hour < 17) or not 7 <= t.hour < 21]
    assert len(outside) >= 0.8 * len(offline) > 0


def test_answered_chats_are_consistent_and_inside_an_online_session_of_their_agent(seeded):
    _, acme, globex = seeded
    for org in (acme, globex):
        answered = Chat.objects.for_org(org).filter(accepted_at__isnull=False)
        assert answered.filter(Q(response_count__gt=F("messages_agent")) | Q(response_count__gt=F("messages_visitor"))
                               | Q(response_count=0)).count() == 0
        for total, first_response, requested in answered.values_list(
            "response_time_total_s", "first_response_at", "requested_at"
        ):
            # The first response is one of the responses summed.
            assert total >= (first_response - requested).total_seconds() - 0.01
        assert answered.filter(initiated_by="agent").exists() and answered.filter(transfers__gt=0).exists()
        assert answered.filter(converted_at__isnull=False, conversion_value__gt=0).exists()
        covering = AgentSession.objects.for_org(org).filter(
            agent=OuterRef("agent"), status="online", started_at__lte=OuterRef("accepted_at"),
            ended_at__gte=OuterRef("closed_at"),
        )
        assert answered.exclude(Exists(covering)).count() == 0
        assert not AgentSession.objects.for_org(org).filter(ended_at__lt=F("started_at")).exists()


def test_tickets_statuses_match_resolution_and_channels_are_mixed(seeded):
    _, acme, _ = seeded
    tickets = Ticket.objects.for_org(acme)
    assert not tickets.filter(status__in=["open", "pending"], resolved_at__isnull=False).exists()
    assert not tickets.filter(status="open", first_response_at__isnull=False).exists()
    assert set(tickets.values_list("channel", flat=True)) == {"email", "phone", "web", "social", "chat"}
    assert set(tickets.values_list("status", flat=True)) >= {"resolved", "closed"}
    assert tickets.filter(reopened_count__gt=0).exists() and tickets.filter(is_complaint=True).exists()
    assert tickets.filter(escalated_at__isnull=False).exists()


def test_surveys_tags_and_customers_look_like_a_real_helpdesk(seeded):
    _, acme, _ = seeded
    answers = SurveyAnswer.objects.for_org(acme)
    assert set(answers.values_list("kind", "scale").distinct()) == {("csat", "1-5"), ("nps", "0-10"), ("ces", "1-7")}
    assert answers.exclude(comment="").filter(responded_at__isnull=False).exists()
    assert answers.exclude(comment="").filter(responded_at__isnull=True).exists()
    assert Tag.objects.for_org(acme).filter(high_priority=True).count() >= 2
    assert 10 <= Tag.objects.for_org(acme).count() <= 15
    customers = Customer.objects.for_org(acme)
    assert customers.filter(referred_by__isnull=False).exists() and customers.filter(churned_at__isnull=False).exists()
    assert customers.filter(acquired_at__lt=dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)).exists()
    assert set(customers.values_list("segment", flat=True)) == {"Consumer", "SMB", "Enterprise"}


def test_every_seeded_local_day_is_marked_dirty(seeded):
    _, acme, globex = seeded
    every_day = {START + dt.timedelta(days=i) for i in range(365)}
    for org in (acme, globex):
        dirty = set(DirtyDay.objects.for_org(org).values_list("day", flat=True))
        assert dirty >= every_day
        # Customers acquired before the range are seeded rows too.
        first_customer = Customer.objects.for_org(org).order_by("acquired_at").first()
        acquired = first_customer.acquired_at.astimezone(ZoneInfo(org.timezone)).date()
        assert acquired < START and acquired in dirty
        assert set(WebsiteTraffic.objects.for_org(org).values_list("date", flat=True)) == every_day


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(seeded):
    first = digest()
    seed("--reset")
    assert digest() == first
    seed("--reset", seed=4)
    assert digest() != first


def test_existing_demo_organizations_need_reset(seeded):
    with pytest.raises(CommandError) as error:
        seed()
    assert str(error.value) == DEMO_ORGS_EXIST.format(slugs="acme, globex")
    assert "--reset" in str(error.value)
    assert Chat.unscoped.count() == CHATS


def test_the_generator_fills_one_organization_for_a_benchmark(org):
    summary = generate_organization_data(
        organization=org, rng=random.Random(1), chats=300, start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 14), agents=6,
    )
    assert Chat.objects.for_org(org).count() == summary.counts["Chat"] == 300
    assert Agent.objects.for_org(org).count() == 6
    assert Ticket.objects.for_org(org).count() == 60
    tz = ZoneInfo("Asia/Shanghai")
    requested = [t.astimezone(tz).date() for t in Chat.objects.for_org(org).values_list("requested_at", flat=True)]
    assert min(requested) >= dt.date(2025, 3, 1) and max(requested) <= dt.date(2025, 3, 14)
    assert set(DirtyDay.objects.for_org(org).values_list("day", flat=True)) >= set(requested)


@pytest.mark.parametrize("bad", [
    {"accepted_at": T0 - dt.timedelta(seconds=1)},  # a check constraint
    {"agent_id": 10**12},  # a foreign key
], ids=["check", "foreign-key"])
def test_a_row_the_database_rejects_fails_the_write(org, bad):
    good = dict(row_defaults(Chat), organization_id=org.pk, external_id="chat-1", requested_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic(), RowWriter() as writer:
        writer.submit([(Chat, [good, dict(good, external_id="chat-2", **bad)])])
    assert not Chat.objects.for_org(org).exists()


def test_the_writer_inserts_rows_with_the_ids_it_reserved(org):
    writer = RowWriter()
    with transaction.atomic(), writer:
        ids = [writer.next_id(Chat) for _ in range(3)]
        writer.submit([(Chat, [
            dict(row_defaults(Chat), id=pk, organization_id=org.pk, external_id=f"chat-{pk}", requested_at=T0)
            for pk in ids
        ])])
    assert list(Chat.objects.for_org(org).order_by("pk").values_list("pk", "external_id")) == [
        (pk, f"chat-{pk}") for pk in ids
    ]
