import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Organization
from tests.factories import (
    AgentSessionFactory,
    ChatFactory,
    CustomerFactory,
    OrganizationFactory,
    SurveyAnswerFactory,
    TicketFactory,
)

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def rejected(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)
    return True


@pytest.mark.django_db
class TestTimezone:
    def test_valid_iana_name_is_accepted(self):
        assert OrganizationFactory(timezone="America/New_York").tzinfo.key == "America/New_York"

    @pytest.mark.parametrize("bad", ["Mars/Olympus", "UTC+2", "europe/helsinki ", ""])
    def test_invalid_names_are_rejected(self, bad):
        org = Organization(slug="x", name="X", timezone=bad)
        with pytest.raises(ValidationError) as excinfo:
            org.full_clean()
        assert "timezone" in excinfo.value.message_dict
        with pytest.raises(ValidationError):
            org.save()
        assert not Organization.objects.filter(slug="x").exists()


@pytest.mark.django_db
class TestConstraints:
    def test_a_sound_chat_is_accepted(self, org):
        assert ChatFactory(organization=org, requested_at=T0).pk

    def test_chat_accepted_before_requested(self, org):
        assert rejected(ChatFactory, organization=org, requested_at=T0, accepted_at=T0 - dt.timedelta(seconds=1))

    def test_chat_answer_before_request(self, org):
        assert rejected(ChatFactory, organization=org, requested_at=T0, first_response_at=T0 - dt.timedelta(seconds=5))

    def test_chat_ended_before_accepted(self, org):
        assert rejected(
            ChatFactory, organization=org, requested_at=T0, accepted_at=T0 + dt.timedelta(minutes=5),
            ended_at=T0 + dt.timedelta(minutes=1),
        )

    def test_chat_negative_response_time(self, org):
        assert rejected(ChatFactory, organization=org, response_time_total_s=-1)

    def test_answered_chat_with_missed_reason(self, org):
        assert rejected(ChatFactory, organization=org, missed_reason="timeout")

    def test_duplicate_external_id_in_one_org(self, org, other_org):
        ChatFactory(organization=org, external_id="c1")
        assert ChatFactory(organization=other_org, external_id="c1").pk  # another org may reuse it
        assert rejected(ChatFactory, organization=org, external_id="c1")

    def test_ticket_resolved_before_created(self, org):
        assert rejected(TicketFactory, organization=org, created_at=T0, resolved_at=T0 - dt.timedelta(hours=1))

    def test_resolved_ticket_without_resolution_time(self, org):
        assert rejected(TicketFactory, organization=org, status="resolved", resolved_at=None)

    def test_session_that_ends_before_it_starts(self, org):
        assert rejected(AgentSessionFactory, organization=org, started_at=T0, ended_at=T0 - dt.timedelta(minutes=1))

    @pytest.mark.parametrize(
        ("kind", "scale", "score"),
        [("csat", "1-5", 6), ("csat", "1-5", 0), ("nps", "0-10", 11), ("nps", "0-10", -1),
         ("ces", "1-7", 8), ("csat", "good-bad", 2), ("csat", "1-10", 0)],
    )
    def test_score_outside_its_scale(self, org, kind, scale, score):
        assert rejected(SurveyAnswerFactory, organization=org, kind=kind, scale=scale, score=score)

    @pytest.mark.parametrize(("kind", "scale"), [("nps", "1-5"), ("csat", "0-10"), ("ces", "1-10")])
    def test_scale_that_does_not_fit_the_kind(self, org, kind, scale):
        assert rejected(SurveyAnswerFactory, organization=org, kind=kind, scale=scale, score=1)

    @pytest.mark.parametrize(
        ("kind", "scale", "score"), [("csat", "1-5", 5), ("nps", "0-10", 0), ("ces", "1-7", 7), ("csat", "good-bad", 0)]
    )
    def test_scores_on_the_edge_of_the_scale_are_accepted(self, org, kind, scale, score):
        assert SurveyAnswerFactory(organization=org, kind=kind, scale=scale, score=score).pk

    def test_customer_churned_before_acquired(self, org):
        assert rejected(CustomerFactory, organization=org, acquired_at=T0, churned_at=T0 - dt.timedelta(days=1))
