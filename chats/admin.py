from django.contrib import admin

from chats.models import (
    AgentSession, CannedResponse, CannedResponseUse, Chat, Customer, Purchase, QualityReview,
    QualityScorecard, Tag, Ticket, WebsiteTraffic,
)


class OrgAdmin(admin.ModelAdmin):
    """Operators' view across organizations: organization column and filter on every list."""

    list_filter = ["organization"]
    list_select_related = ["organization"]
    show_full_result_count = False


@admin.register(Customer)
class CustomerAdmin(OrgAdmin):
    list_display = ["external_id", "name", "segment", "acquired_at", "churned_at", "organization"]
    search_fields = ["external_id", "name", "email"]
    raw_id_fields = ["referred_by"]


@admin.register(Purchase)
class PurchaseAdmin(OrgAdmin):
    list_display = ["external_id", "customer", "amount", "purchased_at", "organization"]
    search_fields = ["external_id"]
    raw_id_fields = ["customer"]


@admin.register(Tag)
class TagAdmin(OrgAdmin):
    list_display = ["name", "category", "high_priority", "organization"]
    search_fields = ["name", "category"]


@admin.register(Chat)
class ChatAdmin(OrgAdmin):
    list_display = ["external_id", "requested_at", "agent", "channel", "outcome", "organization"]
    list_filter = ["organization", "channel", "outcome", "initiated_by"]
    search_fields = ["external_id"]
    date_hierarchy = "requested_at"
    raw_id_fields = ["agent", "first_agent", "team", "customer"]


@admin.register(Ticket)
class TicketAdmin(OrgAdmin):
    list_display = ["external_id", "created_at", "status", "priority", "channel", "agent", "organization"]
    list_filter = ["organization", "status", "priority", "channel", "is_complaint"]
    search_fields = ["external_id", "subject"]
    date_hierarchy = "created_at"
    raw_id_fields = ["agent", "team", "customer"]


@admin.register(CannedResponse)
class CannedResponseAdmin(OrgAdmin):
    list_display = ["title", "external_id", "seconds_saved", "organization"]
    search_fields = ["title", "external_id"]


@admin.register(CannedResponseUse)
class CannedResponseUseAdmin(OrgAdmin):
    list_display = ["external_id", "canned_response", "agent", "used_at", "organization"]
    search_fields = ["external_id"]
    raw_id_fields = ["canned_response", "agent", "chat", "ticket"]


@admin.register(AgentSession)
class AgentSessionAdmin(OrgAdmin):
    list_display = ["external_id", "agent", "started_at", "ended_at", "status", "organization"]
    list_filter = ["organization", "status"]
    search_fields = ["external_id"]
    raw_id_fields = ["agent"]


@admin.register(WebsiteTraffic)
class WebsiteTrafficAdmin(OrgAdmin):
    list_display = ["date", "visitors", "organization"]
    date_hierarchy = "date"


@admin.register(QualityScorecard)
class QualityScorecardAdmin(OrgAdmin):
    list_display = ["name", "active", "organization", "created_at"]
    search_fields = ["name"]


@admin.register(QualityReview)
class QualityReviewAdmin(OrgAdmin):
    list_display = ["external_id", "agent", "reviewed_at", "reviewer", "organization"]
    search_fields = ["external_id", "reviewer"]
    raw_id_fields = ["chat", "ticket", "agent", "scorecard"]
