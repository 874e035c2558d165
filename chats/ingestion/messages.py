"""Reduce a chat's message list to the timestamps and counts the metrics need.

Messages are never stored (DESIGN.md, step 1). From ``[{"author", "sent_at"}, ...]`` we keep:

- ``messages_visitor`` / ``messages_agent``: how many each side sent (bot messages count for
  neither side, METRICS.md ``messages_per_chat`` is visitor + agent);
- ``first_response_at``: the first agent message that answers the request. For a chat the
  visitor started, the request is the chat request itself, so it is the first agent message
  (messages never precede ``requested_at``; the item is rejected otherwise). For a chat the
  agent started (proactive), the agent's opening message is the invitation, not a response: the
  request is the visitor's first message, and the first response is the next agent message;
- ``response_time_total_s`` / ``response_count`` (METRICS.md ``response_time``: every
  customer-message → next agent-reply interval): bot messages are left out, consecutive visitor
  messages form a run, and each run that an agent message follows gives one interval, from the
  run's FIRST visitor message to that agent message. A run nobody answered gives none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from chats.ingestion.fields import NOT_AN_OBJECT, FieldError, echo, parse_timestamp
from chats.models import InitiatedBy

AUTHORS = ("visitor", "agent", "bot")
NOT_A_MESSAGE_LIST = _("A list of messages ({“author”, “sent_at”}) is required.")
NOT_AN_AUTHOR = _("“%(value)s” is not one of: visitor, agent, bot.")
MESSAGE_BEFORE_REQUEST = _("A message cannot be sent before the chat was requested.")


@dataclass(frozen=True)
class MessageSummary:
    messages_visitor: int
    messages_agent: int
    first_response_at: dt.datetime | None
    response_time_total_s: float
    response_count: int


def parse_messages(value) -> list[tuple[str, dt.datetime]]:
    """[(author, sent_at)] from the JSON list; FieldError names the bad message's field.

    Keys other than ``author`` and ``sent_at`` (a message's text, say) are ignored.
    """
    if not isinstance(value, list):
        raise FieldError(NOT_A_MESSAGE_LIST)
    messages = []
    for i, message in enumerate(value):
        if not isinstance(message, dict):
            raise FieldError(NOT_AN_OBJECT, field=f"messages[{i}]")
        author = message.get("author")
        if author not in AUTHORS or not isinstance(author, str):
            raise FieldError(NOT_AN_AUTHOR % {"value": echo(author)}, field=f"messages[{i}].author")
        try:
            sent_at = parse_timestamp(message.get("sent_at"))
        except FieldError as exc:
            raise FieldError(exc.message, field=f"messages[{i}].sent_at") from exc
        messages.append((author, sent_at))
    return messages


def summarize_messages(messages: list[tuple[str, dt.datetime]], *, initiated_by: str) -> MessageSummary:
    """The counts and response times of one chat's messages (in any order; sorted by sent_at)."""
    ordered = sorted(messages, key=lambda message: message[1])
    visitor = agent = 0
    run_started: dt.datetime | None = None
    first_visitor_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    total = 0.0
    count = 0
    for author, sent_at in ordered:
        if author == "visitor":
            visitor += 1
            if run_started is None:
                run_started = sent_at
            if first_visitor_at is None:
                first_visitor_at = sent_at
        elif author == "agent":
            agent += 1
            if first_response_at is None and (initiated_by != InitiatedBy.AGENT or first_visitor_at is not None):
                first_response_at = sent_at
            if run_started is not None:
                total += (sent_at - run_started).total_seconds()
                count += 1
                run_started = None
    return MessageSummary(visitor, agent, first_response_at, total, count)
