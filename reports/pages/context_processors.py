"""The report navigation in the base template: every declared page, for members who may view
reports. (The API-key page is a section of Settings, linked from the header's Settings link.)"""

from django.urls import reverse

from reports.pages.catalogue import NAV_PAGES


def report_navigation(request):
    membership = getattr(request, "membership", None)
    organization = getattr(request, "organization", None)
    if membership is None or organization is None:
        return {}
    links = []
    if membership.can("view_reports"):
        for page in NAV_PAGES:
            url = reverse(page.url_name, kwargs={"org_slug": organization.slug})
            current = request.path == url or (page.id == "agents" and request.path.startswith(url))
            links.append({"id": page.id, "label": page.nav_label or page.title, "url": url, "current": current})
    return {"report_nav": links}
