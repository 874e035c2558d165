from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from accounts.forms import EmailAuthenticationForm, LanguagePasswordResetForm, PreferencesForm
from accounts.mixins import OrgMixin
from accounts.models import Agent
from accounts.selectors import membership_list, organization_inventory
from accounts.services import user_set_language
from reports.freshness import rebuild_backlog

# Labels of organization_inventory()'s keys, in the order the home page shows them. Helpdesk
# data first; members and API keys are configuration, not data, and don't end the empty state.
INVENTORY_DATA_LABELS = {
    "chats": _("Chats"),
    "tickets": _("Tickets"),
    "survey_answers": _("Survey answers"),
    "customers": _("Customers"),
    "agents": _("Agents"),
    "teams": _("Teams"),
    "canned_responses": _("Canned responses"),
}
INVENTORY_SETUP_LABELS = {
    "members": _("Members"),
    "api_keys": _("API keys"),
}
PREFERENCES_SAVED = _("Your preferences were saved.")
# Ingestion paths named on the empty state (shared/API.md).
CHATS_BULK_PATH = "/api/v1/chats/bulk"


class LoginView(auth_views.LoginView):
    """Log in by e-mail and password; a saved language preference becomes the page language."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            _remember_language(response, language)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with the e-mail in the account's own language."""

    form_class = LanguagePasswordResetForm


class HomeView(LoginRequiredMixin, TemplateView):
    """``/``: straight to the user's organization, or a chooser when there are several.

    ``?choose=1`` always shows the chooser (the switcher's "all organizations" link).
    """

    template_name = "accounts/choose_organization.html"

    def get(self, request, *args, **kwargs):
        memberships = list(membership_list(user=request.user))
        if "choose" not in request.GET:
            last = request.session.get("last_org")
            target = next((m for m in memberships if m.organization.slug == last), None)
            if target is None and len(memberships) == 1:
                target = memberships[0]
            if target is not None:
                return redirect(self.landing(target), org_slug=target.organization.slug)
        return self.render_to_response(self.get_context_data(memberships=memberships))

    @staticmethod
    def landing(membership) -> str:
        """Members who view reports land on the overview once there are figures to show
        (``make demo``); everyone else, and an organization without data, on its home page."""
        from reports.models import DaySnapshot

        if membership.can("view_reports") and DaySnapshot.objects.for_org(membership.organization).exists():
            return "report_overview"
        return "org_home"


class OrgHomeView(OrgMixin, TemplateView):
    """The organization's front page: what data it has, or what to do to send some."""

    template_name = "accounts/org_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inventory = organization_inventory(organization=self.organization)
        data_items = [(key, label, inventory[key]) for key, label in INVENTORY_DATA_LABELS.items()]
        context.update(
            inventory=inventory,
            inventory_data=data_items,
            inventory_setup=[(key, label, inventory[key]) for key, label in INVENTORY_SETUP_LABELS.items()],
            has_data=any(count for _key, _label, count in data_items),
            can_view_reports=self.membership.can("view_reports"),
            # Days whose figures are not up to date yet, and those whose rebuild failed.
            rebuild_backlog=rebuild_backlog(organization=self.organization),
            can_manage_api_keys=self.membership.can("manage_api_keys"),
            chats_bulk_url=self.request.build_absolute_uri(CHATS_BULK_PATH),
            # An agent-role member's own report page (the agent whose login they are).
            own_agent=None if self.membership.can("view_reports") else
            Agent.objects.for_org(self.organization).filter(user=self.request.user).first(),
        )
        return context


def _remember_language(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@require_POST
def set_language(request):
    """The header's language selector: Django's ``set_language`` (cookie, then back to ``next``),
    and for a logged-in person their saved language too, so e-mails and the next log-in follow."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return response


class PreferencesView(LoginRequiredMixin, FormView):
    """``/accounts/preferences/``: a person's own language (pages and report e-mails)."""

    template_name = "accounts/preferences.html"
    form_class = PreferencesForm

    def get_initial(self):
        return {"language": self.request.user.language}

    def form_valid(self, form):
        language = form.cleaned_data["language"]
        user_set_language(user=self.request.user, language=language)
        # The choice applies from this response on; "browser" drops the cookie for Accept-Language.
        with translation.override(language or translation.get_language_from_request(self.request)):
            messages.success(self.request, str(PREFERENCES_SAVED))
        response = redirect("preferences")
        if language:
            return _remember_language(response, language)
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
