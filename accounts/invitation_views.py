"""The page an invitation link opens: join with a new password, or with the account one has.

A link that cannot be used answers 404 (not a valid link) or 410 (expired, used, revoked or
replaced by a newer one), with a message saying which and what to do.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.invitations import (
    LINK_INVALID,
    InvitationLinkError,
    invitation_accept,
    invitation_open,
)
from accounts.settings_forms import AcceptInvitationForm

JOINED = _("Welcome to %(organization)s. You joined as %(role)s.")


class InvitationAcceptView(TemplateView):
    template_name = "settings/invitation_accept.html"

    def dispatch(self, request, *args, **kwargs):
        try:
            self.opened = invitation_open(token=kwargs["token"])
        except InvitationLinkError as error:
            status = 404 if error.message == LINK_INVALID else 410
            return self.render_to_response({"link_error": error.message}, status=status)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invitation, user = self.opened.invitation, self.request.user
        signed_in = user.is_authenticated
        context.update(
            invitation=invitation, invited_organization=self.opened.organization,
            role=invitation.get_role_display(),
            wrong_account=signed_in and user.email.lower() != invitation.email,
            needs_login=not signed_in and self.opened.existing_user is not None,
        )
        if not signed_in and not context["needs_login"]:
            context.setdefault("form", kwargs.get("form") or AcceptInvitationForm(email=invitation.email))
        return context

    def post(self, request, *args, **kwargs):
        user = request.user if request.user.is_authenticated else None
        form = None
        try:
            if user is not None:
                membership = invitation_accept(opened=self.opened, user=user)
            elif self.opened.existing_user is not None:
                return redirect(request.path)  # an account exists: the page asks to log in
            else:
                form = AcceptInvitationForm(request.POST, email=self.opened.invitation.email)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form), status=400)
                membership = invitation_accept(opened=self.opened, name=form.cleaned_data["name"],
                                               password=form.cleaned_data["password1"])
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except InvitationLinkError as error:
            return self.render_to_response({"link_error": error.message}, status=410)
        organization = self.opened.organization
        messages.success(request, JOINED % {"organization": organization.name, "role": membership.get_role_display()})
        return redirect("org_home", org_slug=organization.slug)
