"""The project's URLs plus three trivial views under /bench/, served by the same gunicorn in the
same run as the measured endpoints (bench/serve.py):

- ``/bench/trivial.json``: a plain Django view returning a small JSON object (the yardstick of
  the metrics API);
- ``/bench/trivial-api``: a DRF view on the API's base class (API-key authentication, the
  organization resolved, DRF's JSON renderer), returning the organization's slug;
- ``/bench/trivial-page/<slug>/``: a login-required HTML page rendered from a small template
  string, for a member of the organization (the yardstick of the report pages).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from rest_framework.response import Response

from accounts.api.base import OrgAPIView
from accounts.models import Membership

handler500 = "accounts.api.http.server_error"

PAGE = engines["django"].from_string(
    "<!doctype html><html lang=en><title>{{ slug }}</title><h1>{{ slug }}</h1><p>{{ user.email }}</p></html>")


def trivial_json(request):
    return JsonResponse({"ok": True})


class TrivialApi(OrgAPIView):
    def get(self, request):
        return Response({"organization": self.organization.slug})


@login_required
def trivial_page(request, slug):
    if not Membership.unscoped.filter(organization__slug=slug, user=request.user).exists():
        raise Http404
    return HttpResponse(PAGE.render({"slug": slug, "user": request.user}, request))


urlpatterns = [
    path("bench/trivial.json", trivial_json),
    path("bench/trivial-api", TrivialApi.as_view()),
    path("bench/trivial-page/<slug:slug>/", trivial_page),
    path("", include("helpdesk_metrics.urls")),
]
