"""Report pages under ``/o/<org_slug>/reports/``: the declared pages (reports.pages) and the
drill-down lists and conversation timelines behind their figures (reports.drilldown)."""

from django.urls import include, path

urlpatterns = [
    path("", include("reports.pages.urls")),
    path("conversations/", include("reports.drilldown.urls")),
]
