"""One spec per ingestible entity (API.md "Ingestion"): fields, rules, and the days it touches.

References name rows by external_id (tags by name) and must exist before the batch that uses
them, with one exception: a customer's ``referred_by`` may name another customer of the same
batch (or of an earlier line of the same import file), since referrals often arrive together.
An upsert replaces the row: optional fields left out take their defaults (and a conversation's
tags become exactly the sent list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from accounts.models import Agent, Organization, Team
from chats.ingestion.fields import (
    NOT_AN_OBJECT,
    Bool,
    Choice,
    Color,
    Count,
    Date,
    Email,
    Field,
    FieldError,
    JsonValue,
    Money,
    Ref,
    Seconds,
    Str,
    TagNames,
    Timestamp,
    Url,
    echo,
    number_or_text,
)
from chats.ingestion.framework import BatchContext, EntitySpec, Problem
from chats.ingestion.messages import MESSAGE_BEFORE_REQUEST, parse_messages, summarize_messages
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    ChatOutcome,
    ChatTag,
    Customer,
    Purchase,
    QualityReview,
    QualityScorecard,
    Tag,
    Ticket,
    TicketStatus,
    TicketTag,
    WebsiteTraffic,
)
from chats.windows import HISTORY
from reports.freshness import (
    answer_days,
    canned_use_days,
    customer_days,
    fcr_window_days,
    local_days,
)
from surveys.models import KIND_SCALES, SCALE_BOUNDS, Scale, SurveyAnswer

NOT_BEFORE = _("Must not be before %(earlier)s.")
ONE_CONVERSATION = _("Give a chat or a ticket, not both.")
ACCEPTED_WITH_MISSED_REASON = _("A chat that was accepted has no missed reason.")
MISSED_BUT_ACCEPTED = _("A missed chat has no accepted_at.")
RESOLVED_WITHOUT_TIME = _("A %(status)s ticket needs resolved_at.")
SCALE_NOT_FOR_KIND = _("Scale “%(scale)s” is not used for %(kind)s; use one of: %(scales)s.")
SCORE_OUT_OF_SCALE = _("Score %(score)s is outside the %(scale)s scale (%(low)d to %(high)d).")
SCORE_NOT_GOOD_BAD = _("On the good-bad scale the score is “good”, “bad”, 1 or 0.")
NOT_A_SCORE = _("A whole number is required.")
REFERS_ITSELF = _("A customer cannot refer itself.")
NO_ACTIVE_SCORECARD = _("The organization has no active quality scorecard; an admin must set one up first.")
NO_SCORES = _("At least one criterion score is required.")
UNKNOWN_CRITERION = _("“%(key)s” is not a criterion of the scorecard “%(scorecard)s”; criteria: %(criteria)s.")
CRITERION_SCORE_RANGE = _("Must be a number from 0 to %(max_score)s.")
SESSION_TOO_LONG = _("A session lasts at most %(days)d days; split longer ones.")

# An agent session marks every local day it spans dirty; none lasts longer than this.
MAX_SESSION = dt.timedelta(days=31)
# One canned response saves at most a day of typing.
MAX_SECONDS_SAVED = 86_400


def external_id() -> Str:
    return Str("external_id", required=True)


def _order(row: dict, pairs: tuple[tuple[str, str], ...]) -> Iterator[Problem]:
    """Each (later, earlier) pair: when both are set, later is not before earlier."""
    for later, earlier in pairs:
        if row[later] is not None and row[earlier] is not None and row[later] < row[earlier]:
            yield later, str(NOT_BEFORE % {"earlier": earlier})


def _one_conversation(row: dict) -> Iterator[Problem]:
    if row["chat"] is not None and row["ticket"] is not None:
        yield "ticket", str(ONE_CONVERSATION)


def _column_days(organization: Organization, rows: list[dict], *columns: str) -> set[dt.date]:
    return local_days(organization=organization, timestamps=(row[c] for row in rows for c in columns))


class TeamSpec(EntitySpec):
    # Teams, agents, tags and canned responses feed no day-based snapshot, so writing them marks
    # no day dirty (the EntitySpec default); customers and purchases do (the business sources).
    name = "teams"
    model = Team
    fields = [external_id(), Str("name", required=True)]


class AgentSpec(EntitySpec):
    name = "agents"
    model = Agent
    fields = [
        external_id(), Str("name", required=True), Email("email"), Ref("team", Team), Bool("active"),
    ]


# The customer fields the business snapshots count by (a change of these re-counts the days).
CUSTOMER_COUNTED = ("acquired_at", "churned_at", "referred_by", "referred_by_id")


class CustomerSpec(EntitySpec):
    name = "customers"
    model = Customer
    description = "`referred_by` may also name a customer of the same batch."
    fields = [
        external_id(), Str("name"), Email("email"), Str("segment"),
        Timestamp("acquired_at", required=True, window=HISTORY), Timestamp("churned_at", window=HISTORY), Ref("referred_by", Customer, same_batch=True),
    ]

    def check(self, row, given, ctx):
        yield from _order(row, (("churned_at", "acquired_at"),))
        if row["referred_by"] is not None and row["referred_by"] == row["external_id"]:
            yield "referred_by", str(REFERS_ITSELF)

    def dirty_days(self, organization, rows):
        versions: dict[str, list[dict]] = {}
        for row in rows:  # a new customer's row; a changed customer's new row, then its old one
            versions.setdefault(row["external_id"], []).append(row)
        # Customers acquired (and referred) count on the day of acquired_at, lost ones on the day
        # of churned_at (reports.builders.sources.business): the days of both versions of a
        # customer that is new or whose dates or referrer changed.
        counted = [row for rows_ in versions.values()
                   if len(rows_) == 1 or any(len({str(r.get(k)) for r in rows_}) > 1 for k in CUSTOMER_COUNTED)
                   for row in rows_]
        days = _column_days(organization, counted, "acquired_at", "churned_at")
        # Survey answers without a segment of their own are counted under their customer's.
        moved = [external_id for external_id, rows_ in versions.items() if len({r["segment"] for r in rows_}) > 1]
        if moved:
            ids = Customer.objects.for_org(organization).filter(external_id__in=moved).values_list("pk", flat=True)
            days |= customer_days(organization=organization, customer_ids=ids)
        return days


class PurchaseSpec(EntitySpec):
    name = "purchases"
    model = Purchase
    fields = [
        external_id(), Ref("customer", Customer, required=True), Money("amount", required=True),
        Timestamp("purchased_at", required=True, window=HISTORY),
    ]

    def dirty_days(self, organization, rows):
        return _column_days(organization, rows, "purchased_at")


class TagSpec(EntitySpec):
    name = "tags"
    model = Tag
    key = "name"
    description = "Tags are keyed by `name`; chats and tickets name them in their `tags` list."
    fields = [Str("name", required=True), Color("color"), Str("category"), Bool("high_priority")]


class Messages(JsonValue):
    def parse(self, value):
        return parse_messages(value)


CHAT_DERIVED_FROM_MESSAGES = (
    "messages_visitor", "messages_agent", "first_response_at", "response_time_total_s", "response_count",
)


class ChatSpec(EntitySpec):
    name = "chats"
    model = Chat
    tag_link = (ChatTag, "chat_id")
    fields = [
        external_id(), Timestamp("requested_at", required=True), Timestamp("accepted_at"),
        Timestamp("first_response_at"), Timestamp("ended_at"), Timestamp("closed_at"),
        Ref("agent", Agent), Ref("first_agent", Agent), Ref("team", Team), Ref("customer", Customer),
        Choice("channel"), Choice("initiated_by"), Choice("outcome"), Choice("missed_reason"),
        Count("messages_visitor"), Count("messages_agent"), Seconds("response_time_total_s"),
        Count("response_count"), Count("transfers"), TagNames(Tag), Timestamp("converted_at"),
        Money("conversion_value"), Bool("conversion_after_follow_up"), Seconds("time_on_site_before_chat_s"),
        Url("page_url"),
        Messages("messages", attname=None, help_text=(
            "[{\"author\": \"visitor\"|\"agent\"|\"bot\", \"sent_at\": timestamp}]; reduced to "
            "first_response_at, message counts and response-time sums for the fields not given. "
            "Message text is never stored."
        )),
    ]

    def check(self, row, given, ctx):
        messages = row["messages"]
        if messages is not None:
            if any(sent_at < row["requested_at"] for _author, sent_at in messages):
                yield "messages", str(MESSAGE_BEFORE_REQUEST)
                return
            summary = summarize_messages(messages, initiated_by=row["initiated_by"])
            for column in CHAT_DERIVED_FROM_MESSAGES:
                if column not in given:
                    row[column] = getattr(summary, column)
        yield from _order(row, (
            ("accepted_at", "requested_at"), ("first_response_at", "requested_at"), ("ended_at", "accepted_at"),
            ("ended_at", "requested_at"), ("closed_at", "ended_at"), ("converted_at", "requested_at"),
        ))
        if row["accepted_at"] is not None:
            if row["missed_reason"]:
                yield "missed_reason", str(ACCEPTED_WITH_MISSED_REASON)
            if row["outcome"] == ChatOutcome.MISSED:
                yield "outcome", str(MISSED_BUT_ACCEPTED)

    def dirty_days(self, organization, rows):
        return _column_days(organization, rows, "requested_at")

    def fcr_days(self, organization, rows):
        # The earlier days whose follow-up window reaches a chat: their first-contact resolution.
        return fcr_window_days(organization=organization, requested_ats=(row["requested_at"] for row in rows))


class TicketSpec(EntitySpec):
    name = "tickets"
    model = Ticket
    tag_link = (TicketTag, "ticket_id")
    fields = [
        external_id(), Str("subject"), Timestamp("created_at", required=True), Timestamp("first_response_at"),
        Timestamp("resolved_at"), Choice("status"), Choice("channel"), Choice("priority"),
        Ref("agent", Agent), Ref("team", Team), Ref("customer", Customer), TagNames(Tag),
        Count("reopened_count"), Count("agent_replies"), Seconds("response_time_total_s"), Count("response_count"),
        Bool("is_complaint"), Timestamp("escalated_at"), Choice("sentiment"),
    ]

    def check(self, row, given, ctx):
        yield from _order(row, (
            ("first_response_at", "created_at"), ("resolved_at", "created_at"), ("escalated_at", "created_at"),
        ))
        if row["status"] in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and row["resolved_at"] is None:
            yield "resolved_at", str(RESOLVED_WITHOUT_TIME % {"status": row["status"]})

    def dirty_days(self, organization, rows):
        # Volume counts on the day a ticket was created; resolution on the day it was resolved.
        return _column_days(organization, rows, "created_at", "resolved_at")


class SurveyScore(Field):
    """A whole number; on the good-bad scale also "good" / "bad"."""

    schema_class = None

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise FieldError(NOT_A_SCORE)
        return value

    def from_text(self, text):
        return number_or_text(int, text)

    def schema_field(self):
        from rest_framework import serializers

        return serializers.JSONField(help_text=(
            "Whole number inside the scale; on the good-bad scale \"good\"/\"bad\" or 1/0."
        ), required=True)


class SurveyAnswerSpec(EntitySpec):
    name = "survey-answers"
    model = SurveyAnswer
    fields = [
        external_id(), Choice("kind", required=True), SurveyScore("score", required=True),
        Timestamp("answered_at", required=True),
        Choice("scale", empty=None, help_text="Default by kind: csat 1-5, nps 0-10, ces 1-7."),
        Ref("chat", Chat, extra=("agent_id",)), Ref("ticket", Ticket, extra=("agent_id",)),
        Ref("agent", Agent, help_text="external_id of the agent; default: the chat's or ticket's agent"),
        Ref("customer", Customer), Str("comment"), Timestamp("responded_at"), Str("segment"), Str("touchpoint"),
    ]

    def check(self, row, given, ctx):
        yield from _one_conversation(row)
        yield from _order(row, (("responded_at", "answered_at"),))
        scales = KIND_SCALES[row["kind"]]
        scale = row["scale"] = row["scale"] or scales[0]
        if scale not in scales:
            yield "scale", str(SCALE_NOT_FOR_KIND % {"scale": scale, "kind": row["kind"], "scales": ", ".join(scales)})
            return
        score = row["score"]
        if scale == Scale.GOOD_BAD:
            score = {"good": 1, "bad": 0}.get(score, score)
            if score not in (0, 1) or isinstance(score, str):
                yield "score", str(SCORE_NOT_GOOD_BAD)
                return
        elif isinstance(score, str):
            yield "score", str(NOT_A_SCORE)
            return
        low, high = SCALE_BOUNDS[scale]
        if not low <= score <= high:
            yield "score", str(SCORE_OUT_OF_SCALE % {"score": score, "scale": scale, "low": low, "high": high})
        row["score"] = score
        if "agent" not in given:
            for field_name in ("chat", "ticket"):
                conversation = ctx.referenced(self.by_name[field_name], row[field_name])
                if conversation is not None:
                    row["agent_id"] = conversation["agent_id"]

    def dirty_days(self, organization, rows):
        return answer_days(organization=organization,
                           answers=((r["answered_at"], r["kind"], r["chat_id"], r["ticket_id"]) for r in rows))


class CannedResponseSpec(EntitySpec):
    name = "canned-responses"
    model = CannedResponse
    fields = [external_id(), Str("title", required=True), Str("text"),
              Seconds("seconds_saved", max_value=MAX_SECONDS_SAVED)]


class CannedResponseUseSpec(EntitySpec):
    name = "canned-response-uses"
    model = CannedResponseUse
    fields = [
        external_id(), Ref("canned_response", CannedResponse, required=True), Ref("agent", Agent, required=True),
        Timestamp("used_at", required=True), Ref("chat", Chat), Ref("ticket", Ticket),
    ]

    def check(self, row, given, ctx):
        yield from _one_conversation(row)

    def dirty_days(self, organization, rows):
        return canned_use_days(organization=organization, uses=((r["used_at"], r["chat_id"]) for r in rows))


class AgentSessionSpec(EntitySpec):
    name = "agent-sessions"
    model = AgentSession
    fields = [
        external_id(), Ref("agent", Agent, required=True), Timestamp("started_at", required=True),
        Timestamp("ended_at", required=True), Choice("status"),
    ]

    def check(self, row, given, ctx):
        yield from _order(row, (("ended_at", "started_at"),))
        if row["ended_at"] - row["started_at"] > MAX_SESSION:
            yield "ended_at", str(SESSION_TOO_LONG % {"days": MAX_SESSION.days})

    def dirty_days(self, organization, rows):
        # Reports split a session at local midnight: every local day it spans.
        days = set()
        tz = organization.tzinfo
        for row in rows:
            day, last = row["started_at"].astimezone(tz).date(), row["ended_at"].astimezone(tz).date()
            while day <= last:
                days.add(day)
                day += dt.timedelta(days=1)
        return days


class WebsiteTrafficSpec(EntitySpec):
    name = "website-traffic"
    model = WebsiteTraffic
    key = "date"
    fields = [Date("date", required=True, help_text="The organization's local day."), Count("visitors", required=True)]

    def dirty_days(self, organization, rows):
        return {row["date"] for row in rows}


class Scores(JsonValue):
    def parse(self, value):
        if not isinstance(value, dict):
            raise FieldError(NOT_AN_OBJECT)
        return value


class QualityReviewSpec(EntitySpec):
    name = "quality-reviews"
    model = QualityReview
    description = "`scores` are checked against the organization's active scorecard."
    extra_columns = ("scorecard_id",)
    fields = [
        external_id(), Ref("chat", Chat), Ref("ticket", Ticket), Ref("agent", Agent, required=True),
        Timestamp("reviewed_at", required=True), Str("reviewer"),
        Scores("scores", required=True, help_text="{criterion key: score} on the organization's active scorecard"),
    ]

    def load_context(self, ctx: BatchContext) -> None:
        ctx.data["scorecard"] = QualityScorecard.objects.for_org(ctx.organization).filter(active=True).first()

    def check(self, row, given, ctx):
        yield from _one_conversation(row)
        scorecard = ctx.data["scorecard"]
        if scorecard is None:
            yield "scores", str(NO_ACTIVE_SCORECARD)
            return
        row["scorecard_id"] = scorecard.pk
        maxima = {c["key"]: c["max_score"] for c in scorecard.criteria}
        if not row["scores"]:
            yield "scores", str(NO_SCORES)
        for key, score in row["scores"].items():
            if key not in maxima:
                yield f"scores.{echo(key)}", str(UNKNOWN_CRITERION % {
                    "key": echo(key), "scorecard": scorecard.name, "criteria": ", ".join(maxima),
                })
            elif isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= maxima[key]:
                yield f"scores.{key}", str(CRITERION_SCORE_RANGE % {"max_score": maxima[key]})

    def dirty_days(self, organization, rows):
        return _column_days(organization, rows, "reviewed_at")


SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        TeamSpec(), AgentSpec(), CustomerSpec(), PurchaseSpec(), TagSpec(), ChatSpec(), TicketSpec(),
        SurveyAnswerSpec(), CannedResponseSpec(), CannedResponseUseSpec(), AgentSessionSpec(),
        WebsiteTrafficSpec(), QualityReviewSpec(),
    )
}
