"""The one base for every organization page: ``/o/<org_slug>/...``.

Resolves ``request.organization`` and ``request.membership`` from the URL slug and the user's
membership. A non-member gets the same 404 as for an organization that does not exist, and a
member whose role lacks the page's capability gets 404 too (the page is not theirs to know of).
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from accounts.models import Membership


class OrgMixin(LoginRequiredMixin):
    #: capability the page needs (see accounts.models.ROLE_CAPABILITIES); None: any member.
    required_capability: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = (
            Membership.unscoped.select_related("organization")
            .filter(user=request.user, organization__slug=kwargs.get("org_slug"))
            .first()
        )
        if membership is None:
            raise Http404("No such organization")
        if self.required_capability and not membership.can(self.required_capability):
            raise Http404("No such page")
        request.organization = membership.organization
        request.membership = membership
        request.session["last_org"] = membership.organization.slug
        return super().dispatch(request, *args, **kwargs)

    @property
    def organization(self):
        return self.request.organization

    @property
    def membership(self):
        return self.request.membership

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organization"] = self.organization
        context["membership"] = self.membership
        return context
