"""The schedule form: every choice limited to the organization of the page."""

from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from accounts.models import Agent, Membership, Team, Weekday
from schedules import content as contents
from schedules import services
from schedules.models import Frequency, ReportSchedule, Scope

BAD_ADDRESS = _("“%(value)s” is not an e-mail address.")
BAD_TIMEZONE = _("“%(value)s” is not an IANA time zone name (for example Europe/Helsinki).")
NO_METRICS = _("Choose at least one figure.")
TOO_MANY_ADDRESSES = _("At most %(max)d other addresses.")
MAX_EXTERNAL = 50


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        user = obj.user
        name = f"{user.name} <{user.email}>" if user.name else user.email
        return f"{name} · {obj.get_role_display()}"


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, initial=_("Weekly agent report"))
    scope = forms.ChoiceField(label=_("Report on"), choices=Scope.choices, initial=Scope.ORGANIZATION,
                              widget=forms.RadioSelect)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.unscoped.none(), required=False)
    agents = forms.ModelMultipleChoiceField(label=_("Agents"), queryset=Agent.unscoped.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    member_recipients = MemberChoiceField(label=_("Members who receive it"), queryset=Membership.unscoped.none(),
                                          required=False, widget=forms.CheckboxSelectMultiple)
    external_recipients = forms.CharField(
        label=_("Other addresses"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas."))
    send_personal_reports = forms.BooleanField(
        label=_("Also send each agent in scope their own report"), required=False,
        help_text=_("To the agent's e-mail address (or their login's); it shows their figures and their team's "
                    "median, nothing of other agents."))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices, initial=Frequency.WEEKLY)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int, initial=Weekday.MONDAY,
                                     help_text=_("Weekly reports: the previous full week."))
    day_of_month = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=31, initial=1,
                                      help_text=_("Monthly reports: the previous month. In a shorter month, its last day."))
    local_time = forms.TimeField(label=_("Time of day"), initial="08:00",
                                 widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    timezone = forms.CharField(label=_("Time zone"), required=False, max_length=64,
                               widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES,
                                 help_text=_("For recipients who have not chosen a language of their own."))
    metrics = forms.MultipleChoiceField(label=_("Figures included"), widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": NO_METRICS})

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["team"].queryset = Team.objects.for_org(organization).order_by("name")
        self.fields["agents"].queryset = Agent.objects.for_org(organization).order_by("name")
        self.fields["member_recipients"].queryset = (
            Membership.objects.for_org(organization).select_related("user").order_by("user__email"))
        self.fields["metrics"].choices = contents.metric_choices()
        self.fields["metrics"].initial = contents.report_metric_ids()
        self.fields["timezone"].help_text = _("Empty: the organization's ({zone}).").format(zone=organization.timezone)
        self.fields["language"].initial = settings.LANGUAGE_CODE

    @classmethod
    def for_schedule(cls, schedule: ReportSchedule, **kwargs) -> ScheduleForm:
        initial = {
            "name": schedule.name, "scope": schedule.scope, "team": schedule.team,
            "agents": list(schedule.agents.all()), "member_recipients": list(schedule.member_recipients.all()),
            "external_recipients": "\n".join(schedule.external_recipients or []),
            "send_personal_reports": schedule.send_personal_reports, "frequency": schedule.frequency,
            "weekday": schedule.weekday, "day_of_month": schedule.day_of_month,
            "local_time": schedule.local_time.strftime("%H:%M"), "timezone": schedule.timezone,
            "language": schedule.language, "metrics": schedule.metrics or contents.report_metric_ids(),
        }
        return cls(initial=initial, organization=schedule.organization, **kwargs)

    def clean_external_recipients(self) -> list[str]:
        raw = self.cleaned_data.get("external_recipients") or ""
        addresses = [a.strip().lower() for a in re.split(r"[\s,;]+", raw) if a.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValidationError(BAD_ADDRESS, code="invalid", params={"value": address[:80]}) from exc
        if len(set(addresses)) > MAX_EXTERNAL:
            raise ValidationError(TOO_MANY_ADDRESSES, code="too_many", params={"max": MAX_EXTERNAL})
        return sorted(set(addresses))

    def clean_timezone(self) -> str:
        value = (self.cleaned_data.get("timezone") or "").strip()
        if value and value not in zoneinfo.available_timezones():
            raise ValidationError(BAD_TIMEZONE, code="invalid_timezone", params={"value": value[:64]})
        return value

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == Scope.TEAM and not data.get("team"):
            self.add_error("team", services.TEAM_REQUIRED)
        if scope == Scope.AGENTS and not data.get("agents"):
            self.add_error("agents", services.AGENTS_REQUIRED)
        if not (data.get("member_recipients") or data.get("external_recipients") or data.get("send_personal_reports")):
            self.add_error("member_recipients", services.RECIPIENTS_REQUIRED)
        return data

    def schedule_data(self) -> services.ScheduleData:
        d = self.cleaned_data
        return services.ScheduleData(
            name=d["name"], scope=d["scope"], team=d.get("team"), agents=list(d.get("agents") or []),
            member_recipients=list(d.get("member_recipients") or []),
            external_recipients=d.get("external_recipients") or [], send_personal_reports=d["send_personal_reports"],
            frequency=d["frequency"], weekday=d["weekday"], day_of_month=d["day_of_month"],
            local_time=d["local_time"], timezone=d.get("timezone") or "", language=d["language"],
            metrics=list(d["metrics"]))
