"""``/o/<slug>/settings/privacy/``: the owner erases a customer, exports or deletes the organization.

Owner-only through the ``manage_personal_data`` capability (admins, managers, viewers, agents and
non-members get 404, as on every settings page). Each action is a POST with the CSRF token; the
destructive ones need a typed confirmation. The services write the audit rows, except for the
organization's deletion, whose log goes with it (privacy.services logs it to the server log).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.audit import audit_record
from accounts.models import AuditKind
from accounts.settings_views import SettingsMixin
from privacy.services import (
    PrivacyError,
    check_confirmation,
    customer_erase,
    organization_delete,
    organization_export_stream,
)

# Counts as "label: n", so no plural forms are needed.
CUSTOMER_ERASED = _(
    "The customer's personal data was erased (chats: %(chats)s, tickets: %(tickets)s, survey answers: "
    "%(answers)s). The customer is now “%(pseudonym)s”."
)
ORGANIZATION_DELETED = _("The organization “%(name)s” and all of its data were deleted.")


class CustomerEraseForm(forms.Form):
    prefix = "erase"  # both forms of the page have a confirmation field: distinct names and ids
    external_id = forms.CharField(
        label=_("Customer's external id"),
        max_length=128,
        help_text=_("The id your helpdesk gives the customer (as sent to the API or in imports)."),
    )
    confirm = forms.CharField(label=_("Type the external id again to confirm"), max_length=128)

    def clean(self):
        data = super().clean()
        if "external_id" in data and "confirm" in data:
            try:
                check_confirmation(typed=data["confirm"], expected=data["external_id"].strip())
            except PrivacyError as exc:
                self.add_error("confirm", str(exc))
        return data


class OrganizationDeleteForm(forms.Form):
    prefix = "delete"
    confirm = forms.CharField(label=_("Type the organization's slug to confirm"), max_length=60)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_confirm(self):
        try:
            check_confirmation(typed=self.cleaned_data["confirm"], expected=self.organization.slug)
        except PrivacyError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["confirm"]


class PrivacyMixin(SettingsMixin):
    required_capability = "manage_personal_data"
    settings_section = "privacy"


class PrivacyView(PrivacyMixin, TemplateView):
    """GET: the page with its three actions (each action URL shows it too)."""

    template_name = "privacy/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("erase_form", CustomerEraseForm())
        context.setdefault("delete_form", OrganizationDeleteForm(organization=self.organization))
        return context


class CustomerEraseView(PrivacyView):
    def post(self, request, *args, **kwargs):
        form = CustomerEraseForm(request.POST)
        if form.is_valid():
            try:
                erased = customer_erase(
                    organization=self.organization,
                    actor=request.user,
                    external_id=form.cleaned_data["external_id"].strip(),
                )
            except PrivacyError as exc:
                form.add_error("external_id", str(exc))
            else:
                messages.success(
                    request,
                    CUSTOMER_ERASED
                    % {
                        "chats": erased.chats,
                        "tickets": erased.tickets,
                        "answers": erased.survey_answers,
                        "pseudonym": erased.pseudonym,
                    },
                )
                return self.back("privacy_home")
        return self.render_to_response(self.get_context_data(erase_form=form))


class OrganizationExportView(PrivacyView):
    def post(self, request, *args, **kwargs):
        organization = self.organization
        with transaction.atomic():
            audit_record(
                organization=organization,
                actor=request.user,
                kind=AuditKind.ORGANIZATION_EXPORTED,
                target=organization,
            )
        filename = f"{organization.slug}-export-{timezone.now():%Y%m%d-%H%M%S}.zip"
        response = StreamingHttpResponse(
            organization_export_stream(organization=organization), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


class OrganizationDeleteView(PrivacyView):
    def post(self, request, *args, **kwargs):
        form = OrganizationDeleteForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(delete_form=form))
        name = self.organization.name
        organization_delete(organization=self.organization, actor=request.user)
        request.session.pop("last_org", None)
        messages.success(request, ORGANIZATION_DELETED % {"name": name})
        return redirect("home")
