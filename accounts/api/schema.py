"""OpenAPI: the API-key security scheme and the one error shape on every operation.

``AutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds the error responses an
operation can give, each pointing at the reusable ``Error`` component with an example, so no
endpoint has to list them by hand. ``/api/schema/`` itself is served by
accounts.api.schema_view (generated once per process).
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_media_type_object
from rest_framework import serializers

from accounts.api.errors import NOT_FOUND


class ErrorDetailSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        required=False, help_text="Position of the bad item in the request's `items` (bulk requests)."
    )
    field = serializers.CharField(required=False, help_text="The field (or query parameter) at fault.")
    message = serializers.CharField(help_text="What is wrong, for a person to read.")


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. `not_found`.")
    message = serializers.CharField(help_text="Summary for a person to read.")
    details = ErrorDetailSerializer(many=True, help_text="Per-field or per-item problems; may be empty.")


class ErrorSerializer(serializers.Serializer):
    """The one shape of every 4xx response."""

    error = ErrorBodySerializer()


def _error(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


# status -> (description, example body)
ERROR_RESPONSES: dict[str, tuple[str, dict]] = {
    "400": ("The request is invalid: bad query parameters or body; nothing was written.", _error(
        "invalid", "The request is invalid.",
        [{"field": "requested_after", "message": "Enter a valid date/time."}],
    )),
    "401": ("No API key, or an invalid or revoked one.", _error(
        "authentication_failed", "Invalid or revoked API key.",
    )),
    "403": ("The API key lacks the scope this method needs (read for GET, write otherwise).", _error(
        "permission_denied", "This API key does not have the “write” scope.",
    )),
    "404": ("No such object in the key's organization (another organization's is the same), "
            "or an invalid cursor.", _error("not_found", NOT_FOUND)),
    "413": ("The request body is larger than the server's limit.", _error(
        "request_too_large", "The request body is larger than the limit of 10485760 bytes.",
    )),
    "415": ("The body is not JSON.", _error(
        "unsupported_media_type", "Unsupported media type \"text/plain\" in request.",
    )),
    "429": ("Too many requests for this API key; retry after `Retry-After` seconds.", _error(
        "throttled", "Request was throttled. Expected available in 12 seconds.",
    )),
}
BODY_ERRORS = ("413", "415")
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self.view.get_authenticators():
            return responses  # public endpoints (the schema itself) have no API errors
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        has_body = self.method in ("POST", "PUT", "PATCH")
        for status, (description, example) in ERROR_RESPONSES.items():
            if status in responses or (status in BODY_ERRORS and not has_body):
                continue
            response = {
                "description": description,
                "content": {
                    "application/json": build_media_type_object(
                        error_ref, {f"Error{status}": {"value": example, "summary": description}}
                    )
                },
            }
            if status == "429":
                response["headers"] = RETRY_AFTER_HEADER
            responses[status] = response
        return responses


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hm_<prefix>_<secret>",
            "description": (
                "`Authorization: Bearer <api key>`. A key acts for one organization and has the "
                "`read` scope (GET), the `write` scope (everything else) or both. Owners and admins "
                "create keys under Settings → API keys; a key is shown once."
            ),
        }
