"""Query filters of the read API.

References (``agent``, ``team``, ``customer``, ``chat``, ...) are matched by external id and
tags by name, through the row's own foreign key on a queryset the view has already scoped to
the key's organization: another organization's ids simply match nothing. Time ranges are
half-open: ``<field>_after`` is inclusive, ``<field>_before`` exclusive.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

from accounts.models import Agent
from chats.models import (
    AgentSession,
    CannedResponseUse,
    Chat,
    Customer,
    Purchase,
    QualityReview,
    Tag,
    Ticket,
    WebsiteTraffic,
)
from surveys.models import SurveyAnswer

OUT_OF_RANGE = _("Enter a time between the years 1 and 9999 with a UTC offset within ±14:00.")
# The widest offset in use anywhere (Pacific/Kiritimati); PostgreSQL refuses much wider ones.
MAX_UTC_OFFSET = dt.timedelta(hours=14)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC; offsets no place uses and overflowing years are 400s."""

    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return None
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(OUT_OF_RANGE, code="out_of_range")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError(OUT_OF_RANGE, code="out_of_range") from exc


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def time_range(field: str) -> tuple[UtcDateTimeFilter, UtcDateTimeFilter]:
    """``<name>_after`` (inclusive) and ``<name>_before`` (exclusive) on ``field``."""
    return (
        UtcDateTimeFilter(
            field_name=field, lookup_expr="gte",
            label=format_lazy(_("Only rows with {field} at or after this ISO 8601 time."), field=field),
        ),
        UtcDateTimeFilter(
            field_name=field, lookup_expr="lt",
            label=format_lazy(_("Only rows with {field} before this ISO 8601 time."), field=field),
        ),
    )


def reference(name: str) -> filters.CharFilter:
    """Rows whose ``name`` reference is the object with this external id."""
    return filters.CharFilter(
        field_name=f"{name}__external_id",
        label=format_lazy(_("Only rows whose {name} has this external id."), name=name.replace("_", " ")),
    )


def tag_filter() -> filters.CharFilter:
    return filters.CharFilter(field_name="tags__name", label=_("Only rows tagged with this tag name."))


class AgentFilter(filters.FilterSet):
    team = reference("team")

    class Meta:
        model = Agent
        fields = ["team", "active"]


class CustomerFilter(filters.FilterSet):
    acquired_after, acquired_before = time_range("acquired_at")

    class Meta:
        model = Customer
        fields = ["segment"]


class PurchaseFilter(filters.FilterSet):
    purchased_after, purchased_before = time_range("purchased_at")
    customer = reference("customer")

    class Meta:
        model = Purchase
        fields = ["customer"]


class TagFilter(filters.FilterSet):
    class Meta:
        model = Tag
        fields = ["category", "high_priority"]


class ChatFilter(filters.FilterSet):
    requested_after, requested_before = time_range("requested_at")
    agent = reference("agent")
    team = reference("team")
    customer = reference("customer")
    tag = tag_filter()

    class Meta:
        model = Chat
        fields = ["agent", "team", "customer", "tag", "channel", "initiated_by", "outcome"]


class TicketFilter(filters.FilterSet):
    created_after, created_before = time_range("created_at")
    resolved_after, resolved_before = time_range("resolved_at")
    agent = reference("agent")
    team = reference("team")
    customer = reference("customer")
    tag = tag_filter()

    class Meta:
        model = Ticket
        fields = ["agent", "team", "customer", "tag", "status", "channel", "priority"]


class SurveyAnswerFilter(filters.FilterSet):
    answered_after, answered_before = time_range("answered_at")
    agent = reference("agent")
    customer = reference("customer")
    chat = reference("chat")
    ticket = reference("ticket")

    class Meta:
        model = SurveyAnswer
        fields = ["kind", "agent", "customer", "chat", "ticket"]


class CannedResponseUseFilter(filters.FilterSet):
    used_after, used_before = time_range("used_at")
    canned_response = reference("canned_response")
    agent = reference("agent")
    chat = reference("chat")
    ticket = reference("ticket")

    class Meta:
        model = CannedResponseUse
        fields = ["canned_response", "agent", "chat", "ticket"]


class AgentSessionFilter(filters.FilterSet):
    started_after, started_before = time_range("started_at")
    agent = reference("agent")

    class Meta:
        model = AgentSession
        fields = ["agent", "status"]


class WebsiteTrafficFilter(filters.FilterSet):
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", label=_("Only days on or after this date."))
    date_before = filters.DateFilter(field_name="date", lookup_expr="lt", label=_("Only days before this date."))

    class Meta:
        model = WebsiteTraffic
        fields: list[str] = []


class QualityReviewFilter(filters.FilterSet):
    reviewed_after, reviewed_before = time_range("reviewed_at")
    agent = reference("agent")
    chat = reference("chat")
    ticket = reference("ticket")

    class Meta:
        model = QualityReview
        fields = ["agent", "chat", "ticket"]
