"""``/o/<slug>/settings/api-keys/``: owners and admins list, create and revoke API keys.

Other roles get 404 (``required_capability``). The raw key is rendered once, in the response to
the creating POST, and never stored (not even in the session).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from accounts.forms import ApiKeyCreateForm
from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from accounts.settings_views import SettingsMixin

KEY_REVOKED = _("The API key “%(name)s” was revoked. Requests with it now get 401.")


class ApiKeyPageMixin(SettingsMixin):
    required_capability = "manage_api_keys"
    settings_section = "api_keys"

    def org_keys(self):
        return ApiKey.objects.for_org(self.organization).select_related("created_by")


class ApiKeyListView(ApiKeyPageMixin, TemplateView):
    template_name = "accounts/api_keys_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["keys"] = self.org_keys().order_by("revoked_at", "-created_at")
        return context


class ApiKeyCreateView(ApiKeyPageMixin, FormView):
    template_name = "accounts/api_keys_create.html"
    form_class = ApiKeyCreateForm

    def form_valid(self, form):
        key, raw = api_key_create(
            organization=self.organization, name=form.cleaned_data["name"],
            scopes=set(form.cleaned_data["scopes"]), created_by=self.request.user,
        )
        response = self.response_class(
            request=self.request, template="accounts/api_keys_created.html",
            context=self.get_context_data(key=key, raw_key=raw),
        )
        # The secret is in this page only: no caching anywhere on the way.
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(ApiKeyPageMixin, TemplateView):
    """GET asks for confirmation; POST revokes. Another organization's key id is a 404."""

    template_name = "accounts/api_keys_revoke.html"

    def get_key(self) -> ApiKey:
        return get_object_or_404(self.org_keys(), pk=self.kwargs["key_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["key"] = self.get_key()
        return context

    def post(self, request, *args, **kwargs):
        key = api_key_revoke(organization=self.organization, key=self.get_key(), actor=self.request.user)
        messages.success(request, KEY_REVOKED % {"name": key.name})
        return redirect("api_key_list", org_slug=self.organization.slug)
