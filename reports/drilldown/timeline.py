"""One conversation's timeline: every timestamp (in the organization's time zone), its agents,
transfers, tags, canned-response uses, survey answers, message counts and its SLA outcome
against the target that applies to it (the builder's CASE, through reports.breaches)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agent, Organization
from chats.models import CannedResponseUse, Chat, Ticket
from reports.breaches import Seconds, TargetSeconds
from reports.models import SlaMetric
from reports.sla import targets_for
from surveys.models import SurveyAnswer


class NotFound(Exception):
    """Missing, another organization's, or not the agent's own: the same answer."""


@dataclass
class Event:
    at: dt.datetime
    label: str
    detail: str = ""
    seconds: float | None = None      # time since the event it follows (wait, FRT, ...)
    seconds_label: str = ""


@dataclass
class SlaOutcome:
    measure: str
    label: str
    actual: float | None
    target: int | None

    @property
    def met(self) -> bool | None:
        """None: nothing to measure; False also when no target applies (as the builder counts)."""
        if self.actual is None:
            return None
        return self.target is not None and self.actual <= self.target


@dataclass
class Timeline:
    conversation: object
    kind: str
    events: list[Event]
    sla: list[SlaOutcome]
    tags: list = field(default_factory=list)
    canned_uses: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    agents: list = field(default_factory=list)


def _own(agent: Agent | None) -> Q | None:
    return None if agent is None else Q(agent=agent) | Q(first_agent=agent)


def chat_timeline(*, organization: Organization, chat_id: int, own_agent: Agent | None = None) -> Timeline:
    """The chat's timeline. ``own_agent``: only a chat this agent handled or first took (an
    agent-role member's own conversations); otherwise NotFound, as for a missing id."""
    targets = targets_for(organization=organization)
    qs = (Chat.objects.for_org(organization).filter(pk=chat_id)
          .select_related("agent", "agent__team", "first_agent", "team", "customer")
          .annotate(frt_s=Seconds("first_response_at", "requested_at"), wait_s=Seconds("accepted_at", "requested_at"),
                    frt_target=TargetSeconds(targets[SlaMetric.CHAT_FIRST_RESPONSE], priority=False),
                    wait_target=TargetSeconds(targets[SlaMetric.CHAT_WAIT], priority=False)))
    if own_agent is not None:
        qs = qs.filter(_own(own_agent))
    chat = qs.first()
    if chat is None:
        raise NotFound
    answered = chat.accepted_at is not None
    events = [Event(chat.requested_at, str(_("Requested")),
                    str(_("Started by the agent (proactive)")) if chat.initiated_by == "agent" else "")]
    if answered:
        events.append(Event(chat.accepted_at, str(_("Accepted")), _name(chat.first_agent or chat.agent),
                            chat.wait_s, str(_("wait"))))
    if chat.first_response_at:
        events.append(Event(chat.first_response_at, str(_("First agent response")), "",
                            chat.frt_s, str(_("first response time"))))
    uses = list(CannedResponseUse.objects.for_org(organization).filter(chat=chat)
                .select_related("canned_response", "agent").order_by("used_at", "pk"))
    for use in uses:
        events.append(Event(use.used_at, str(_("Canned response used")), f"{use.canned_response.title} · {_name(use.agent)}"))
    if chat.ended_at:
        events.append(Event(chat.ended_at, str(_("Ended")), "", _secs(chat.ended_at, chat.accepted_at) if answered else None,
                            str(_("duration"))))
    if chat.closed_at:
        events.append(Event(chat.closed_at, str(_("Closed")), "", _secs(chat.closed_at, chat.ended_at),
                            str(_("wrap-up"))))
    if chat.converted_at:
        value = f" · {chat.conversion_value}" if chat.conversion_value is not None else ""
        events.append(Event(chat.converted_at, str(_("Converted")), value.lstrip(" ·")))
    answers = _answers(organization, Q(chat=chat))
    for a in answers:
        events.append(_answer_event(a))
    if not answered:
        events.append(Event(chat.requested_at, str(_("Missed")), chat.get_missed_reason_display() or str(_("other reason"))))
    sla = [
        SlaOutcome(SlaMetric.CHAT_FIRST_RESPONSE, str(_("First response")),
                   chat.frt_s if answered and chat.first_response_at else None, chat.frt_target),
        SlaOutcome(SlaMetric.CHAT_WAIT, str(_("Wait")), chat.wait_s if answered else None, chat.wait_target),
    ]
    agents = [a for a in dict.fromkeys([chat.first_agent, chat.agent]) if a is not None]
    return Timeline(chat, "chat", _sorted(events), sla, tags=list(chat.tags.all()), canned_uses=uses,
                    answers=answers, agents=agents)


def ticket_timeline(*, organization: Organization, ticket_id: int, own_agent: Agent | None = None) -> Timeline:
    """The ticket's timeline; ``own_agent``: only the agent's own ticket (else NotFound)."""
    targets = targets_for(organization=organization)
    qs = (Ticket.objects.for_org(organization).filter(pk=ticket_id)
          .select_related("agent", "agent__team", "team", "customer")
          .annotate(frt_s=Seconds("first_response_at", "created_at"), res_s=Seconds("resolved_at", "created_at"),
                    frt_target=TargetSeconds(targets[SlaMetric.TICKET_FIRST_RESPONSE], priority=True),
                    res_target=TargetSeconds(targets[SlaMetric.TICKET_RESOLUTION], priority=True)))
    if own_agent is not None:
        qs = qs.filter(agent=own_agent)
    ticket = qs.first()
    if ticket is None:
        raise NotFound
    events = [Event(ticket.created_at, str(_("Created")), ticket.subject)]
    if ticket.first_response_at:
        events.append(Event(ticket.first_response_at, str(_("First response")), "", ticket.frt_s,
                            str(_("first response time"))))
    if ticket.escalated_at:
        events.append(Event(ticket.escalated_at, str(_("Escalated")), ""))
    uses = list(CannedResponseUse.objects.for_org(organization).filter(ticket=ticket)
                .select_related("canned_response", "agent").order_by("used_at", "pk"))
    for use in uses:
        events.append(Event(use.used_at, str(_("Canned response used")), f"{use.canned_response.title} · {_name(use.agent)}"))
    if ticket.resolved_at:
        events.append(Event(ticket.resolved_at, str(_("Resolved")), "", ticket.res_s, str(_("resolution time"))))
    answers = _answers(organization, Q(ticket=ticket))
    for a in answers:
        events.append(_answer_event(a))
    sla = [
        SlaOutcome(SlaMetric.TICKET_FIRST_RESPONSE, str(_("First response")),
                   ticket.frt_s if ticket.first_response_at else None, ticket.frt_target),
        SlaOutcome(SlaMetric.TICKET_RESOLUTION, str(_("Resolution")),
                   ticket.res_s if ticket.resolved_at else None, ticket.res_target),
    ]
    return Timeline(ticket, "ticket", _sorted(events), sla, tags=list(ticket.tags.all()), canned_uses=uses,
                    answers=answers, agents=[ticket.agent] if ticket.agent else [])


def _answers(organization, q: Q) -> list:
    return list(SurveyAnswer.objects.for_org(organization).filter(q).select_related("agent").order_by("answered_at", "pk"))


def _answer_event(answer) -> Event:
    detail = f"{answer.score} ({answer.scale})"
    if answer.comment:
        detail += f" · “{answer.comment}”"
    return Event(answer.answered_at, str(_("%(kind)s answer") % {"kind": answer.kind.upper()}), detail)


def _sorted(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.at)  # stable: same instants keep their order


def _secs(later, earlier):
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def _name(obj) -> str:
    return obj.name if obj is not None else ""
