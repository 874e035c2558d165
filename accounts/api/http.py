"""Request plumbing and API errors that happen outside DRF views, in the API's error shape.

- :class:`RequestIdMiddleware`: every request gets an id (a sane incoming ``X-Request-ID``, else
  a new one), which error logs name and every response carries in ``X-Request-ID``.
- :class:`NulParameterMiddleware`: a NUL character in the path or a query parameter can match
  nothing we store (PostgreSQL text cannot hold one) and used to reach the database as a 500:
  the API answers 404 for such a path and 400 naming such a parameter; pages answer 400.
- :class:`BodySizeLimitMiddleware`: a request to ``/api/`` whose declared body is larger than
  ``API_MAX_BODY_BYTES`` is answered ``413`` before anything reads the body.
- :func:`not_found`: the catch-all ``/api/...`` route, so an unknown API URL is a JSON ``404``
  (``handler404`` only applies when DEBUG is off, and would render HTML for the whole site), for
  every method: it is CSRF-exempt, so a cookie-less PATCH or DELETE is not answered with the HTML
  CSRF page.
- :func:`server_error`: ``handler500``; a failure under ``/api/`` outside a DRF view is a JSON
  500 with the request id, elsewhere Django's page.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from accounts.api.errors import (
    NOT_FOUND,
    RequestTooLarge,
    cut,
    error_body,
    log_server_error,
    server_error_body,
)

API_PREFIX = "/api/"
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
NUL_IN_PARAMETER = _("The parameter contains a NUL character.")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if REQUEST_ID_PATTERN.match(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class NulParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith(API_PREFIX)
        if "\x00" in request.path_info:
            return not_found(request) if is_api else HttpResponseBadRequest()
        bad = sorted({name for name, values in request.GET.lists()
                      if "\x00" in name or any("\x00" in v for v in values)})
        if bad:
            if not is_api:
                return HttpResponseBadRequest()
            details = [{"field": cut(name.replace("\x00", "\\x00"), 80), "message": str(NUL_IN_PARAMETER)} for name in bad]
            return JsonResponse(error_body("invalid", "The request is invalid.", details), status=400)
        return self.get_response(request)


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX) and self._declared_length(request) > settings.API_MAX_BODY_BYTES:
            exc = RequestTooLarge()
            return JsonResponse(error_body(exc.default_code, str(exc.detail)), status=exc.status_code)
        return self.get_response(request)

    @staticmethod
    def _declared_length(request) -> int:
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0


@csrf_exempt  # an unknown URL changes nothing: a PATCH or DELETE gets the JSON 404, not the CSRF page
def not_found(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", NOT_FOUND), status=404)


def server_error(request, *args, **kwargs):
    if request.path_info.startswith(API_PREFIX):
        # Called inside Django's handling of the exception: log it under the request id.
        return JsonResponse(server_error_body(log_server_error(request)), status=500)
    return defaults.server_error(request, *args, **kwargs)
