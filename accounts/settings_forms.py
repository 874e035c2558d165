"""Forms of the settings pages. They check input and say what is wrong; the services they feed
check the rules that need the database (duplicates, the last owner) and raise ValidationErrors
that the views put back on these forms."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.audit import KIND_GROUPS
from accounts.models import AuditKind, Membership, Organization, Role, Team, User
from chats.services import COLOR_RE, MERGE_INTO_ITSELF, TAG_COLOR_INVALID, TAG_NAME_EMPTY

PASSWORDS_DIFFER = _("The two passwords differ.")
TEAM_NAME_EMPTY = _("Give the team a name.")

KIND_GROUP_LABELS = {
    "organization": _("Organization profile"),
    "members": _("Members and invitations"),
    "teams": _("Teams and agents"),
    "tags": _("Tags"),
    "api_keys": _("API keys"),
    "sla": _("SLA targets and business hours"),
    "goals": _("Goals"),
    "admin": _("Operators' admin"),
    "personal_data": _("Personal data"),
}


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "timezone", "week_start", "follow_up_window_hours", "min_sample_size", "csat_scale",
                  "gross_margin"]
        widgets = {
            "timezone": forms.TextInput(attrs={"list": "timezones", "autocomplete": "off", "spellcheck": "false"}),
            "follow_up_window_hours": forms.NumberInput(attrs={"min": 1, "max": 720}),
            "min_sample_size": forms.NumberInput(attrs={"min": 1}),
            "gross_margin": forms.NumberInput(attrs={"min": 0, "max": 1, "step": "0.0001"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Give the organization a name.")

    def clean_timezone(self):
        return self.cleaned_data["timezone"].strip()

    def clean_follow_up_window_hours(self):
        hours = self.cleaned_data["follow_up_window_hours"]
        if not 1 <= hours <= 720:
            raise forms.ValidationError(_("Choose between 1 and 720 hours (30 days)."), code="out_of_range")
        return hours

    def clean_min_sample_size(self):
        size = self.cleaned_data["min_sample_size"]
        if size < 1:
            raise forms.ValidationError(_("Choose at least 1."), code="out_of_range")
        return size

    @staticmethod
    def timezone_names() -> list[str]:
        return sorted(zoneinfo.available_timezones())


class RoleField(forms.ChoiceField):
    def __init__(self, *, can_grant_owner: bool, **kwargs):
        choices = [(value, label) for value, label in Role.choices if can_grant_owner or value != Role.OWNER]
        super().__init__(label=_("Role"), choices=choices, **kwargs)


ROLE_HELP = _("Owners and admins configure the organization; managers see every report and manage "
              "e-mailed reports; viewers see reports; agents see their own figures only.")


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"),
                             error_messages={"required": _("Enter the e-mail address to invite."),
                                             "invalid": _("Enter a valid e-mail address.")})
    role = forms.ChoiceField(label=_("Role"), choices=(), help_text=ROLE_HELP)

    def __init__(self, *args, can_grant_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = RoleField(can_grant_owner=can_grant_owner, initial=Role.VIEWER, help_text=ROLE_HELP)


class MemberRoleForm(forms.Form):
    def __init__(self, *args, can_grant_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"] = RoleField(can_grant_owner=can_grant_owner, help_text=ROLE_HELP)


class AcceptInvitationForm(forms.Form):
    """For an address without an account: a name and a password (the site's password rules)."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", PASSWORDS_DIFFER)
        elif first:
            try:
                password_validation.validate_password(first, User(email=self.email, name=cleaned.get("name", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": TEAM_NAME_EMPTY})
    external_id = forms.CharField(
        label=_("External id"), max_length=128, required=False,
        help_text=_("How the API and imports name this team. Empty: made from the name."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                help_text=_("Inactive teams keep their history but are not offered for agents."))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["external_id"]
        else:
            del self.fields["active"]


class AgentForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.unscoped.none(), required=False,
                                  empty_label=_("No team"))
    user = forms.ModelChoiceField(
        label=_("Member"), queryset=User.objects.none(), required=False, empty_label=_("Not linked"),
        help_text=_("The login whose “own figures” are this agent's (for the agent role)."),
    )

    def __init__(self, *args, organization: Organization, agent=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.for_org(organization).order_by("name")
        if agent is not None and agent.team_id:
            from django.db.models import Q

            teams = Team.objects.for_org(organization).filter(Q(active=True) | Q(pk=agent.team_id)).order_by("name")
        else:
            teams = teams.filter(active=True)
        self.fields["team"].queryset = teams
        members = Membership.objects.for_org(organization).values("user_id")
        self.fields["user"].queryset = User.objects.filter(pk__in=members).order_by("email")
        self.fields["user"].label_from_instance = lambda u: f"{u.name} <{u.email}>" if u.name else u.email


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, error_messages={"required": TAG_NAME_EMPTY})
    # Text, not <input type="color">: a colour picker cannot be left empty (a tag may have none).
    color = forms.CharField(label=_("Colour"), max_length=7, required=False,
                            widget=forms.TextInput(attrs={"placeholder": "#2458d6", "size": 8, "spellcheck": "false",
                                                          "pattern": "#[0-9a-fA-F]{6}"}),
                            help_text=_("#rrggbb, or empty for none."))
    category = forms.CharField(label=_("Category"), max_length=100, required=False,
                               widget=forms.TextInput(attrs={"list": "tag-categories", "autocomplete": "off"}),
                               help_text=_("Tags of one category are reported together, e.g. “Billing”."))
    high_priority = forms.BooleanField(
        label=_("High priority"), required=False,
        help_text=_("Chats with a high-priority tag are counted apart; changing this rebuilds the tag's days."),
    )
    archived = forms.BooleanField(label=_("Archived"), required=False,
                                  help_text=_("Archived tags keep their history and still count in reports."))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["archived"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(TAG_NAME_EMPTY, code="required")
        return name

    def clean_color(self):
        color = self.cleaned_data["color"].strip()
        if color and not COLOR_RE.match(color):
            raise forms.ValidationError(TAG_COLOR_INVALID, code="invalid")
        return color.lower()


class TagMergeForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Merge into"), queryset=None, empty_label=_("Choose the tag to keep…"),
        help_text=_("The tag to keep. Its name, colour and category stay as they are."),
        error_messages={"required": _("Choose the tag to keep."),
                        "invalid_choice": _("Choose a tag of this organization that is still in use.")},
    )

    def __init__(self, *args, organization: Organization, source, **kwargs):
        super().__init__(*args, **kwargs)
        from chats.models import Tag

        self.source = source
        # The source itself stays in the list so choosing it gets the clear message, not "invalid".
        self.fields["target"].queryset = Tag.objects.for_org(organization).filter(merged_into__isnull=True).order_by(
            "archived", "name")

    def clean_target(self):
        target = self.cleaned_data["target"]
        if target.pk == self.source.pk:
            raise forms.ValidationError(MERGE_INTO_ITSELF, code="into_itself")
        return target


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    actor = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, actors, **kwargs):
        super().__init__(*args, **kwargs)
        groups = [(_("All changes"), [("", _("All changes"))])]
        for group, kinds in KIND_GROUPS.items():
            groups.append((KIND_GROUP_LABELS[group], [(group, _("All: %(group)s") % {"group": KIND_GROUP_LABELS[group]})]
                           + [(k, AuditKind(k).label) for k in kinds]))
        self.fields["kind"].choices = groups
        self.fields["actor"].choices = [("", _("Everyone"))] + [(u.pk, u.email) for u in actors]
