"""Goals: a target for one figure of a metric (CSAT ≥ 85 %, missed rate ≤ 5 %, median first
response time ≤ 60 s), for the organization or for one team.

A goal names the figure the way report pages do (a metric id and the field of its result:
``value``, ``p50``, ``missed_rate``), so any card can carry it; the figures offered are the
cards of the report pages (``goal_figures``). ``compute()`` puts the goals beside the values
(``attach``): each metric's result gains ``goals``, ``{field: {"target", "at_least", "met",
"team"}}``, for the read's scope: a read filtered to one team, and each group of a read grouped
by team, use that team's goal where it has one and the organization's otherwise; every other
read and group uses the organization's. ``met`` compares the figure of that same result (None
while it has no value). Goals change no snapshot, so no day is rebuilt.

Goals are edited through ``goal_create``/``goal_update``/``goal_delete``: validated first
(nothing written on a ValidationError), written with their audit row in one transaction.
"""

from __future__ import annotations

import functools
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.audit import audit_record, field_changes
from accounts.models import AuditKind, Organization, Team, User
from reports import formatting
from reports.models import Goal
from reports.results import figure_id, lookup

FIELDS = ("metric", "field", "team", "at_least", "target")

UNKNOWN_FIGURE = _lazy("Choose one of the figures the report pages show.")
UNKNOWN_TEAM = _lazy("Choose one of this organization's teams, or none for the whole organization.")
NO_DIRECTION = _lazy("Say whether the goal is met at or above the target, or at or below it.")
NOT_A_NUMBER = _lazy("Give the target as a number.")
PERCENT_RANGE = _lazy("A percentage goal is between 0 and 100.")
NEGATIVE = _lazy("This figure is never negative: give a target of 0 or more.")
SCORE_RANGE = _lazy("An NPS goal is between −100 and 100.")
DUPLICATE = _lazy("There is already a goal for %(figure)s (%(scope)s): change that one instead.")


@functools.cache
def goal_figures() -> dict[str, object]:
    """{figure id: Figure} of every report page's cards, in page order: what a goal can be set on."""
    from reports.pages.catalogue import PAGES

    figures: dict[str, object] = {}
    for page in PAGES.values():
        for figure in page.cards:
            figures.setdefault(figure.id, figure)
    return figures


def figure_of(metric: str, field: str):
    return goal_figures().get(figure_id(metric, field))


def display_target(goal: Goal | dict) -> str:
    """“≥ 85 %”, “≤ 1 min” in the figure's unit and the active language."""
    get = goal.get if isinstance(goal, dict) else lambda name: getattr(goal, name)
    figure = figure_of(get("metric"), get("field"))
    return target_text(get("at_least"), get("target"), figure.value_unit if figure else None)


def target_text(at_least: bool, target, unit: str | None) -> str:
    """“≥ 85.0%” in ``unit`` (two decimals without one) and the active language."""
    shown = formatting.metric_value(target, unit) if unit else formatting.number(target, 2)
    return f"{'≥' if at_least else '≤'} {shown}"


def describe(goal: Goal | dict) -> str:
    """“Missed rate ≤ 5 % (Tier 1)” for messages and the audit log."""
    get = goal.get if isinstance(goal, dict) else lambda name: getattr(goal, name)
    figure = figure_of(get("metric"), get("field"))
    label = figure.header if figure else f"{get('metric')}.{get('field')}"
    team = get("team")
    return f"{label} {display_target(goal)} ({team.name if team else _('whole organization')})"


def _validate(organization: Organization, data: dict, *, exclude: int | None = None) -> dict:
    errors: dict[str, list] = {}
    metric, field = data.get("metric") or "", data.get("field") or "value"
    figure = figure_of(metric, field)
    if figure is None:
        errors["metric"] = [ValidationError(UNKNOWN_FIGURE, code="invalid")]
    team = data.get("team")
    if team is not None and not (isinstance(team, Team) and team.organization_id == organization.pk):
        errors["team"] = [ValidationError(UNKNOWN_TEAM, code="invalid")]
    at_least = data.get("at_least")
    if at_least is None and figure is not None:
        at_least = figure.better_when_higher
    if at_least is None:
        errors["at_least"] = [ValidationError(NO_DIRECTION, code="required")]
    target = data.get("target")
    if isinstance(target, bool) or not isinstance(target, int | float) or not math.isfinite(target):
        errors["target"] = [ValidationError(NOT_A_NUMBER, code="invalid")]
    elif figure is not None:
        unit = figure.value_unit
        if unit == "percent" and not 0 <= target <= 100:
            errors["target"] = [ValidationError(PERCENT_RANGE, code="out_of_range")]
        elif unit == "score" and metric == "nps" and not -100 <= target <= 100:
            errors["target"] = [ValidationError(SCORE_RANGE, code="out_of_range")]
        elif unit != "score" and target < 0:
            errors["target"] = [ValidationError(NEGATIVE, code="out_of_range")]
    if not errors:
        clash = Goal.objects.for_org(organization).filter(metric=metric, field=field, team=team)
        if exclude is not None:
            clash = clash.exclude(pk=exclude)
        if clash.exists():
            scope = team.name if team else _("whole organization")
            errors["__all__"] = [ValidationError(DUPLICATE % {"figure": figure.header, "scope": scope}, code="duplicate")]
    if errors:
        raise ValidationError(errors)
    return {"metric": metric, "field": field, "team": team, "at_least": bool(at_least), "target": float(target)}


@transaction.atomic
def goal_create(*, organization: Organization, actor: User | None, **data) -> Goal:
    clean = _validate(organization, data)
    goal = Goal.objects.for_org(organization).create(organization=organization, **clean)
    audit_record(organization=organization, actor=actor, kind=AuditKind.GOAL_CREATED, target=goal,
                 target_label=describe(goal), changes=field_changes({}, clean, FIELDS))
    return goal


@transaction.atomic
def goal_update(*, organization: Organization, actor: User | None, goal: Goal, **data) -> Goal:
    """Change some fields of a goal (the others keep their values)."""
    goal = Goal.objects.for_org(organization).select_related("team").select_for_update(of=("self",)).get(pk=goal.pk)
    before = {f: getattr(goal, f) for f in FIELDS}
    clean = _validate(organization, {**before, **data}, exclude=goal.pk)
    changes = field_changes(before, clean, FIELDS)
    if not changes:
        return goal
    for name, value in clean.items():
        setattr(goal, name, value)
    goal.save()
    audit_record(organization=organization, actor=actor, kind=AuditKind.GOAL_UPDATED, target=goal,
                 target_label=describe(goal), changes=changes)
    return goal


@transaction.atomic
def goal_delete(*, organization: Organization, actor: User | None, goal: Goal) -> None:
    goal = Goal.objects.for_org(organization).select_related("team").get(pk=goal.pk)
    before = {f: getattr(goal, f) for f in FIELDS}
    audit_record(organization=organization, actor=actor, kind=AuditKind.GOAL_DELETED, target=goal,
                 target_label=describe(goal), changes=field_changes(before, {}, FIELDS))
    goal.delete()


# --- beside the values (compute()) -----------------------------------------------------------

def met(goal: Goal, value) -> bool | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return value >= goal.target if goal.at_least else value <= goal.target


def _annotate(metrics: dict, goals: dict[tuple[str, str], Goal]) -> None:
    for metric_id, result in metrics.items():
        mine = {field: goal for (mid, field), goal in goals.items() if mid == metric_id}
        if not mine:
            continue
        result["goals"] = {
            field: {"target": goal.target, "at_least": goal.at_least, "met": met(goal, lookup(result, field)),
                    "team": goal.team.external_id or goal.team.name if goal.team else None}
            for field, goal in mine.items()}


def _for_scope(by_team: dict, team_id: int | None) -> dict[tuple[str, str], Goal]:
    scoped = dict(by_team.get(None, {}))
    if team_id is not None:
        scoped.update(by_team.get(team_id, {}))
    return scoped


def attach(response: dict, *, organization: Organization, metric_ids: list[str], team_ids: list[int] | None,
           team_groups: dict | None = None) -> None:
    """Put the goals beside the values of a compute() response (see the module docstring), in one
    query. ``team_ids``: the teams the read is filtered to; ``team_groups``: {group key: team
    id} of a read grouped by team."""
    goals = Goal.objects.for_org(organization).filter(metric__in=metric_ids).select_related("team")
    by_team: dict[int | None, dict] = {}
    for goal in goals:
        by_team.setdefault(goal.team_id, {})[(goal.metric, goal.field)] = goal
    if not by_team:
        return
    scope = team_ids[0] if team_ids and len(team_ids) == 1 else None
    _annotate(response["metrics"], _for_scope(by_team, scope))
    for group in response.get("groups", ()):
        team_id = (team_groups or {}).get(group["key"], scope)
        _annotate(group["metrics"], _for_scope(by_team, team_id))
