"""Output of the read API: the ingestion field names of API.md, references as external ids.

One read-only serializer per entity; each carries a documented example (used by the OpenAPI
schema for both the single object and the paginated list).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import Agent, Team
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


def ref(help_text: str, *, required: bool = False) -> serializers.SlugRelatedField:
    """A reference rendered as the referenced object's external id; null when unset, unless
    ``required`` (the model's foreign key cannot be empty)."""
    return serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=not required, help_text=help_text
    )


def tag_names() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text="Names of the conversation's tags."
    )


def example(name: str, value: dict) -> list[OpenApiExample]:
    return [OpenApiExample(name, value=value, response_only=True)]


@extend_schema_serializer(examples=example("Team", {"external_id": "t-1", "name": "Tier 1"}))
class TeamReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["external_id", "name"]


@extend_schema_serializer(examples=example("Agent", {
    "external_id": "a-17", "name": "Maija Virtanen", "email": "maija@acme.test", "team": "t-1", "active": True,
}))
class AgentReadSerializer(serializers.ModelSerializer):
    team = ref("External id of the agent's team.")

    class Meta:
        model = Agent
        fields = ["external_id", "name", "email", "team", "active"]


@extend_schema_serializer(examples=example("Customer", {
    "external_id": "c-1001", "name": "Globex Ltd", "email": "buyer@globex.test", "segment": "enterprise",
    "acquired_at": "2025-11-03T09:12:00Z", "churned_at": None, "referred_by": "c-977",
}))
class CustomerReadSerializer(serializers.ModelSerializer):
    referred_by = ref("External id of the customer who referred this one.")

    class Meta:
        model = Customer
        fields = ["external_id", "name", "email", "segment", "acquired_at", "churned_at", "referred_by"]


@extend_schema_serializer(examples=example("Purchase", {
    "external_id": "p-5", "customer": "c-1001", "amount": "149.00", "purchased_at": "2026-03-02T12:00:00Z",
}))
class PurchaseReadSerializer(serializers.ModelSerializer):
    customer = ref("External id of the buying customer.", required=True)

    class Meta:
        model = Purchase
        fields = ["external_id", "customer", "amount", "purchased_at"]


@extend_schema_serializer(examples=example("Tag", {
    "name": "billing", "color": "#d04437", "category": "topic", "high_priority": False,
}))
class TagReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["name", "color", "category", "high_priority"]


@extend_schema_serializer(examples=example("Chat", {
    "external_id": "chat-88121", "requested_at": "2026-03-02T10:00:00Z", "accepted_at": "2026-03-02T10:00:20Z",
    "first_response_at": "2026-03-02T10:00:30Z", "ended_at": "2026-03-02T10:10:20Z",
    "closed_at": "2026-03-02T10:11:20Z", "agent": "a-17", "first_agent": "a-17", "team": "t-1",
    "customer": "c-1001", "channel": "chat", "initiated_by": "visitor", "outcome": "resolved",
    "missed_reason": "", "messages_visitor": 6, "messages_agent": 7, "response_time_total_s": 84.0,
    "response_count": 5, "transfers": 0, "tags": ["billing"], "converted_at": None, "conversion_value": None,
    "conversion_after_follow_up": False, "time_on_site_before_chat_s": 95.5,
    "page_url": "https://acme.test/pricing",
}))
class ChatReadSerializer(serializers.ModelSerializer):
    agent = ref("External id of the agent who handled the chat (or to whom a missed chat was routed).")
    first_agent = ref("External id of the first agent the chat was assigned to.")
    team = ref("External id of the team.")
    customer = ref("External id of the customer.")
    tags = tag_names()

    class Meta:
        model = Chat
        fields = [
            "external_id", "requested_at", "accepted_at", "first_response_at", "ended_at", "closed_at",
            "agent", "first_agent", "team", "customer", "channel", "initiated_by", "outcome",
            "missed_reason", "messages_visitor", "messages_agent", "response_time_total_s",
            "response_count", "transfers", "tags", "converted_at", "conversion_value",
            "conversion_after_follow_up", "time_on_site_before_chat_s", "page_url",
        ]


@extend_schema_serializer(examples=example("Ticket", {
    "external_id": "tk-3310", "created_at": "2026-03-02T09:00:00Z", "first_response_at": "2026-03-02T09:40:00Z",
    "resolved_at": "2026-03-03T11:00:00Z", "status": "resolved", "channel": "email", "priority": "high",
    "agent": "a-17", "team": "t-1", "customer": "c-1001", "tags": ["billing", "refund"],
    "reopened_count": 0, "agent_replies": 3, "response_time_total_s": 5400.0, "response_count": 3,
    "is_complaint": False, "escalated_at": None, "sentiment": "neutral",
}))
class TicketReadSerializer(serializers.ModelSerializer):
    agent = ref("External id of the assigned agent.")
    team = ref("External id of the team.")
    customer = ref("External id of the customer.")
    tags = tag_names()

    class Meta:
        model = Ticket
        fields = [
            "external_id", "created_at", "first_response_at", "resolved_at", "status", "channel",
            "priority", "agent", "team", "customer", "tags", "reopened_count", "agent_replies",
            "response_time_total_s", "response_count", "is_complaint", "escalated_at", "sentiment",
        ]


@extend_schema_serializer(examples=example("Survey answer", {
    "external_id": "s-901", "kind": "csat", "score": 5, "answered_at": "2026-03-02T10:15:00Z", "scale": "1-5",
    "chat": "chat-88121", "ticket": None, "agent": "a-17", "customer": "c-1001",
    "comment": "Quick and friendly.", "responded_at": None, "segment": "enterprise", "touchpoint": "post-chat",
}))
class SurveyAnswerReadSerializer(serializers.ModelSerializer):
    chat = ref("External id of the chat the answer is about.")
    ticket = ref("External id of the ticket the answer is about.")
    agent = ref("External id of the agent the answer rates.")
    customer = ref("External id of the answering customer.")

    class Meta:
        model = SurveyAnswer
        fields = [
            "external_id", "kind", "score", "answered_at", "scale", "chat", "ticket", "agent", "customer",
            "comment", "responded_at", "segment", "touchpoint",
        ]


@extend_schema_serializer(examples=example("Canned response", {
    "external_id": "cr-12", "title": "Refund policy", "text": "Refunds are possible within 30 days.",
    "seconds_saved": 20.0,
}))
class CannedResponseReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["external_id", "title", "text", "seconds_saved"]


@extend_schema_serializer(examples=example("Canned response use", {
    "external_id": "cru-4410", "canned_response": "cr-12", "agent": "a-17",
    "used_at": "2026-03-02T10:05:00Z", "chat": "chat-88121", "ticket": None,
}))
class CannedResponseUseReadSerializer(serializers.ModelSerializer):
    canned_response = ref("External id of the canned response used.", required=True)
    agent = ref("External id of the agent who used it.", required=True)
    chat = ref("External id of the chat it was used in.")
    ticket = ref("External id of the ticket it was used in.")

    class Meta:
        model = CannedResponseUse
        fields = ["external_id", "canned_response", "agent", "used_at", "chat", "ticket"]


@extend_schema_serializer(examples=example("Agent session", {
    "external_id": "sess-77", "agent": "a-17", "started_at": "2026-03-02T06:00:00Z",
    "ended_at": "2026-03-02T14:00:00Z", "status": "online",
}))
class AgentSessionReadSerializer(serializers.ModelSerializer):
    agent = ref("External id of the agent.", required=True)

    class Meta:
        model = AgentSession
        fields = ["external_id", "agent", "started_at", "ended_at", "status"]


@extend_schema_serializer(examples=example("Website traffic", {"date": "2026-03-02", "visitors": 1840}))
class WebsiteTrafficReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebsiteTraffic
        fields = ["date", "visitors"]


@extend_schema_serializer(examples=example("Quality review", {
    "external_id": "qr-3", "chat": "chat-88121", "ticket": None, "agent": "a-17",
    "reviewed_at": "2026-03-03T09:00:00Z", "reviewer": "Team lead", "scores": {"tone": 4, "accuracy": 5},
}))
class QualityReviewReadSerializer(serializers.ModelSerializer):
    chat = ref("External id of the reviewed chat.")
    ticket = ref("External id of the reviewed ticket.")
    agent = ref("External id of the reviewed agent.", required=True)
    scores = serializers.DictField(
        child=serializers.FloatField(), read_only=True,
        help_text="Score per criterion key of the organization's scorecard.",
    )

    class Meta:
        model = QualityReview
        fields = ["external_id", "chat", "ticket", "agent", "reviewed_at", "reviewer", "scores"]
