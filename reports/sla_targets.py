"""Creating, changing and deleting SLA targets: the one service the settings pages and
``/api/v1/sla-targets/`` call. Each call validates everything first (nothing is written on a
ValidationError), writes the change and its audit row in one transaction, and marks the days
whose snapshots the change can move.

Which days a change moves: a row's SLA result depends on the target that wins for its
(channel, priority), and only a target whose selector matches the row can win. So a change to
the target for (measure, channel, priority) can move only the rows of that measure matching the
old or the new selector (empty channel or priority: any), on the day the measure places them
(chats by requested_at, ticket first response by created_at, resolution by resolved_at,
reports.breaches.MEASURES). ``affected_days`` marks every local day from the first to the last
such row: two indexed MIN/MAX reads per selector, no loop over rows (a superset at worst).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.audit import audit_record, field_changes
from accounts.models import AuditKind, Organization, User
from chats.models import Channel, Priority
from reports import formatting
from reports.models import SlaMetric, SlaTarget

# A year: longer targets are a typo (seconds for minutes).
MAX_TARGET_SECONDS = 366 * 86400
FIELDS = ("metric", "channel", "priority", "target_seconds", "business_hours")
CHAT_MEASURES = (SlaMetric.CHAT_FIRST_RESPONSE, SlaMetric.CHAT_WAIT)

UNKNOWN_MEASURE = _lazy("Choose one of the measures: %(choices)s.")
UNKNOWN_CHANNEL = _lazy("“%(value)s” is not a channel: use one of %(choices)s, or leave it empty for any channel.")
UNKNOWN_PRIORITY = _lazy("“%(value)s” is not a priority: use one of %(choices)s, or leave it empty for any priority.")
CHAT_PRIORITY = _lazy("Chats have no priority: leave the priority empty for a chat measure.")
TARGET_RANGE = _lazy("Give a target between 1 second and 366 days.")
OVERLAP = _lazy("This target overlaps the existing target “%(other)s” (the same measure, channel and priority): "
                "change that one instead.")


def describe(target: SlaTarget | dict) -> str:
    """“Ticket first response, e-mail, any priority ≤ 2 h (business hours)” for messages and the audit log."""
    get = target.get if isinstance(target, dict) else lambda name: getattr(target, name)
    channel = dict(Channel.choices).get(get("channel")) if get("channel") else _("any channel")
    priority = dict(Priority.choices).get(get("priority")) if get("priority") else _("any priority")
    clock = _("business hours") if get("business_hours") else _("calendar hours")
    parts = [str(SlaMetric(get("metric")).label), str(channel)]
    if get("metric") not in CHAT_MEASURES:
        parts.append(str(priority))
    return f"{', '.join(parts)} ≤ {formatting.duration(get('target_seconds'))} ({clock})"


def _validate(organization: Organization, data: dict, *, exclude: int | None = None) -> dict:
    errors: dict[str, list] = {}
    metric, channel, priority = data.get("metric") or "", data.get("channel") or "", data.get("priority") or ""
    if metric not in SlaMetric.values:
        errors["metric"] = [ValidationError(UNKNOWN_MEASURE % {"choices": ", ".join(SlaMetric.values)}, code="invalid")]
    if channel and channel not in Channel.values:
        errors["channel"] = [ValidationError(UNKNOWN_CHANNEL % {"value": channel, "choices": ", ".join(Channel.values)},
                                             code="invalid")]
    if priority and priority not in Priority.values:
        errors["priority"] = [ValidationError(
            UNKNOWN_PRIORITY % {"value": priority, "choices": ", ".join(Priority.values)}, code="invalid")]
    elif priority and metric in CHAT_MEASURES:
        errors["priority"] = [ValidationError(CHAT_PRIORITY, code="chat_priority")]
    seconds = data.get("target_seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= MAX_TARGET_SECONDS:
        errors["target_seconds"] = [ValidationError(TARGET_RANGE, code="out_of_range")]
    if not errors:
        clash = SlaTarget.objects.for_org(organization).filter(metric=metric, channel=channel, priority=priority)
        if exclude is not None:
            clash = clash.exclude(pk=exclude)
        other = clash.first()
        if other is not None:
            errors["__all__"] = [ValidationError(OVERLAP % {"other": describe(other)}, code="overlap")]
    if errors:
        raise ValidationError(errors)
    return {"metric": metric, "channel": channel, "priority": priority, "target_seconds": seconds,
            "business_hours": bool(data.get("business_hours"))}


def affected_days(organization: Organization, metric: str, selectors: list[tuple[str, str]]) -> set[dt.date]:
    """The local days whose rows of ``metric`` match any (channel, priority) selector, first to
    last (see the module docstring)."""
    from reports.breaches import MEASURES

    spec = MEASURES[metric]
    rows = spec.model.objects.for_org(organization).filter(spec.has_value)
    matches = []
    for channel, priority in selectors:
        fields = {"channel": channel, **({"priority": priority} if spec.has_priority else {})}
        matches.append(Q(**{name: value for name, value in fields.items() if value}))
    if all(matches):  # no selector is "any channel, any priority" (an empty Q matches every row)
        rows = rows.filter(functools.reduce(operator.or_, matches))
    span = rows.aggregate(
        first=Min(spec.timestamp), last=Max(spec.timestamp))
    if span["first"] is None:
        return set()
    tz = organization.tzinfo
    first, last = span["first"].astimezone(tz).date(), span["last"].astimezone(tz).date()
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


def _mark(organization: Organization, metric_selectors: dict[str, list[tuple[str, str]]]) -> set[dt.date]:
    from reports.freshness import mark_dirty

    days: set[dt.date] = set()
    for metric, selectors in metric_selectors.items():
        days |= affected_days(organization, metric, selectors)
    return mark_dirty(organization=organization, days=days) if days else set()


@transaction.atomic
def sla_target_create(*, organization: Organization, actor: User | None, **data) -> tuple[SlaTarget, set[dt.date]]:
    clean = _validate(organization, data)
    target = SlaTarget.objects.for_org(organization).create(organization=organization, **clean)
    audit_record(organization=organization, actor=actor, kind=AuditKind.SLA_TARGET_CREATED, target=target,
                 target_label=describe(target), changes={f: [None, clean[f]] for f in FIELDS})
    return target, _mark(organization, {clean["metric"]: [(clean["channel"], clean["priority"])]})


@transaction.atomic
def sla_target_update(*, organization: Organization, actor: User | None, target: SlaTarget,
                      **data) -> tuple[SlaTarget, set[dt.date]]:
    """Change some fields of a target (the others keep their values)."""
    target = SlaTarget.objects.for_org(organization).select_for_update().get(pk=target.pk)
    before = {f: getattr(target, f) for f in FIELDS}
    clean = _validate(organization, {**before, **data}, exclude=target.pk)
    changes = field_changes(before, clean, FIELDS)
    if not changes:
        return target, set()
    for name, value in clean.items():
        setattr(target, name, value)
    target.save(update_fields=list(changes))
    audit_record(organization=organization, actor=actor, kind=AuditKind.SLA_TARGET_UPDATED, target=target,
                 target_label=describe(target), changes=changes)
    selectors: dict[str, list[tuple[str, str]]] = {}
    for state in (before, clean):
        selectors.setdefault(state["metric"], []).append((state["channel"], state["priority"]))
    return target, _mark(organization, selectors)


@transaction.atomic
def sla_target_delete(*, organization: Organization, actor: User | None, target: SlaTarget) -> set[dt.date]:
    target = SlaTarget.objects.for_org(organization).select_for_update().get(pk=target.pk)
    before = {f: getattr(target, f) for f in FIELDS}
    label = describe(target)
    audit_record(organization=organization, actor=actor, kind=AuditKind.SLA_TARGET_DELETED, target=target,
                 target_label=label, changes={f: [before[f], None] for f in FIELDS})
    target.delete()
    return _mark(organization, {before["metric"]: [(before["channel"], before["priority"])]})
