"""One JSON shape for every API error (API.md):
``{"error": {"code": "...", "message": "...", "details": [...]}}``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "Not found."
BODY_TOO_LARGE = _("The request body is larger than the limit of %(limit)d bytes.")


class BulkValidationError(exceptions.APIException):
    """A batch with bad items: ``details`` lists ``{"index", "field", "message"}`` per problem."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_items"
    default_detail = "Some items are invalid; nothing was written."

    def __init__(self, details: list[dict], message: str | None = None):
        super().__init__(message or self.default_detail)
        self.details = details


class RequestTooLarge(exceptions.APIException):
    """The body is larger than ``API_MAX_BODY_BYTES`` (also Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        super().__init__(BODY_TOO_LARGE % {"limit": settings.API_MAX_BODY_BYTES})


def _flatten(detail, field: str | None = None) -> list[dict]:
    """DRF's nested error detail as a flat list of {"field", "message"}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            if key == "non_field_errors":
                name = field
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        out = []
        for i, value in enumerate(detail):
            if isinstance(value, dict | list):
                out.extend(_flatten(value, f"{field}[{i}]" if field else f"[{i}]"))
            else:
                out.extend(_flatten(value, field))
        return out
    item = {"message": str(detail)}
    if field:
        item["field"] = field
    return [item]


def error_body(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, BulkValidationError):
        body = error_body(exc.default_code, str(exc.detail), exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "The request is invalid.", _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict | list):
            body = error_body(code, str(getattr(exc, "default_detail", "Error")), _flatten(detail))
        else:
            code = getattr(detail, "code", code) or code
            body = error_body(str(code), str(detail))
    response.data = body
    return response
