"""API errors that happen outside DRF views, in the same shape as every other API error.

- :class:`BodySizeLimitMiddleware`: a request to ``/api/`` whose declared body is larger than
  ``API_MAX_BODY_BYTES`` is answered ``413`` before anything reads the body.
- :func:`not_found`: the catch-all ``/api/...`` route, so an unknown API URL is a JSON ``404``
  (``handler404`` only applies when DEBUG is off, and would render HTML for the whole site).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from accounts.api.errors import NOT_FOUND, RequestTooLarge, error_body

API_PREFIX = "/api/"


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


def not_found(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", NOT_FOUND), status=404)
