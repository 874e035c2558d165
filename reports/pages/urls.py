"""Report pages, each declared once (cards, charts, tables as metric ids): the view, the
CSV/XLSX exports and the weekly e-mail render the same declaration from one compute() result."""

from django.urls import path

from reports.pages import views
from reports.pages.catalogue import NAV_PAGES

# "" is the overview; the others by their id ("live-chat/", "tickets/", ...).
PAGE_PATHS = {page.id: "" if page.id == "overview" else page.id.replace("_", "-") + "/" for page in NAV_PAGES}

urlpatterns = [
    *[path(PAGE_PATHS[page.id], views.ReportPageView.as_view(page_id=page.id), name=page.url_name)
      for page in NAV_PAGES],
    path("agents/<int:agent_id>/", views.AgentReportView.as_view(), name="report_agent"),
]
