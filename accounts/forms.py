from django import forms
from django.contrib.auth.forms import AuthenticationForm
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
