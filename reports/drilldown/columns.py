"""The columns of each list: one definition gives the page's cells (formatted by the active
locale) and the export's values (machine-readable, reports.exports), so page and file agree.

A column reads one row (an annotated Chat, Ticket, SurveyAnswer or CannedResponseUse from
reports.drilldown.selectors.rows) into a raw value: an instant in the organization's time zone,
seconds, a count, text. Durations of one conversation are its own timestamps' differences,
defined as the snapshot builder defines them (an unanswered chat has no wait, FRT or duration).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chats.models import MissedReason
from reports import formatting
from reports.drilldown.selectors import ANSWER, CANNED_USE, CHAT, TICKET
from reports.exports import Column
from surveys.models import SurveyAnswer

INSTANT, SECONDS, COUNT, TEXT, LINK = "instant", "seconds", "count", "text", "link"


@dataclass(frozen=True)
class ListColumn:
    id: str
    header: object
    kind: str
    read: Callable
    numeric: bool = False
    # On the page only (exports keep every column apart): shown under another column's text.
    under: str | None = None

    def export_column(self) -> Column:
        return Column(self.id, str(self.header), 1 if self.kind == SECONDS else None)


def _seconds(later, earlier) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def _answered(chat) -> bool:
    return chat.accepted_at is not None


def chat_wait(chat):
    return _seconds(chat.accepted_at, chat.requested_at) if _answered(chat) else None


def chat_frt(chat):
    return _seconds(chat.first_response_at, chat.requested_at) if _answered(chat) else None


def chat_duration(chat):
    return _seconds(chat.ended_at, chat.accepted_at) if _answered(chat) else None


def chat_wrap(chat):
    return _seconds(chat.closed_at, chat.ended_at)


def chat_status(chat) -> str:
    if not _answered(chat):
        reason = MissedReason(chat.missed_reason).label if chat.missed_reason in MissedReason.values else _("other reason")
        return str(_("Missed: %(reason)s") % {"reason": reason})
    return str(chat.get_outcome_display() or _("Answered"))


def _tags(row) -> str:
    return ", ".join(sorted(t.name for t in row.tags.all()))


def _csat(row) -> str:
    answers = [a for a in row.survey_answers.all() if a.kind == "csat"]
    return ", ".join(f"{a.score} ({a.scale})" for a in sorted(answers, key=lambda a: a.answered_at))


def _name(obj) -> str:
    return obj.name if obj is not None else ""


def _team(row) -> str:
    team = row.team if row.team_id else (row.agent.team if row.agent_id and row.agent.team_id else None)
    return _name(team)


def _conversation(row) -> str:
    if row.chat_id:
        return row.chat.external_id
    if row.ticket_id:
        return row.ticket.external_id
    return ""


def _conversation_channel(row) -> str:
    conversation = row.chat if row.chat_id else row.ticket if row.ticket_id else None
    return conversation.get_channel_display() if conversation else ""


def _conversation_team(row) -> str:
    conversation = row.chat if row.chat_id else row.ticket if row.ticket_id else None
    team = conversation.team if conversation is not None and conversation.team_id else None
    if team is None:
        agent = _answer_agent(row)
        team = agent.team if agent is not None and agent.team_id else None
    return _name(team)


def _answer_agent(row):
    if row.agent_id:
        return row.agent
    conversation = row.chat if row.chat_id else row.ticket if row.ticket_id else None
    return conversation.agent if conversation is not None and conversation.agent_id else None


def chat_columns(tz, *, target: bool, value_header=None, measure=None, placed_by=None) -> list[ListColumn]:
    columns = [
        ListColumn("requested_at", _("Requested"), INSTANT, lambda c: c.requested_at.astimezone(tz)),
        ListColumn("chat", _("Chat"), LINK, lambda c: c.external_id),
        ListColumn("agent", _("Agent"), TEXT, lambda c: _name(c.agent)),
        ListColumn("team", _("Team"), TEXT, _team, under="agent"),
        ListColumn("channel", _("Channel"), TEXT, lambda c: c.get_channel_display()),
        ListColumn("status", _("Outcome"), TEXT, chat_status),
        ListColumn("wait_time", _("Wait"), SECONDS, chat_wait, True),
        ListColumn("first_response_time", _("First response"), SECONDS, chat_frt, True),
        ListColumn("chat_duration", _("Duration"), SECONDS, chat_duration, True),
        ListColumn("transfers", _("Transfers"), COUNT, lambda c: c.transfers, True, under="status"),
        ListColumn("tags", _("Tags"), TEXT, _tags),
        ListColumn("csat", _("CSAT"), TEXT, _csat),
    ]
    return _with_measure(columns, target=target, value_header=value_header, measure=measure)


def ticket_columns(tz, *, target: bool, value_header=None, measure=None, placed_by=None) -> list[ListColumn]:
    columns = [
        ListColumn("created_at", _("Created"), INSTANT, lambda t: t.created_at.astimezone(tz)),
        ListColumn("ticket", _("Ticket"), LINK, lambda t: t.external_id),
        ListColumn("subject", _("Subject"), TEXT, lambda t: t.subject, under="ticket"),
        ListColumn("agent", _("Agent"), TEXT, lambda t: _name(t.agent)),
        ListColumn("team", _("Team"), TEXT, _team, under="agent"),
        ListColumn("channel", _("Channel"), TEXT, lambda t: t.get_channel_display()),
        ListColumn("priority", _("Priority"), TEXT, lambda t: t.get_priority_display()),
        ListColumn("status", _("Status"), TEXT, lambda t: t.get_status_display()),
        ListColumn("ticket_first_response_time", _("First response"), SECONDS,
                   lambda t: _seconds(t.first_response_at, t.created_at), True),
        ListColumn("resolved_at", _("Resolved"), INSTANT, lambda t: t.resolved_at.astimezone(tz) if t.resolved_at else None),
        ListColumn("resolution_time", _("Resolution time"), SECONDS, lambda t: _seconds(t.resolved_at, t.created_at), True),
        ListColumn("reopened", _("Reopened"), COUNT, lambda t: t.reopened_count, True, under="status"),
        ListColumn("tags", _("Tags"), TEXT, _tags),
        ListColumn("csat", _("CSAT"), TEXT, _csat),
    ]
    if placed_by == "resolved_at":  # listed by resolution: its instant first
        columns.insert(0, columns.pop(next(i for i, c in enumerate(columns) if c.id == "resolved_at")))
    return _with_measure(columns, target=target, value_header=value_header, measure=measure)


def answer_columns(tz, **_unused) -> list[ListColumn]:
    return [
        ListColumn("answered_at", _("Answered"), INSTANT, lambda a: a.answered_at.astimezone(tz)),
        ListColumn("kind", _("Survey"), TEXT, lambda a: a.kind.upper()),
        ListColumn("score", _("Score"), COUNT, lambda a: a.score, True),
        ListColumn("scale", _("Scale"), TEXT, lambda a: a.scale),
        ListColumn("comment", _("Comment"), TEXT, lambda a: a.comment),
        ListColumn("agent", _("Agent"), TEXT, lambda a: _name(_answer_agent(a))),
        ListColumn("team", _("Team"), TEXT, _conversation_team, under="agent"),
        ListColumn("channel", _("Channel"), TEXT, _conversation_channel),
        ListColumn("conversation", _("Conversation"), LINK, _conversation),
        ListColumn("segment", _("Segment"), TEXT, lambda a: a.dim_segment),
        ListColumn("touchpoint", _("Touchpoint"), TEXT, lambda a: a.touchpoint),
    ]


def canned_use_columns(tz, **_unused) -> list[ListColumn]:
    return [
        ListColumn("used_at", _("Used"), INSTANT, lambda u: u.used_at.astimezone(tz)),
        ListColumn("canned_response", _("Canned response"), TEXT, lambda u: u.canned_response.title),
        ListColumn("agent", _("Agent"), TEXT, lambda u: _name(u.agent)),
        ListColumn("team", _("Team"), TEXT, _conversation_team, under="agent"),
        ListColumn("channel", _("Channel"), TEXT, _conversation_channel),
        ListColumn("conversation", _("Conversation"), LINK, _conversation),
    ]


def _with_measure(columns, *, target: bool, value_header, measure: str | None = None) -> list[ListColumn]:
    """The measured time (when no standard column shows it) and its SLA target, side by side,
    after the column of the measure's own time where there is one."""
    ids = [c.id for c in columns]
    at = ids.index(measure) + 1 if measure in ids else ids.index("status") + 1
    if target:
        columns.insert(at, ListColumn("target_seconds", _("SLA target"), SECONDS, lambda r: r.target_seconds, True))
    if value_header is not None:
        columns.insert(at, ListColumn("value_seconds", value_header, SECONDS, lambda r: r.value_seconds, True))
    return columns


COLUMNS = {CHAT: chat_columns, TICKET: ticket_columns, ANSWER: answer_columns, CANNED_USE: canned_use_columns}


def with_related(qs, kind: str):
    """The rows with what their columns read, in a fixed number of queries per page."""
    csat = Prefetch("survey_answers", queryset=SurveyAnswer.unscoped.filter(kind="csat"))
    if kind == CHAT:
        return qs.select_related("agent", "agent__team", "team").prefetch_related("tags", csat)
    if kind == TICKET:
        return qs.select_related("agent", "agent__team", "team").prefetch_related("tags", csat)
    conversation = ("chat", "chat__team", "chat__agent", "chat__agent__team",
                    "ticket", "ticket__team", "ticket__agent", "ticket__agent__team")
    if kind == ANSWER:
        return qs.select_related("agent", "agent__team", *conversation)
    return qs.select_related("canned_response", "agent", "agent__team", *conversation)


def display(column: ListColumn, value, tz) -> str:
    if column.kind == INSTANT:
        return formatting.datetime(value, tz, "short") if value is not None else formatting.EMPTY
    if column.kind == SECONDS:
        return formatting.duration(value)
    if column.kind == COUNT:
        return formatting.number(value)
    return value if value not in (None, "") else ""


def row_link(organization, kind: str, row) -> str | None:
    """The timeline a row links to."""
    slug = organization.slug
    if kind == CHAT:
        return reverse("chat_timeline", kwargs={"org_slug": slug, "chat_id": row.pk})
    if kind == TICKET:
        return reverse("ticket_timeline", kwargs={"org_slug": slug, "ticket_id": row.pk})
    if row.chat_id:
        return reverse("chat_timeline", kwargs={"org_slug": slug, "chat_id": row.chat_id})
    if row.ticket_id:
        return reverse("ticket_timeline", kwargs={"org_slug": slug, "ticket_id": row.ticket_id})
    return None


def page_cells(columns: list[ListColumn], row, tz) -> list[dict]:
    """A row's cells on the page: each column's text, with the texts of the columns shown under
    it (``under``) as notes; a count of 0 under another column is left out."""
    cells, by_id = [], {}
    for column in columns:
        value = column.read(row)
        if column.under is None:
            cell = {"column": column, "text": display(column, value, tz), "notes": []}
            cells.append(cell)
            by_id[column.id] = cell
        elif value not in (None, "", 0):
            note = display(column, value, tz)
            if column.kind == COUNT:
                note = f"{column.header}: {note}"
            by_id[column.under]["notes"].append(note)
    return cells
