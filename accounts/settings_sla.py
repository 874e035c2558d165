"""``/o/<slug>/settings/sla-targets/`` and ``/o/<slug>/settings/business-hours/``: owners and
admins set SLA targets (calendar or business hours) and the weekly schedule and holidays.

The same pattern as the other settings pages (accounts.settings_views): ``configure``
capability, targets named in the URL looked up within the organization (404 otherwise), each
POST one service call (reports.sla_targets, reports.business_hours) that validates, writes the
change and its audit row and marks the affected days dirty; its ValidationError becomes form
errors. The forms check only what the admin typed (a duration, times and dates).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView

from accounts.models import Weekday
from accounts.settings_views import NOTHING_CHANGED, SettingsMixin, put_errors
from chats.models import Channel, Priority
from reports import formatting
from reports.business_hours import (
    HolidayDate,
    Interval,
    business_hours_update,
    schedule_of,
    validate_schedule,
)
from reports.models import BusinessInterval, SlaMetric, SlaTarget
from reports.sla_targets import (
    CHAT_MEASURES,
    describe,
    sla_target_create,
    sla_target_delete,
    sla_target_update,
)

# --- SLA targets ------------------------------------------------------------------------------

DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
DURATION_TOKEN = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
DURATION_INVALID = _("Write the target as a number with a unit, such as “2h 30m”, “45m”, “90s” or “1d 4h” "
                     "(d days, h hours, m minutes, s seconds).")
CALENDAR, BUSINESS = "calendar", "business"


def parse_duration(text: str) -> int | None:
    """“2h 30m” -> 9000; None when ``text`` is not units d, h, m, s with whole numbers (each unit once)."""
    text = text.strip().lower().replace(",", " ")
    tokens = DURATION_TOKEN.findall(text)
    if not tokens or DURATION_TOKEN.sub("", text).strip():
        return None
    units = [unit for _number, unit in tokens]
    if len(set(units)) != len(units):
        return None
    return sum(int(number) * DURATION_UNITS[unit] for number, unit in tokens)


def format_duration_input(seconds: int) -> str:
    """9000 -> “2h 30m”: a target as the form takes it back (parse_duration's inverse)."""
    parts = []
    for unit, size in DURATION_UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


class SlaTargetForm(forms.Form):
    """What an admin types; reports.sla_targets checks the rules (chat priority, range, overlap)."""

    metric = forms.ChoiceField(label=_("Measure"), choices=(), error_messages={"required": _("Choose a measure.")})
    channel = forms.ChoiceField(label=_("Channel"), choices=(), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=(), required=False,
        help_text=_("Tickets only: chats have no priority, so leave “Any priority” for a chat measure."),
    )
    target_seconds = forms.CharField(
        label=_("Target"), max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "2h 30m", "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("For example “2h 30m”, “45m”, “90s” or “1d 4h”."),
        error_messages={"required": _("Give the target time, such as “2h 30m”.")},
    )
    clock = forms.ChoiceField(
        label=_("Measured in"), widget=forms.RadioSelect, initial=CALENDAR,
        choices=[(CALENDAR, _("Calendar hours (every hour of the day)")),
                 (BUSINESS, _("Business hours (only while the organization is open)"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", _("Choose a measure…")), *SlaMetric.choices]
        self.fields["channel"].choices = [("", _("Any channel")), *Channel.choices]
        self.fields["priority"].choices = [("", _("Any priority")), *Priority.choices]

    @classmethod
    def initial_for(cls, target) -> dict:
        return {"metric": target.metric, "channel": target.channel, "priority": target.priority,
                "target_seconds": format_duration_input(target.target_seconds),
                "clock": BUSINESS if target.business_hours else CALENDAR}

    def clean_target_seconds(self):
        seconds = parse_duration(self.cleaned_data["target_seconds"])
        if seconds is None:
            raise forms.ValidationError(DURATION_INVALID, code="invalid")
        return seconds

    def service_data(self) -> dict:
        """The keyword arguments of sla_target_create / sla_target_update."""
        data = self.cleaned_data
        return {"metric": data["metric"], "channel": data["channel"], "priority": data["priority"],
                "target_seconds": data["target_seconds"], "business_hours": data["clock"] == BUSINESS}


# --- Business hours ---------------------------------------------------------------------------

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class IntervalForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), coerce=int, choices=(),
                                     error_messages={"required": _("Choose the day.")})
    start = forms.TimeField(label=_("Opens"), widget=TIME_WIDGET,
                            error_messages={"required": _("Give the opening time."),
                                            "invalid": _("Write the time as HH:MM.")})
    end = forms.TimeField(label=_("Closes"), widget=TIME_WIDGET,
                          error_messages={"required": _("Give the closing time."),
                                          "invalid": _("Write the time as HH:MM.")})
    ends_next_day = forms.BooleanField(label=_("Closes the next day"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = [("", _("Day…")), *Weekday.choices]

    def interval(self):
        data = self.cleaned_data
        return Interval(data["weekday"], data["start"], data["end"], data["ends_next_day"])


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"required": _("Give the date."),
                                           "invalid": _("Write the date as YYYY-MM-DD.")})
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    recurring = forms.BooleanField(label=_("Every year"), required=False)

    def holiday(self):
        data = self.cleaned_data
        return HolidayDate(data["date"], data["name"].strip(), data["recurring"])


class RowFormSet(forms.BaseFormSet):
    """Rows left blank are ignored; rows ticked for removal are left out."""

    def kept(self):
        return [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]


IntervalFormSet = forms.formset_factory(IntervalForm, formset=RowFormSet, extra=3, can_delete=True, max_num=70,
                                        absolute_max=200)
HolidayFormSet = forms.formset_factory(HolidayForm, formset=RowFormSet, extra=2, can_delete=True, max_num=400,
                                       absolute_max=1000)
ROW_FORMSETS = {"intervals": IntervalFormSet, "holidays": HolidayFormSet}


def schedule_row_errors(interval_forms, holiday_forms) -> bool:
    """Put reports.business_hours.validate_schedule's messages on the rows they are about: each
    interval checked alone (closes before it opens, empty, too long), then each pair (overlaps),
    and each pair of holidays (a date listed twice). Returns whether any row got an error."""
    def check(forms_, intervals=(), holidays=()):
        try:
            validate_schedule(list(intervals), list(holidays))
        except forms.ValidationError as error:
            for form in forms_:
                for message in error.messages:
                    form.add_error(None, message)
            return False
        return True

    alone = [check([f], intervals=[f.interval()]) for f in interval_forms]  # every row checked, not up to the first
    ok = all(alone)
    if ok:
        for i, a in enumerate(interval_forms):
            for b in interval_forms[i + 1:]:
                ok = check([b], intervals=[a.interval(), b.interval()]) and ok
    for i, a in enumerate(holiday_forms):
        for b in holiday_forms[i + 1:]:
            ok = check([b], holidays=[a.holiday(), b.holiday()]) and ok
    return not ok


# --- SLA targets and business hours ----------------------------------------------------------

def rebuilding(days: set) -> str:
    return ngettext("The SLA report is being rebuilt for the %(n)s day this changes.",
                    "The SLA report is being rebuilt for the %(n)s days this changes.", len(days)) % {"n": len(days)}


SLA_TARGET_CREATED = _("The SLA target “%(target)s” was created.")
SLA_TARGET_SAVED = _("The SLA target “%(target)s” was saved.")
SLA_TARGET_DELETED = _("The SLA target “%(target)s” was deleted.")
SLA_NO_DAYS = _("No conversations are measured by it yet, so no figures change.")
BUSINESS_HOURS_SAVED = _("The business hours were saved.")
SCHEDULE_INVALID = _("Nothing was saved: correct the rows marked below.")
ROW_ADDED = _("A row was added. Nothing is saved until you press “Save business hours”.")


class SlaMixin(SettingsMixin):
    settings_section = "sla_targets"

    def has_schedule(self) -> bool:
        return BusinessInterval.objects.for_org(self.organization).exists()

    def get_target(self):
        if not hasattr(self, "_target"):
            self._target = get_object_or_404(SlaTarget.objects.for_org(self.organization),
                                             pk=self.kwargs["sla_target_id"])
        return self._target

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "has_schedule": self.has_schedule(),
                "timezone": self.organization.timezone}

    def saved(self, message, target, days):
        text = message % {"target": describe(target)}
        # Without a schedule the list it returns to says what a business-hours target measures.
        messages.success(self.request, f"{text} {rebuilding(days) if days else SLA_NO_DAYS}")
        return self.back("settings_sla_targets")


class SlaTargetsView(SlaMixin, TemplateView):
    template_name = "settings/sla_targets.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        targets = list(SlaTarget.objects.for_org(self.organization).order_by("metric", "channel", "priority"))
        for target in targets:
            target.duration_label = formatting.duration(target.target_seconds)
            target.for_chats = target.metric in CHAT_MEASURES
        context["targets"] = targets
        return context


class SlaTargetCreateView(SlaMixin, FormView):
    template_name = "settings/sla_target_form.html"
    form_class = SlaTargetForm

    def form_valid(self, form):
        try:
            target, days = sla_target_create(organization=self.organization, actor=self.request.user,
                                             **form.service_data())
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        return self.saved(SLA_TARGET_CREATED, target, days)


class SlaTargetEditView(SlaMixin, FormView):
    template_name = "settings/sla_target_form.html"
    form_class = SlaTargetForm

    def get_initial(self):
        return SlaTargetForm.initial_for(self.get_target())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "target": self.get_target()}

    def form_valid(self, form):
        try:
            target, days = sla_target_update(organization=self.organization, actor=self.request.user,
                                             target=self.get_target(), **form.service_data())
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        if not days and not form.has_changed():
            messages.success(self.request, NOTHING_CHANGED)
            return self.back("settings_sla_targets")
        return self.saved(SLA_TARGET_SAVED, target, days)


class SlaTargetDeleteView(SlaMixin, TemplateView):
    """GET asks for confirmation; POST deletes."""

    template_name = "settings/sla_target_delete.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "target": self.get_target(),
                "description": describe(self.get_target())}

    def post(self, request, *args, **kwargs):
        target = self.get_target()
        label = describe(target)
        days = sla_target_delete(organization=self.organization, actor=request.user, target=target)
        messages.success(request, f"{SLA_TARGET_DELETED % {'target': label}} {rebuilding(days) if days else SLA_NO_DAYS}")
        return self.back("settings_sla_targets")


class BusinessHoursView(SettingsMixin, TemplateView):
    """The weekly schedule (several intervals a day, overnight shifts) and the holidays, saved
    together through reports.business_hours.business_hours_update (all or nothing)."""

    template_name = "settings/business_hours.html"
    settings_section = "business_hours"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        intervals, holidays = schedule_of(self.organization)
        if "intervals" not in kwargs:
            context["intervals"] = IntervalFormSet(prefix="intervals", initial=[
                {"weekday": iv.weekday, "start": iv.start, "end": iv.end, "ends_next_day": iv.ends_next_day}
                for iv in intervals])
            context["holidays"] = HolidayFormSet(prefix="holidays", initial=[
                {"date": h.date, "name": h.name, "recurring": h.recurring} for h in holidays])
        by_day = {day: [] for day in Weekday.values}
        for iv in intervals:
            by_day[iv.weekday].append(iv)
        context["week"] = [(Weekday(day).label, by_day[day]) for day in Weekday.values]
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("add_row") in ROW_FORMSETS:
            return self.with_another_row(request, request.POST["add_row"])
        before = schedule_of(self.organization)
        intervals = IntervalFormSet(request.POST, prefix="intervals")
        holidays = HolidayFormSet(request.POST, prefix="holidays")
        valid = all([intervals.is_valid(), holidays.is_valid()])  # both checked: each row shows its errors
        if valid:
            interval_rows, holiday_rows = intervals.kept(), holidays.kept()
            valid = not schedule_row_errors(interval_rows, holiday_rows)
        if valid:
            try:
                days = business_hours_update(organization=self.organization, actor=request.user,
                                             intervals=[f.interval() for f in interval_rows],
                                             holidays=[f.holiday() for f in holiday_rows])
            except ValidationError as error:
                intervals._non_form_errors = intervals.error_class(error.messages)
                valid = False
        if not valid:
            messages.error(request, SCHEDULE_INVALID)
            return self.render_to_response(self.get_context_data(intervals=intervals, holidays=holidays), status=400)
        if schedule_of(self.organization) == before:
            messages.success(request, NOTHING_CHANGED)
        elif days:
            messages.warning(request, ngettext(
                "The business hours were saved. Business-hours durations and the SLA report are being rebuilt "
                "for the %(n)s day with data.",
                "The business hours were saved. Business-hours durations and the SLA report are being rebuilt "
                "for the %(n)s days with data.", len(days)) % {"n": len(days)})
        else:
            messages.success(request, BUSINESS_HOURS_SAVED)
        return self.back("settings_business_hours")

    def with_another_row(self, request, prefix):
        """“Add an interval” / “Add a holiday” without JavaScript: the rows as typed, one more empty
        row, nothing saved. Rows are not validated here (their errors would be noise mid-edit)."""
        data = request.POST.copy()
        formset_class = ROW_FORMSETS[prefix]
        total = f"{prefix}-TOTAL_FORMS"
        try:
            rows = int(data.get(total) or 0)
        except ValueError:
            rows = 0
        data[total] = str(max(0, min(rows, formset_class.max_num - 1)) + 1)
        formsets = {name: cls(data, prefix=name) for name, cls in ROW_FORMSETS.items()}
        for formset in formsets.values():
            if not formset.management_form.is_valid():  # a tampered post: start from the saved schedule
                return self.render_to_response(self.get_context_data())
            # Typed values shown back as they are; validation waits for Save.
            formset._non_form_errors = formset.error_class()
            for form in formset.forms:
                form._errors = ErrorDict()
        messages.info(request, ROW_ADDED)
        return self.render_to_response(self.get_context_data(**formsets))
