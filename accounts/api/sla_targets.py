"""``/api/v1/sla-targets/``: list and create; ``/api/v1/sla-targets/<id>/``: retrieve, change
(PATCH) and delete. Writes go through reports.sla_targets (validation, the audit row and the
affected days marked dirty in one transaction), so the API and the settings pages apply the same
rules with the same messages: a service ValidationError is a 400 with one detail per field. The
key's organization scopes every lookup (OrgAPIView): another organization's id is a 404.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.api.base import OrgAPIView
from accounts.api.errors import NOT_FOUND
from accounts.audit import audit_signed_as
from chats.api.read_views import ReadCursorPagination
from chats.models import Channel, Priority
from reports.breaches import MEASURE_IDS
from reports.models import SlaTarget
from reports.sla_targets import (
    MAX_TARGET_SECONDS,
    describe,
    sla_target_create,
    sla_target_delete,
    sla_target_update,
)

MAX_ID = 2**63 - 1
# API field -> the service's (and the model's) name.
FIELDS = {"measure": "metric", "channel": "channel", "priority": "priority", "target_seconds": "target_seconds",
          "business_hours": "business_hours"}
SERVICE_TO_API = {service: api for api, service in FIELDS.items()} | {"__all__": "non_field_errors"}
NOT_AN_OBJECT = _("The body must be a JSON object with the target's fields.")
UNKNOWN_FIELD = _("Unknown field “%(field)s”: the fields are %(fields)s.")
NOT_A_WHOLE_NUMBER = _("Give the target as a whole number of seconds.")
BY_API_KEY = _("API key “%(name)s” (%(prefix)s)")


class SlaTargetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The target's id (its URL is /api/v1/sla-targets/<id>/).")
    measure = serializers.ChoiceField(source="metric", choices=MEASURE_IDS,
                                      help_text="What is timed: chat first response or wait (pickup), ticket first "
                                                "response or resolution.")
    channel = serializers.ChoiceField(choices=Channel.choices, allow_null=True,
                                      help_text="The channel it applies to; null for any channel.")
    priority = serializers.ChoiceField(choices=Priority.choices, allow_null=True,
                                       help_text="The ticket priority it applies to; null for any (always null for "
                                                 "chat measures: chats have no priority).")
    target_seconds = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_SECONDS,
                                              help_text="The target time in seconds.")
    business_hours = serializers.BooleanField(
        help_text="Measured in the organization's business hours (its weekly schedule and holidays) instead of "
                  "calendar time. Without a schedule, a business-hours target measures calendar time.")
    description = serializers.SerializerMethodField(help_text="The target in words, as the settings pages show it.")

    def get_description(self, target) -> str:
        return describe(target)

    def to_representation(self, target):
        data = super().to_representation(target)
        data["channel"] = data["channel"] or None
        data["priority"] = data["priority"] or None
        return data


class SlaTargetWriteSerializer(serializers.Serializer):
    """The body of POST (measure and target_seconds required) and PATCH (any of the fields).

    For the schema: the view checks only the JSON types here and leaves the rules (known
    choices, the range, no priority for chats, overlaps) to reports.sla_targets."""

    measure = serializers.ChoiceField(choices=MEASURE_IDS)
    channel = serializers.ChoiceField(choices=Channel.choices, allow_null=True, allow_blank=True, required=False,
                                      help_text="Null, empty or absent: any channel.")
    priority = serializers.ChoiceField(choices=Priority.choices, allow_null=True, allow_blank=True, required=False,
                                       help_text="Null, empty or absent: any priority. Ticket measures only.")
    target_seconds = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_SECONDS)
    business_hours = serializers.BooleanField(required=False, default=False,
                                              help_text="Default false: calendar time.")


class _Body(serializers.Serializer):
    """The JSON types of a write body; the values are checked by the service."""

    measure = serializers.CharField(required=False, allow_blank=True)
    channel = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    priority = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    target_seconds = serializers.IntegerField(required=False, error_messages={"invalid": NOT_A_WHOLE_NUMBER})
    business_hours = serializers.BooleanField(required=False)


def service_data(data) -> dict:
    """The request body as the service's keyword arguments (only the fields sent)."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
    unknown = sorted(set(data) - FIELDS.keys())
    if unknown:
        raise ValidationError({name: [UNKNOWN_FIELD % {"field": name, "fields": ", ".join(FIELDS)}]
                               for name in unknown})
    body = _Body(data=data)
    body.is_valid(raise_exception=True)
    values = {FIELDS[name]: value for name, value in body.validated_data.items()}
    for name in ("channel", "priority"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def api_key_label(key) -> str:
    return str(BY_API_KEY % {"name": key.name, "prefix": key.prefix})


@contextmanager
def written_by_api_key(request):
    """Run a service call in one transaction with its audit rows signed by the request's API key."""
    with transaction.atomic(), audit_signed_as(api_key_label(request.auth)):
        yield


def api_validation_error(error: DjangoValidationError) -> ValidationError:
    """The service's per-field messages under the API's field names."""
    return ValidationError({SERVICE_TO_API.get(field, field): messages
                            for field, messages in error.message_dict.items()})


EXAMPLE = OpenApiExample("SLA target", response_only=True, value={
    "id": 7, "measure": "ticket_first_response", "channel": "email", "priority": None, "target_seconds": 7200,
    "business_hours": True, "description": "Ticket first response, E-mail, any priority ≤ 2 h 00 min (business hours)",
})
OVERLAP_EXAMPLE = OpenApiExample("Overlapping target", status_codes=["400"], response_only=True, value={
    "error": {"code": "invalid", "message": "The request is invalid.", "details": [{
        "message": "This target overlaps the existing target “Chat first response, any channel ≤ 1 min 00 s "
                   "(calendar hours)” (the same measure, channel and priority): change that one instead."}]},
})
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The target's id.")
WRITE_NOTE = (" Changing targets marks the local days whose conversations the change can move dirty; the SLA "
              "report of those days is rebuilt in the background. The change is in the organization's audit log.")


@extend_schema_view(
    list=extend_schema(summary="List SLA targets", examples=[EXAMPLE], description=(
        "The organization's SLA targets, in pages ordered by id (follow `next` until it is null). When several "
        "targets match a conversation, the one naming its channel and priority wins over “any”.")),
    create=extend_schema(summary="Create an SLA target", request=SlaTargetWriteSerializer,
                         responses={201: SlaTargetSerializer}, examples=[EXAMPLE, OVERLAP_EXAMPLE], description=(
        "A target for one measure and optional channel and priority. A second target with the same measure, "
        "channel and priority is refused (400 naming the existing one): change that one instead." + WRITE_NOTE)),
    retrieve=extend_schema(summary="Retrieve one SLA target", parameters=[ID_PARAMETER], examples=[EXAMPLE],
                           description="One target by id; another organization's id is a 404, as a missing one."),
    partial_update=extend_schema(summary="Change an SLA target", request=SlaTargetWriteSerializer,
                                 parameters=[ID_PARAMETER], examples=[EXAMPLE, OVERLAP_EXAMPLE], description=(
        "Change any of the fields; the others keep their values." + WRITE_NOTE)),
    destroy=extend_schema(summary="Delete an SLA target", parameters=[ID_PARAMETER], responses={204: None},
                          description="Conversations it measured fall back to the next matching target, or to none "
                                      "(then they count as not met)." + WRITE_NOTE),
)
class SlaTargetViewSet(OrgAPIView, viewsets.GenericViewSet):
    model = SlaTarget
    serializer_class = SlaTargetSerializer
    pagination_class = ReadCursorPagination
    ordering = ("id",)
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    metadata_class = None  # no OPTIONS description: the OpenAPI schema documents the endpoint

    def get_object(self):
        # The route takes any segment (a client's typo is this API's JSON 404, not a page's);
        # only an id within the column's range reaches the database.
        raw = self.kwargs[self.lookup_url_kwarg]
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
            raise NotFound(NOT_FOUND)
        return super().get_object()

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request):
        data = service_data(request.data)
        try:
            with written_by_api_key(request):
                target, _days = sla_target_create(organization=self.organization, actor=None, **data)
        except DjangoValidationError as error:
            raise api_validation_error(error) from error
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, id=None):
        target = self.get_object()
        data = service_data(request.data)
        try:
            with written_by_api_key(request):
                target, _days = sla_target_update(organization=self.organization, actor=None, target=target,
                                                  **data)
        except DjangoValidationError as error:
            raise api_validation_error(error) from error
        return Response(self.get_serializer(target).data)

    def destroy(self, request, id=None):
        target = self.get_object()
        with written_by_api_key(request):
            sla_target_delete(organization=self.organization, actor=None, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)
