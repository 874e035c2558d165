from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views.generic import TemplateView

from accounts.mixins import OrgMixin
from accounts.selectors import membership_list, organization_inventory


class HomeView(LoginRequiredMixin, TemplateView):
    """``/``: straight to the user's organization, or a chooser when there are several."""

    template_name = "accounts/choose_organization.html"

    def get(self, request, *args, **kwargs):
        memberships = list(membership_list(user=request.user))
        slugs = {m.organization.slug for m in memberships}
        last = request.session.get("last_org")
        if last in slugs:
            return redirect("org_home", org_slug=last)
        if len(memberships) == 1:
            return redirect("org_home", org_slug=memberships[0].organization.slug)
        return self.render_to_response(self.get_context_data(memberships=memberships))


class OrgHomeView(OrgMixin, TemplateView):
    template_name = "accounts/org_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["inventory"] = organization_inventory(organization=self.organization)
        return context
