"""``POST /api/v1/<entity>/bulk``: one thin, documented view per ingestible entity.

Validation and writes live in :mod:`chats.ingestion`; a view only unwraps ``{"items": [...]}``
and answers ``{"created": n, "updated": m, "unchanged": k}``. The write scope is checked by the
default permission class (HasApiKeyScope: POST needs "write").

Batches of one entity and organization take turns (chats.ingestion.sql.lock_for_upsert); should
the database still pick one as a deadlock victim or time out a lock, the batch, which wrote
nothing, is tried again up to ``CONFLICT_ATTEMPTS`` times, then answered 409 with Retry-After
(never a 500).
"""

from __future__ import annotations

from django.db import OperationalError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.base import OrgAPIView
from accounts.api.errors import is_transient_conflict
from accounts.api.parsers import LimitedJSONParser
from chats.ingestion import MAX_ITEMS, SPECS, EntitySpec, bulk_upsert

CONFLICT_ATTEMPTS = 3
ITEMS_MISSING = _("The body must be a JSON object with an “items” list.")

ResultSerializer = inline_serializer("BulkResult", fields={
    "created": serializers.IntegerField(help_text="Items whose key did not exist before."),
    "updated": serializers.IntegerField(help_text="Items whose key existed and whose stored row changed."),
    "unchanged": serializers.IntegerField(help_text="Items equal to what was stored: nothing written."),
})
ErrorSerializer = inline_serializer("BulkError", fields={
    "error": inline_serializer("BulkErrorBody", fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "details": serializers.ListField(child=inline_serializer("BulkErrorDetail", fields={
            "index": serializers.IntegerField(
                required=False, help_text="Position of the bad item in `items`; absent for the envelope.",
            ),
            "field": serializers.CharField(required=False, help_text="The item field; absent for a whole item."),
            "message": serializers.CharField(),
        })),
    }),
})
BAD_ITEM_EXAMPLE = OpenApiExample(
    "Invalid items", status_codes=["400"], response_only=True,
    value={"error": {
        "code": "invalid_items", "message": "Some items are invalid; nothing was written.",
        "details": [
            {"index": 0, "field": "requested_at",
             "message": "The timestamp has no UTC offset; add one (e.g. +02:00 or Z)."},
            {"index": 3, "field": "agent", "message": "Unknown agent “a-404”."},
        ],
    }},
)


class BulkUpsertView(OrgAPIView):
    """Upsert up to 1,000 items by their key; the same batch again changes nothing."""

    spec: EntitySpec
    parser_classes = [LimitedJSONParser]
    metadata_class = None  # no OPTIONS description: the OpenAPI schema documents the endpoint

    def post(self, request):
        data = request.data
        if not isinstance(data, dict) or "items" not in data:
            raise ValidationError({"items": [ITEMS_MISSING]})
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                result = bulk_upsert(organization=self.organization, entity=self.spec.name, items=data["items"])
            except OperationalError as exc:
                if attempt == CONFLICT_ATTEMPTS or not is_transient_conflict(exc):
                    raise  # the exception handler answers a conflict 409 with Retry-After
                continue
            return Response(result.as_response())


def _schema_name(spec: EntitySpec) -> str:
    return "".join(part.title() for part in spec.name.split("-"))


def bulk_view(spec: EntitySpec) -> type[BulkUpsertView]:
    """The view for one entity, with its item schema (every field, its enum and whether required)."""
    name = _schema_name(spec)
    item = inline_serializer(f"{name}BulkItem", fields={f.name: f.schema_field() for f in spec.fields})
    request = inline_serializer(f"{name}Bulk", fields={
        "items": serializers.ListField(child=item, min_length=1, max_length=MAX_ITEMS),
    })
    key = "`date`" if spec.key == "date" else f"`{spec.key}`"
    decorate = extend_schema(
        operation_id=f"{spec.name.replace('-', '_')}_bulk_upsert",
        tags=["ingestion"],
        summary=f"Upsert {spec.model._meta.verbose_name_plural} in bulk",
        description=(
            f"Upsert 1 to {MAX_ITEMS:,} items by {key} within the organization. All or nothing: any bad "
            "item rejects the batch with one detail per problem. Timestamps are ISO 8601 with a UTC "
            "offset. References name other entities by external_id and must already exist."
            + (f" {spec.description}" if spec.description else "")
        ),
        request=request,
        responses={
            200: ResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid items or envelope; nothing written."),
            409: OpenApiResponse(ErrorSerializer, description=(
                "A concurrent write to the same rows conflicted; nothing written. Retry after `Retry-After` seconds.")),
            403: OpenApiResponse(ErrorSerializer, description="The API key lacks the write scope."),
        },
        examples=[BAD_ITEM_EXAMPLE],
    )

    # A function of its own per view: extend_schema annotates the function object it is given.
    def post(self, request):
        return BulkUpsertView.post(self, request)

    return type(f"{name}BulkUpsertView", (BulkUpsertView,), {
        "spec": spec, "model": spec.model, "__doc__": f"Bulk upsert of {spec.name}.", "post": decorate(post),
    })


BULK_VIEWS: dict[str, type[BulkUpsertView]] = {name: bulk_view(spec) for name, spec in SPECS.items()}
