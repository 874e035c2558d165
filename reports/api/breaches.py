"""``GET /api/v1/metrics/sla-breaches/``: the conversations behind ``sla_compliance``'s
``breached`` count for one measure (reports.breaches), in cursor pages."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.api.base import OrgAPIView
from chats.api.read_views import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ReadCursorPagination
from chats.models import Channel, Priority
from reports.api.views import DAY_RANGE_PARAMETERS, CommaList, DayRangeInput
from reports.breaches import FILTERS, MEASURE_IDS, MEASURES, sla_breaches
from reports.metrics.service import MAX_RANGE_DAYS, MetricsQueryError

ORDERING = ("at", "id")


class BreachCursorPagination(ReadCursorPagination):
    """The read API's cursor pages over breach rows, whose first ordering value is a time."""

    def position_is_valid(self, position: str) -> bool:
        try:
            return parse_datetime(position) is not None
        except ValueError:
            return False


class SlaBreachSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=MEASURE_IDS, help_text="The SLA measure breached.")
    conversation_type = serializers.SerializerMethodField(help_text="Whether `conversation` is a chat or a ticket.")
    conversation = serializers.CharField(source="external_id", help_text="External id of the chat or ticket.")
    agent = serializers.CharField(source="agent_external_id", allow_null=True,
                                  help_text="External id of the conversation's agent.")
    agent_name = serializers.CharField(allow_null=True)
    team = serializers.CharField(source="team_external_id", allow_null=True,
                                 help_text="External id of the conversation's team, else its agent's.")
    team_name = serializers.CharField(allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    priority = serializers.ChoiceField(source="row_priority", choices=Priority.choices, allow_null=True,
                                       help_text="The ticket's priority; null for chats.")
    at = serializers.SerializerMethodField(
        help_text="When the conversation was requested (chats), created (ticket first response) or resolved "
                  "(ticket resolution), in the organization's time zone: the time that places it on its local day.")
    day = serializers.SerializerMethodField(help_text="The local day the breach counts on.")
    actual_seconds = serializers.FloatField(help_text="The measured time in seconds.")
    target_seconds = serializers.IntegerField(
        allow_null=True, help_text="The target that applied; null when none of the organization's targets matches "
                                   "the conversation's channel and priority (counted as not met).")
    over_seconds = serializers.FloatField(allow_null=True, help_text="actual_seconds − target_seconds.")

    @extend_schema_field(serializers.ChoiceField(choices=["chat", "ticket"]))
    def get_conversation_type(self, obj) -> str:
        return MEASURES[obj.measure].kind

    def _local(self, obj):
        return obj.at.astimezone(self.context["tz"])

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_at(self, obj) -> str:
        return self._local(obj).isoformat()

    @extend_schema_field(OpenApiTypes.DATE)
    def get_day(self, obj) -> str:
        return self._local(obj).date().isoformat()


DESCRIPTION = (
    "The chats or tickets that breached one SLA measure on the organization's local days `from`..`to` "
    "(inclusive): exactly the conversations counted in `breached` of the `sla_compliance` metric for that "
    "measure and range. Chats count on the local day they were requested, ticket first response on the day the "
    "ticket was created, ticket resolution on the day it was resolved. A conversation breaches when it has a "
    "value above the most specific target for its channel and priority (the defaults when the organization set "
    "none for the measure), or when none of the organization's targets for the measure matches it.\n\n"
    f"Pages are ordered oldest first: by `at`, then by an internal id. Follow `next` until it is null. "
    f"`page_size` defaults to {DEFAULT_PAGE_SIZE} and is capped at {MAX_PAGE_SIZE}. The range is at most "
    f"{MAX_RANGE_DAYS} days. Filters of different kinds combine (all must match); several values of one "
    "(comma-separated) match any."
)


class SlaBreachesView(OrgAPIView):
    """The breaches of one SLA measure over a range of local days."""

    pagination_class = BreachCursorPagination
    ordering = ORDERING
    filter_backends: list = []
    serializer_class = SlaBreachSerializer

    class InputSerializer(DayRangeInput):
        measure = serializers.CharField()
        agent = CommaList(required=False, default=list)
        team = CommaList(required=False, default=list)
        channel = CommaList(required=False, default=list)
        priority = CommaList(required=False, default=list)

    @extend_schema(
        operation_id="metrics_sla_breaches_list",
        summary="List SLA breaches",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter("measure", OpenApiTypes.STR, required=True, enum=list(MEASURE_IDS),
                             description="The SLA measure (the `measures` of `sla_compliance`)."),
            *DAY_RANGE_PARAMETERS,
            OpenApiParameter("agent", OpenApiTypes.STR, description="Only this agent (external id or name; comma-separated)."),
            OpenApiParameter("team", OpenApiTypes.STR,
                             description="Only this team (external id or name; comma-separated): the conversation's "
                                         "team, else its agent's."),
            OpenApiParameter("channel", OpenApiTypes.STR, description="Only this channel (comma-separated)."),
            OpenApiParameter("priority", OpenApiTypes.STR,
                             description="Only this ticket priority (comma-separated; ticket measures only)."),
        ],
        responses={200: SlaBreachSerializer(many=True)},
        examples=[OpenApiExample("A late first response", response_only=True, value={
            "measure": "chat_first_response", "conversation_type": "chat", "conversation": "chat-1042",
            "agent": "a-17", "agent_name": "Maija Virtanen", "team": "t-1", "team_name": "Tier 1",
            "channel": "chat", "priority": None, "at": "2026-03-02T23:59:30+02:00", "day": "2026-03-02",
            "actual_seconds": 95.0, "target_seconds": 60, "over_seconds": 35.0,
        })],
    )
    def get(self, request):
        query = request.query_params
        data = {key: query.getlist(key) if key in FILTERS else query.get(key) for key in query}
        params = self.InputSerializer(data=data)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        try:
            rows = sla_breaches(organization=self.organization, measure=p["measure"], first=p["from"],
                                last=p["to"], filters={name: p[name] for name in FILTERS})
        except MetricsQueryError as exc:
            raise ValidationError({exc.field or "non_field_errors": [str(exc)]}) from exc
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "tz": self.organization.tzinfo}
