"""One JSON shape for every API error (API.md):
``{"error": {"code": "...", "message": "...", "details": [...]}}``.

A failure nobody foresaw is a JSON 500 too, never Django's HTML page: the exception is logged
with the request id (``accounts.api.http.RequestIdMiddleware``) that the body's ``request_id``
and the ``X-Request-ID`` header carry. A write that lost a race with a concurrent one (deadlock,
serialization failure, lock timeout) is a 409 with ``Retry-After``: retrying it is safe.
Messages are cut to ``MAX_MESSAGE_CHARS``, so a client's huge bad value never comes back whole.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("helpdesk_metrics.api")

# Plain English (the schema's examples use it); translated where a response is built.
NOT_FOUND = gettext_noop("Not found.")
INVALID = gettext_noop("The request is invalid.")
BODY_TOO_LARGE = _("The request body is larger than the limit of %(limit)d bytes.")
SERVER_ERROR = _("Something went wrong on our side; nothing was written. Quote the request id if you report it.")
CONFLICT = _("A concurrent write to the same rows got in the way; nothing was written. Retry the request.")
# SQLSTATEs of a transient conflict: deadlock_detected, serialization_failure, lock_not_available.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
CONFLICT_RETRY_AFTER_SECONDS = 1
MAX_MESSAGE_CHARS = 300


def is_transient_conflict(exc: BaseException) -> bool:
    """A database error that the same request, sent again, would not meet (PostgreSQL)."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    return getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES


class WriteConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = CONFLICT


class BulkValidationError(exceptions.APIException):
    """A batch with bad items: ``details`` lists ``{"index", "field", "message"}`` per problem."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_items"
    default_detail = _("Some items are invalid; nothing was written.")

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


def cut(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as a string of at most ``limit`` characters (a longer one ends in "…")."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def error_body(code: str, message: str, details: list | None = None) -> dict:
    details = [{**d, "message": cut(d["message"])} if "message" in d else d for d in details or []]
    return {"error": {"code": code, "message": cut(message), "details": details}}


def server_error_body(request_id: str | None) -> dict:
    body = error_body("server_error", str(SERVER_ERROR))
    body["error"]["request_id"] = request_id
    return body


def log_server_error(request, exc: BaseException | None = None) -> str | None:
    """Log an unexpected API failure with its request id; returns that id."""
    request_id = getattr(request, "request_id", None)
    logger.error("API request %s failed: %s %s", request_id, request.method, request.path,
                 exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else True,
                 extra={"request_id": request_id})
    return request_id


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext(NOT_FOUND))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif is_transient_conflict(exc):
        exc = WriteConflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context["request"]
        request_id = log_server_error(request, exc)
        set_rollback()
        # RequestIdMiddleware puts the same id in the X-Request-ID header of every response.
        return Response(server_error_body(request_id), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, WriteConflict):
        response["Retry-After"] = str(CONFLICT_RETRY_AFTER_SECONDS)
    if isinstance(exc, BulkValidationError):
        body = error_body(exc.default_code, str(exc.detail), exc.details)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", gettext(INVALID), _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict | list):
            body = error_body(code, str(getattr(exc, "default_detail", "Error")), _flatten(detail))
        else:
            code = getattr(detail, "code", code) or code
            # A view's NotFound(NOT_FOUND) carries the English constant: the reader's language here.
            body = error_body(str(code), gettext(NOT_FOUND) if str(detail) == NOT_FOUND else str(detail))
    response.data = body
    return response
