"""``GET /api/v1/<entity>/`` and ``GET /api/v1/<entity>/<external_id>/`` for helpdesk data.

Each endpoint is a thin ``OrgAPIView``: the base scopes every query to the API key's
organization, so another organization's external id is the same 404 as a missing one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from accounts.api.base import OrgAPIView
from accounts.models import Agent, Team
from chats.api import filters
from chats.api import read_serializers as out
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    Customer,
    Purchase,
    QualityReview,
    Tag,
    Ticket,
    WebsiteTraffic,
)
from chats.selectors import with_references
from surveys.models import SurveyAnswer

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class ReadCursorPagination(CursorPagination):
    """Stable pages over a changing table, ordered by the view's ``ordering`` (time, then id).

    A cursor is opaque but not signed: one whose position is not a value of the first ordering
    column (a tampered or hand-made cursor) is an invalid cursor, 404, as one that does not
    decode is, and never reaches the database.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("id",)
    model = None

    def get_ordering(self, request, queryset, view):
        self.model = queryset.model
        return tuple(getattr(view, "ordering", self.ordering))

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor is not None else None
        if position is not None and ("\x00" in position or not self.position_is_valid(position)):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def position_is_valid(self, position: str) -> bool:
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)
            field.get_db_prep_value(value, connection)  # an id beyond the column's range, say
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return value is not None


class ReadView(OrgAPIView, viewsets.ReadOnlyModelViewSet):
    """List and retrieve one entity; subclasses name ``model``, ``serializer_class``, ``ordering``.

    ``READ_VIEWS`` below documents each for OpenAPI (see ``document``).
    """

    pagination_class = ReadCursorPagination
    ordering: tuple[str, ...] = ("id",)

    def scope_queryset(self, queryset):
        return with_references(queryset)


class TeamView(ReadView):
    model = Team
    serializer_class = out.TeamReadSerializer


class AgentView(ReadView):
    model = Agent
    serializer_class = out.AgentReadSerializer
    filterset_class = filters.AgentFilter


class CustomerView(ReadView):
    model = Customer
    serializer_class = out.CustomerReadSerializer
    filterset_class = filters.CustomerFilter
    ordering = ("acquired_at", "id")


class PurchaseView(ReadView):
    model = Purchase
    serializer_class = out.PurchaseReadSerializer
    filterset_class = filters.PurchaseFilter
    ordering = ("purchased_at", "id")


class TagView(ReadView):
    model = Tag
    serializer_class = out.TagReadSerializer
    filterset_class = filters.TagFilter
    lookup_field = "name"


class ChatView(ReadView):
    model = Chat
    serializer_class = out.ChatReadSerializer
    filterset_class = filters.ChatFilter
    ordering = ("requested_at", "id")


class TicketView(ReadView):
    model = Ticket
    serializer_class = out.TicketReadSerializer
    filterset_class = filters.TicketFilter
    ordering = ("created_at", "id")


class SurveyAnswerView(ReadView):
    model = SurveyAnswer
    serializer_class = out.SurveyAnswerReadSerializer
    filterset_class = filters.SurveyAnswerFilter
    ordering = ("answered_at", "id")


class CannedResponseView(ReadView):
    model = CannedResponse
    serializer_class = out.CannedResponseReadSerializer


class CannedResponseUseView(ReadView):
    model = CannedResponseUse
    serializer_class = out.CannedResponseUseReadSerializer
    filterset_class = filters.CannedResponseUseFilter
    ordering = ("used_at", "id")


class AgentSessionView(ReadView):
    model = AgentSession
    serializer_class = out.AgentSessionReadSerializer
    filterset_class = filters.AgentSessionFilter
    ordering = ("started_at", "id")


class WebsiteTrafficView(ReadView):
    model = WebsiteTraffic
    serializer_class = out.WebsiteTrafficReadSerializer
    filterset_class = filters.WebsiteTrafficFilter
    lookup_field = "date"
    ordering = ("date", "id")


class QualityReviewView(ReadView):
    model = QualityReview
    serializer_class = out.QualityReviewReadSerializer
    filterset_class = filters.QualityReviewFilter
    ordering = ("reviewed_at", "id")


LIST_DESCRIPTION = (
    "All {plural} of the API key's organization, in pages ordered by {ordering}. Follow `next` "
    "until it is null; a cursor stays valid while rows are added. `page_size` defaults to "
    f"{DEFAULT_PAGE_SIZE} and is capped at {MAX_PAGE_SIZE}. Time filters are half-open: `*_after` "
    "is inclusive, `*_before` exclusive. Reference filters take external ids (tags: names); "
    "ids of another organization match nothing."
)
LOOKUP_DESCRIPTIONS = {
    "external_id": ("The {singular}'s external id (as sent at ingestion).", OpenApiTypes.STR),
    "name": ("The tag's name.", OpenApiTypes.STR),
    "date": ("The local day, YYYY-MM-DD.", OpenApiTypes.DATE),
}


def document(view: type[ReadView]) -> type[ReadView]:
    """Summaries, descriptions and the path parameter of the view's two operations."""
    singular, plural = str(view.model._meta.verbose_name), str(view.model._meta.verbose_name_plural)
    lookup_text, lookup_type = LOOKUP_DESCRIPTIONS[view.lookup_field]
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {plural}",
            description=LIST_DESCRIPTION.format(plural=plural, ordering=", then ".join(view.ordering)),
        ),
        retrieve=extend_schema(
            summary=f"Retrieve one {singular}",
            description=f"One {singular} by its {view.lookup_field.replace('_', ' ')}; 404 when the "
            "API key's organization has none (another organization's is the same 404).",
            parameters=[OpenApiParameter(
                view.lookup_field, lookup_type, OpenApiParameter.PATH,
                description=lookup_text.format(singular=singular),
            )],
        ),
    )(view)


# URL segment -> view; read_urls builds the list and detail routes from it.
READ_VIEWS: dict[str, type[ReadView]] = {
    "teams": TeamView,
    "agents": AgentView,
    "customers": CustomerView,
    "purchases": PurchaseView,
    "tags": TagView,
    "chats": ChatView,
    "tickets": TicketView,
    "survey-answers": SurveyAnswerView,
    "canned-responses": CannedResponseView,
    "canned-response-uses": CannedResponseUseView,
    "agent-sessions": AgentSessionView,
    "website-traffic": WebsiteTrafficView,
    "quality-reviews": QualityReviewView,
}
for _view in READ_VIEWS.values():
    document(_view)
