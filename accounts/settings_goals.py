"""``/o/<slug>/settings/goals/``: owners and admins set goals for report figures (reports.goals).

The same pattern as the other settings pages (accounts.settings_views): ``configure`` capability,
objects named in the URL looked up within the organization (404 otherwise), each POST one
service call whose ValidationError becomes form errors.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from accounts.models import Team
from accounts.settings_views import SettingsMixin, put_errors
from reports.goals import (
    describe,
    display_target,
    goal_create,
    goal_delete,
    goal_figures,
    goal_update,
)
from reports.models import Goal
from reports.results import figure_id

GOAL_CREATED = _("The goal “%(goal)s” was set.")
GOAL_SAVED = _("The goal “%(goal)s” was saved.")
GOAL_DELETED = _("The goal “%(goal)s” was removed.")

UNIT_HELP = {
    "percent": _("In percent: 85 means 85 %."),
    "seconds": _("In seconds: 60 means 1 minute, 3600 one hour."),
    "score": _("A score on the figure's own scale (NPS −100 to 100, CES 1–7)."),
    "count": _("A number of chats, tickets or days."),
}


class GoalForm(forms.Form):
    figure = forms.ChoiceField(label=_("Figure"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.unscoped.none(), required=False,
                                  empty_label=_("Whole organization"),
                                  help_text=_("A team's goal replaces the organization's on that team's figures."))
    direction = forms.ChoiceField(label=_("Met when the figure is"), required=False, choices=(
        ("", _("on its better side (default)")),
        ("at_least", _("at least the target (≥)")),
        ("at_most", _("at most the target (≤)")),
    ))
    target = forms.FloatField(label=_("Target"), help_text=" ".join(str(h) for h in UNIT_HELP.values()))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figure"].choices = [(fid, f.header) for fid, f in goal_figures().items()]
        self.fields["team"].queryset = Team.objects.for_org(organization).filter(active=True)

    def service_data(self) -> dict:
        data = self.cleaned_data
        metric, _dot, field = data["figure"].partition(".")
        return {"metric": metric, "field": field or "value", "team": data["team"], "target": data["target"],
                "at_least": {"at_least": True, "at_most": False}.get(data["direction"])}


class GoalMixin(SettingsMixin):
    settings_section = "goals"

    def get_goal(self) -> Goal:
        if not hasattr(self, "_goal"):
            self._goal = get_object_or_404(Goal.objects.for_org(self.organization).select_related("team"),
                                           pk=self.kwargs["goal_id"])
        return self._goal

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.organization}


class GoalsView(GoalMixin, FormView):
    """The list of goals with the form for a new one."""

    template_name = "settings/goals.html"
    form_class = GoalForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures = goal_figures()
        goals = Goal.objects.for_org(self.organization).select_related("team")
        context["goals"] = [{"goal": g, "figure": figures.get(figure_id(g.metric, g.field)),
                             "target": display_target(g)} for g in goals]
        return context

    def form_valid(self, form):
        try:
            goal = goal_create(organization=self.organization, actor=self.request.user, **form.service_data())
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, GOAL_CREATED % {"goal": describe(goal)})
        return self.back("settings_goals")


class GoalEditView(GoalMixin, FormView):
    template_name = "settings/goal_form.html"
    form_class = GoalForm

    def get_initial(self):
        goal = self.get_goal()
        return {"figure": figure_id(goal.metric, goal.field), "team": goal.team,
                "direction": "at_least" if goal.at_least else "at_most", "target": goal.target}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "goal": self.get_goal(), "goal_label": describe(self.get_goal())}

    def form_valid(self, form):
        try:
            goal = goal_update(organization=self.organization, actor=self.request.user, goal=self.get_goal(),
                               **form.service_data())
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, GOAL_SAVED % {"goal": describe(goal)})
        return self.back("settings_goals")


class GoalDeleteView(GoalMixin, TemplateView):
    """GET: the confirmation; POST: the removal."""

    template_name = "settings/goal_delete.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "goal": self.get_goal(), "goal_label": describe(self.get_goal())}

    def post(self, request, *args, **kwargs):
        goal = self.get_goal()
        label = describe(goal)
        goal_delete(organization=self.organization, actor=request.user, goal=goal)
        messages.success(request, GOAL_DELETED % {"goal": label})
        return self.back("settings_goals")
