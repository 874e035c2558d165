"""The conversations behind a figure: for one measure, a range of the organization's local days
and at most one filter, the chats, tickets, survey answers or canned-response uses that the
snapshot builder (reports.builders) counted in that figure, by its own rules:

- the same day placement: the local day (``local_midnight``, DST-correct) of the timestamp the
  builder's source places the row by: chats by ``requested_at``; tickets by ``created_at``
  (volume, first response) or ``resolved_at`` (resolution, reopens); survey answers by
  ``answered_at``; canned-response uses by ``used_at``;
- the same conditions: each measure's condition is the builder's count condition (or the
  "has a value" condition of its duration), spelled over the raw row;
- the same dimensions: the agent, the team (the conversation's, else its agent's) and the
  channel the builder groups by, and the tags of the conversation;
- the same seconds and targets as reports.breaches (``Seconds``, ``TargetSeconds``).

So for every measure here, ``rows(...).count()`` equals the figure named in ``Measure.figure`` of
``compute()`` for the same range and filter (tests/reports/test_drilldown_counts.py). A figure a
list cannot reproduce (a percentile, a ratio's value) has no measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy

from accounts.models import Agent, Organization
from chats.models import (
    CannedResponseUse,
    Chat,
    ChatOutcome,
    ChatTag,
    Customer,
    MissedReason,
    Priority,
    Ticket,
    TicketTag,
)
from reports.breaches import Seconds, TargetSeconds, _utc_bounds
from reports.metrics.service import DateRange, MetricsQueryError, check_range, resolve_filter
from reports.models import SlaMetric
from reports.sla import targets_for
from surveys.models import CSAT_NEGATIVE_UPTO, CSAT_POSITIVE_FROM, SurveyAnswer

CHAT, TICKET, ANSWER, CANNED_USE = "chat", "ticket", "answer", "canned_use"
MODELS = {CHAT: Chat, TICKET: Ticket, ANSWER: SurveyAnswer, CANNED_USE: CannedResponseUse}
FILTER_DIMENSIONS = ("agent", "team", "channel", "tag")
SURVEY_DIMENSIONS = ("segment", "touchpoint")
ABOVE_TARGET = "target"
ID = models.BigIntegerField()

UNKNOWN_MEASURE = _lazy("Unknown list “{value}”.")
UNKNOWN_OPTION = _lazy("Unknown {name} “{value}”.")
ONE_FILTER = _lazy("Filter by one of agent, team, channel or tag at a time (as the figures are counted).")
NO_SURVEY_FILTER = _lazy("Only survey answers can be filtered by segment or touchpoint.")
NO_THRESHOLD = _lazy("This list has no time to compare with a threshold.")
NO_TARGET = _lazy("This list has no SLA target.")
BAD_THRESHOLD = _lazy("“above” must be “target” or a number of seconds.")

MISSED_OTHER = "other"
MISSED_REASONS = (*MissedReason.values, MISSED_OTHER)


@dataclass(frozen=True)
class Measure:
    """One list: rows of ``kind`` placed on the local day of ``timestamp`` that meet ``where``.

    ``value``: the seconds the figure averages (a duration), which a threshold compares;
    ``sla``: the SLA measure whose target "above the target" means; ``options``: the extra
    parameters the list takes (name -> allowed values); ``figure``: the compute() figure the
    count equals (metric id, field)."""

    id: str
    kind: str
    title: object
    timestamp: str
    figure: tuple[str, str]
    where: Callable[[Organization, dict], Q] = lambda org, options: Q()
    value: Callable[[], models.Expression] | None = None
    sla: str | None = None
    has_priority: bool = False
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    backlog: bool = False  # open at the end of the range's last day, whatever the day created

    @property
    def model(self):
        return MODELS[self.kind]


ANSWERED = Q(accepted_at__isnull=False)


def _missed(org, options) -> Q:
    q = Q(accepted_at__isnull=True)
    reason = options.get("reason")
    if reason == MISSED_OTHER:
        return q & ~Q(missed_reason__in=MissedReason.values)
    if reason:
        return q & Q(missed_reason=reason)
    return q


def _repeat_contact(org) -> Exists:
    """The builder's repeat test: a later chat of the same customer within the follow-up window."""
    window = dt.timedelta(hours=org.follow_up_window_hours)
    return Exists(Chat.objects.for_org(org).filter(
        customer_id=OuterRef("customer_id"), requested_at__gt=OuterRef("requested_at"),
        requested_at__lte=OuterRef("requested_at") + Value(window)))


def _fcr(org, options) -> Q:
    return (ANSWERED & ~Q(outcome__in=[ChatOutcome.ESCALATED, ChatOutcome.UNRESOLVED])
            & ~(Q(customer_id__isnull=False) & Q(_repeat_contact(org))))


def _canned(org, options) -> Q:
    return ANSWERED & Q(Exists(CannedResponseUse.objects.for_org(org).filter(chat_id=OuterRef("pk"))))


def _tagged(org, options) -> Q:
    return Q(Exists(ChatTag.objects.for_org(org).filter(chat_id=OuterRef("pk"))))


def _priority(org, options) -> Q:
    return Q(priority=options["priority"]) if options.get("priority") else Q()


def _csat_side(table: dict[str, int], op: str) -> Q:
    q = Q(pk__in=[])
    for scale, bound in table.items():
        q |= Q(scale=scale, **{f"score__{op}": bound})
    return Q(kind="csat") & q


def _ces(org, options) -> Q:
    return Q(kind="ces", scale=options.get("scale") or "1-7")


def _handle_seconds():
    # The builder's handle time: duration + wrap-up (0 when the chat was not closed).
    return Seconds("ended_at", "accepted_at") + Coalesce(Seconds("closed_at", "ended_at"), Value(0.0))


def _complaint_seconds():
    return models.Case(
        models.When(is_complaint=True, then=Seconds("resolved_at", "created_at")),
        default=Seconds("resolved_at", "escalated_at"), output_field=models.FloatField())


def _response_seconds():
    return models.ExpressionWrapper(F("response_time_total_s") / F("response_count"), output_field=models.FloatField())


def _seconds(later: str, earlier: str):
    return lambda: Seconds(later, earlier)


MEASURE_LIST = [
    # Chats, by the local day of requested_at.
    Measure("chats_total", CHAT, _lazy("Chats"), "requested_at", ("chats_total", "value")),
    Measure("chats_answered", CHAT, _lazy("Answered chats"), "requested_at", ("chats_answered", "value"),
            lambda org, o: ANSWERED),
    Measure("chats_missed", CHAT, _lazy("Missed chats"), "requested_at", ("chats_missed", "value"), _missed,
            options={"reason": MISSED_REASONS}),
    Measure("chats_transferred", CHAT, _lazy("Transferred chats"), "requested_at", ("transfer_rate", "count"),
            lambda org, o: ANSWERED & Q(transfers__gt=0)),
    Measure("chats_resolved", CHAT, _lazy("Resolved chats"), "requested_at", ("chat_outcomes", "count"),
            lambda org, o: ANSWERED & Q(outcome=ChatOutcome.RESOLVED)),
    Measure("chats_tagged", CHAT, _lazy("Chats with a tag"), "requested_at", ("tag_usage", "count"), lambda org, o: _tagged(org, o)),
    Measure("chats_with_canned", CHAT, _lazy("Answered chats with a canned response"), "requested_at",
            ("canned_usage", "count"), _canned),
    Measure("fcr_chats", CHAT, _lazy("Chats resolved at first contact"), "requested_at", ("fcr_rate", "count"), _fcr),
    Measure("first_response_time", CHAT, _lazy("Answered chats with a first response"), "requested_at",
            ("first_response_time", "n"), lambda org, o: ANSWERED & Q(first_response_at__isnull=False),
            value=_seconds("first_response_at", "requested_at"), sla=SlaMetric.CHAT_FIRST_RESPONSE),
    Measure("wait_time", CHAT, _lazy("Answered chats"), "requested_at", ("wait_time", "n"),
            lambda org, o: ANSWERED, value=_seconds("accepted_at", "requested_at"), sla=SlaMetric.CHAT_WAIT),
    Measure("chat_duration", CHAT, _lazy("Answered chats that ended"), "requested_at", ("chat_duration", "n"),
            lambda org, o: ANSWERED & Q(ended_at__isnull=False), value=_seconds("ended_at", "accepted_at")),
    Measure("wrap_up_time", CHAT, _lazy("Chats with wrap-up time"), "requested_at", ("wrap_up_time", "n"),
            lambda org, o: Q(ended_at__isnull=False, closed_at__isnull=False), value=_seconds("closed_at", "ended_at")),
    Measure("handle_time", CHAT, _lazy("Answered chats that ended"), "requested_at", ("handle_time", "n"),
            lambda org, o: ANSWERED & Q(ended_at__isnull=False), value=_handle_seconds),
    Measure("response_time", CHAT, _lazy("Answered chats with agent replies"), "requested_at", ("response_time", "chats"),
            lambda org, o: ANSWERED & Q(response_count__gt=0), value=_response_seconds),
    # Tickets: volume and first response by created_at, resolution by resolved_at.
    Measure("tickets_created", TICKET, _lazy("Tickets created"), "created_at", ("tickets_total", "value"), _priority,
            options={"priority": tuple(Priority.values)}),
    Measure("ticket_first_response_time", TICKET, _lazy("Tickets created with a first response"), "created_at",
            ("ticket_first_response_time", "n"), lambda org, o: Q(first_response_at__isnull=False),
            value=_seconds("first_response_at", "created_at"), sla=SlaMetric.TICKET_FIRST_RESPONSE, has_priority=True),
    Measure("tickets_resolved", TICKET, _lazy("Tickets resolved"), "resolved_at", ("tickets_total", "resolved")),
    Measure("resolution_time", TICKET, _lazy("Tickets resolved"), "resolved_at", ("resolution_time", "n"),
            value=_seconds("resolved_at", "created_at"), sla=SlaMetric.TICKET_RESOLUTION, has_priority=True),
    Measure("complaint_resolution_time", TICKET, _lazy("Complaints and escalations resolved"), "resolved_at",
            ("complaint_resolution_time", "n"), lambda org, o: Q(is_complaint=True) | Q(escalated_at__isnull=False),
            value=_complaint_seconds),
    Measure("tickets_reopened", TICKET, _lazy("Resolved tickets reopened"), "resolved_at", ("reopen_rate", "count"),
            lambda org, o: Q(reopened_count__gt=0)),
    Measure("tickets_backlog", TICKET, _lazy("Open tickets (backlog)"), "created_at", ("tickets_total", "backlog"),
            backlog=True),
    # Survey answers, by answered_at.
    Measure("csat_answers", ANSWER, _lazy("CSAT answers"), "answered_at", ("csat", "n"), lambda org, o: Q(kind="csat")),
    Measure("csat_positive", ANSWER, _lazy("Positive CSAT answers"), "answered_at", ("csat", "positive"),
            lambda org, o: _csat_side(CSAT_POSITIVE_FROM, "gte")),
    Measure("csat_negative", ANSWER, _lazy("Negative CSAT answers"), "answered_at", ("csat", "negative"),
            lambda org, o: _csat_side(CSAT_NEGATIVE_UPTO, "lte")),
    Measure("nps_answers", ANSWER, _lazy("NPS answers"), "answered_at", ("nps", "n"), lambda org, o: Q(kind="nps")),
    Measure("ces_answers", ANSWER, _lazy("CES answers"), "answered_at", ("ces", "n"), _ces,
            options={"scale": ("1-7", "1-5")}),
    # Canned-response uses, by used_at.
    Measure("canned_uses", CANNED_USE, _lazy("Canned responses used"), "used_at", ("canned_usage", "uses")),
]
MEASURES: dict[str, Measure] = {m.id: m for m in MEASURE_LIST}
assert len(MEASURES) == len(MEASURE_LIST), "measure ids must be unique"

OPTION_LABELS = {"reason": pgettext_lazy("list option", "reason"), "priority": pgettext_lazy("list option", "priority"),
                 "scale": pgettext_lazy("list option", "scale")}


@dataclass(frozen=True)
class ListQuery:
    """What a list shows: a measure, local days first..last, at most one filter dimension
    (one value), the measure's options and an optional threshold (``above``: "target" or
    seconds)."""

    measure: Measure
    first: dt.date
    last: dt.date
    filters: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    above: str | float | None = None

    @property
    def range(self) -> DateRange:
        return DateRange(self.first, self.last)

    def params(self) -> dict[str, str]:
        """The URL parameters of this list (the metrics API's plus measure and options)."""
        out = {"measure": self.measure.id, "from": self.first.isoformat(), "to": self.last.isoformat(),
               **self.filters, **self.options}
        if self.above is not None:
            out["above"] = self.above if isinstance(self.above, str) else f"{self.above:g}"
        return out


def list_query(*, measure: str, first: dt.date, last: dt.date, filters: dict[str, str] | None = None,
               options: dict[str, str] | None = None, above: str | None = None) -> ListQuery:
    """Check a list's question; raises MetricsQueryError (field = the parameter at fault)."""
    spec = MEASURES.get(measure)
    if spec is None:
        raise MetricsQueryError(str(UNKNOWN_MEASURE).format(value=measure[:80]), field="measure")
    check_range(first, last)
    filters = {d: v for d, v in (filters or {}).items() if v}
    if len([d for d in filters if d in FILTER_DIMENSIONS]) > 1:
        raise MetricsQueryError(str(ONE_FILTER), field=next(d for d in filters if d in FILTER_DIMENSIONS))
    for dim in filters:
        if dim in SURVEY_DIMENSIONS and spec.kind != ANSWER:
            raise MetricsQueryError(str(NO_SURVEY_FILTER), field=dim)
    options = {k: v for k, v in (options or {}).items() if v}
    for name, value in options.items():
        if name not in spec.options or value not in spec.options[name]:
            raise MetricsQueryError(str(UNKNOWN_OPTION).format(name=OPTION_LABELS.get(name, name), value=value[:80]),
                                    field=name)
    threshold: str | float | None = None
    if above:
        if spec.value is None:
            raise MetricsQueryError(str(NO_THRESHOLD), field="above")
        if above == ABOVE_TARGET:
            if spec.sla is None:
                raise MetricsQueryError(str(NO_TARGET), field="above")
            threshold = ABOVE_TARGET
        else:
            try:
                threshold = float(above)
            except ValueError:
                raise MetricsQueryError(str(BAD_THRESHOLD), field="above") from None
            if not 0 <= threshold < 10 ** 9:
                raise MetricsQueryError(str(BAD_THRESHOLD), field="above")
    return ListQuery(spec, first, last, filters, options, threshold)


# --- dimensions -----------------------------------------------------------------------------

def _tag_exists(org, kind: str, tag_ids: list) -> Q:
    chat_tags = ChatTag.objects.for_org(org).filter(tag_id__in=tag_ids)
    ticket_tags = TicketTag.objects.for_org(org).filter(tag_id__in=tag_ids)
    if kind == CHAT:
        return Q(Exists(chat_tags.filter(chat_id=OuterRef("pk"))))
    if kind == TICKET:
        return Q(Exists(ticket_tags.filter(ticket_id=OuterRef("pk"))))
    # A survey answer or canned use has a chat or a ticket: the tags of the one it has.
    return Q(Exists(chat_tags.filter(chat_id=OuterRef("chat_id")))) | Q(Exists(ticket_tags.filter(ticket_id=OuterRef("ticket_id"))))


def with_dimensions(organization: Organization, qs, kind: str):
    """Annotate ``dim_agent_id``, ``dim_team_id`` and ``dim_channel``: the builder's dimensions
    (survey answers also ``dim_segment`` and ``dim_touchpoint``)."""
    if kind in (CHAT, TICKET):
        return qs.annotate(dim_agent_id=F("agent_id"), dim_team_id=Coalesce("team_id", "agent__team_id", output_field=ID),
                           dim_channel=F("channel"))
    if kind == ANSWER:
        agent = Coalesce("agent_id", "chat__agent_id", "ticket__agent_id", output_field=ID)
        agent_team = Subquery(Agent.objects.for_org(organization).filter(pk=OuterRef("dim_agent_id")).values("team_id")[:1])
        customer_segment = Subquery(Customer.objects.for_org(organization).filter(
            pk=OuterRef("dim_customer_id")).values("segment")[:1])
        return (qs.annotate(dim_agent_id=agent, dim_customer_id=Coalesce("customer_id", "chat__customer_id",
                                                                         "ticket__customer_id", output_field=ID))
                .annotate(dim_team_id=Coalesce("chat__team_id", "ticket__team_id", agent_team, output_field=ID),
                          dim_channel=Coalesce("chat__channel", "ticket__channel"),
                          dim_segment=Coalesce(NullIf("segment", Value("")), customer_segment, Value("")),
                          dim_touchpoint=F("touchpoint")))
    return qs.annotate(dim_agent_id=F("agent_id"),
                       dim_team_id=Coalesce("chat__team_id", "ticket__team_id", "agent__team_id", output_field=ID),
                       dim_channel=Coalesce("chat__channel", "ticket__channel"))


def _filtered(org, qs, kind: str, filters: dict[str, str]):
    for dim, value in filters.items():
        if dim == "tag":
            qs = qs.filter(_tag_exists(org, kind, resolve_filter(org, "tag", [value])))
        elif dim in SURVEY_DIMENSIONS:
            qs = qs.filter(**{f"dim_{dim}": value})
        else:
            field_name = {"agent": "dim_agent_id", "team": "dim_team_id", "channel": "dim_channel"}[dim]
            qs = qs.filter(**{f"{field_name}__in": resolve_filter(org, dim, [value])})
    return qs


def ces_headline_scale(*, organization: Organization, query: ListQuery) -> str:
    """The CES scale compute() reports as the headline (reports.metrics.satisfaction.ces: the
    scale most answers use, 1-7 on a tie), over the answers this list would show."""
    base = rows(organization=organization, query=ListQuery(MEASURES["ces_answers"], query.first, query.last,
                                                              query.filters, {"scale": "1-7"}), ordered=False)
    n7 = base.count()
    n5 = rows(organization=organization, query=ListQuery(MEASURES["ces_answers"], query.first, query.last,
                                                            query.filters, {"scale": "1-5"}), ordered=False).count()
    return "1-5" if n5 > n7 else "1-7"


def rows(*, organization: Organization, query: ListQuery, ordered: bool = True):
    """The measure's rows of the organization in the query's local days and filter.

    Annotated with ``at`` (the instant placing the row on its day), the ``dim_*`` dimensions
    and, for a duration measure, ``value_seconds`` (and ``target_seconds`` where it has an SLA
    target). Ordered by ``at`` then id unless ``ordered`` is False. Raises MetricsQueryError
    for an unknown filter value."""
    spec = query.measure
    qs = spec.model.objects.for_org(organization)
    start, end = _utc_bounds(query.range, organization.tzinfo)
    if spec.backlog:
        # Created by the end of the last day and not resolved by then (created − resolved over
        # every day up to the last, as the service's backlog adds them up).
        if end is not None:
            qs = qs.filter(created_at__lt=end).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        else:
            qs = qs.filter(resolved_at__isnull=True)
    else:
        qs = qs.filter(**{f"{spec.timestamp}__isnull": False})
        if start is not None:
            qs = qs.filter(**{f"{spec.timestamp}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{spec.timestamp}__lt": end})
    qs = qs.filter(spec.where(organization, query.options))
    qs = with_dimensions(organization, qs, spec.kind)
    qs = _filtered(organization, qs, spec.kind, query.filters)
    qs = qs.annotate(at=F(spec.timestamp))
    if spec.value is not None:
        qs = qs.annotate(value_seconds=spec.value())
        if spec.sla is not None:
            targets = targets_for(organization=organization)[spec.sla]
            qs = qs.annotate(target_seconds=TargetSeconds(targets, priority=spec.has_priority))
        if query.above == ABOVE_TARGET:
            # As the breach list: no target applying, or the value over it.
            qs = qs.filter(Q(target_seconds__isnull=True) | Q(value_seconds__gt=F("target_seconds")))
        elif query.above is not None:
            qs = qs.filter(value_seconds__gt=query.above)
    return qs.order_by("at", "pk") if ordered else qs


def dimension_label(*, organization: Organization, dimension: str, value: str) -> str:
    """How a heading names a filter value: the agent's or team's name, the channel's label."""
    from accounts.models import Team
    from chats.models import Channel, Tag

    if dimension == "channel":
        return str(Channel(value).label) if value in Channel.values else value
    if dimension in SURVEY_DIMENSIONS:
        return value
    model = {"agent": Agent, "team": Team, "tag": Tag}[dimension]
    ids = resolve_filter(organization, dimension, [value])
    obj = model.objects.for_org(organization).filter(pk__in=ids).first()
    return obj.name if obj else value


def heading(*, organization: Organization, query: ListQuery, scale: str | None = None) -> str:
    """A list's title in words: "Missed chats of team Support, 23–29 Nov 2026"."""
    from reports import formatting

    spec = query.measure
    title = str(spec.title)
    reason = query.options.get("reason")
    if reason:
        title = _("Missed chats: %(reason)s") % {
            "reason": str(MissedReason(reason).label) if reason != MISSED_OTHER else _("other reason")}
    if query.options.get("priority"):
        title = _("%(title)s, priority %(priority)s") % {"title": title,
                                                          "priority": str(Priority(query.options["priority"]).label).lower()}
    if spec.id == "ces_answers":
        title = _("%(title)s (scale %(scale)s)") % {"title": title, "scale": scale or query.options.get("scale") or "1-7"}
    if query.above == ABOVE_TARGET:
        title = _("%(title)s above the SLA target") % {"title": title}
    elif query.above is not None:
        title = _("%(title)s above %(seconds)s") % {"title": title, "seconds": formatting.duration(query.above)}
    phrases = {
        "agent": _("of agent %(name)s"), "team": _("of team %(name)s"), "channel": _("on channel %(name)s"),
        "tag": _("tagged %(name)s"), "segment": _("in segment %(name)s"), "touchpoint": _("at touchpoint %(name)s"),
    }
    for dim, value in query.filters.items():
        name = dimension_label(organization=organization, dimension=dim, value=value)
        title += " " + phrases[dim] % {"name": name}
    when = formatting.date_range(query.first, query.last)
    if spec.backlog:
        return _("%(title)s at the end of %(day)s") % {"title": title, "day": formatting.date(query.last)}
    return f"{title}, {when}"
