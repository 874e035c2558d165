"""The "Schedules" link of the top navigation, for members who manage schedules."""

from django.urls import reverse


def schedule_navigation(request):
    membership = getattr(request, "membership", None)
    organization = getattr(request, "organization", None)
    if membership is None or organization is None or not membership.can("manage_schedules"):
        return {}
    return {"schedules_url": reverse("schedule_list", kwargs={"org_slug": organization.slug})}
