from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiScope

NO_SCOPE = _("Choose at least one scope.")


class EmailAuthenticationForm(AuthenticationForm):
    """Log in by e-mail address, however it is capitalised (addresses are stored lowercased)."""

    def clean_username(self):
        return self.cleaned_data["username"].lower()


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What uses the key, e.g. “nightly loader”. Owners and admins see it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiScope.choices, initial=[ApiScope.READ],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Read: GET requests. Write: sending data (bulk ingestion)."),
        error_messages={"required": NO_SCOPE},
    )


class PreferencesForm(forms.Form):
    """A person's own preferences (the language of pages and e-mails)."""

    language = forms.ChoiceField(
        label=_("Language"), required=False,
        help_text=_("Pages after you log in and the report e-mails you receive use this language."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form: the labels follow the active language.
        self.fields["language"].choices = [("", _("The browser's language"))] + [
            (code, translation.get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ]


class LanguagePasswordResetForm(PasswordResetForm):
    """Django's reset form, each e-mail written in its recipient's saved language (else the
    language of the page the request came from)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        language = context["user"].language or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
