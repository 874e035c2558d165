"""Operators' admin for helpdesk data, across organizations.

Admin edits bypass the ingestion services, so every admin class of a model that feeds snapshots
uses :class:`DirtyDaysAdminMixin`: it marks the local days the row covered before the change and
after it, on the organization it belonged to then and now, so the snapshot sweep rebuilds them.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin

from accounts.admin import AuditedAdminMixin, OrgAdmin
from accounts.models import Organization
from chats.models import (
    AgentSession,
    CannedResponse,
    CannedResponseUse,
    Chat,
    ChatTag,
    Customer,
    Purchase,
    QualityReview,
    QualityScorecard,
    Tag,
    Ticket,
    TicketTag,
    WebsiteTraffic,
)
from reports.freshness import canned_use_days, chat_days, customer_days, local_days, mark_dirty


class DirtyDaysAdminMixin:
    """Mark the snapshot days an admin save or delete touches (before and after the change).

    Subclasses name the timestamp fields whose local days the row counts on (``day_fields``), or
    override :meth:`touched_days` when the rule is not "the local day of each timestamp".
    """

    day_fields: tuple[str, ...] = ()

    def touched_days(self, obj) -> set[dt.date]:
        return local_days(
            organization=obj.organization, timestamps=[getattr(obj, f) for f in self.day_fields]
        )

    def _days_by_org(self, obj) -> dict[Organization, set[dt.date]]:
        if obj is None or obj.organization_id is None:
            return {}
        return {obj.organization: self.touched_days(obj)}

    def _mark(self, *touched: dict[Organization, set[dt.date]]) -> None:
        merged: dict[int, tuple[Organization, set[dt.date]]] = {}
        for by_org in touched:
            for organization, days in by_org.items():
                merged.setdefault(organization.pk, (organization, set()))[1].update(days)
        for organization, days in merged.values():
            mark_dirty(organization=organization, days=days)

    def save_model(self, request, obj, form, change):
        before = self._days_by_org(self.model.unscoped.filter(pk=obj.pk).first()) if change else {}
        super().save_model(request, obj, form, change)
        self._mark(before, self._days_by_org(obj))

    def delete_model(self, request, obj):
        touched = self._days_by_org(obj)
        super().delete_model(request, obj)
        self._mark(touched)

    def delete_queryset(self, request, queryset):
        touched = [self._days_by_org(obj) for obj in queryset.select_related("organization")]
        super().delete_queryset(request, queryset)
        self._mark(*touched)


class TagInline(admin.TabularInline):
    """A conversation's tags; the link row takes the conversation's organization."""

    extra = 0
    fields = ["tag"]
    raw_id_fields = ["tag"]


class ChatTagInline(TagInline):
    model = ChatTag


class TicketTagInline(TagInline):
    model = TicketTag


class TaggedAdmin(OrgAdmin):
    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.instance.organization_id is None:
                inline_form.instance.organization = form.instance.organization
        super().save_formset(request, form, formset, change)


@admin.register(Customer)
class CustomerAdmin(DirtyDaysAdminMixin, OrgAdmin):
    list_display = ["external_id", "name", "segment", "acquired_at", "churned_at", "organization"]
    list_filter = ["organization", "segment"]
    search_fields = ["external_id", "name", "email"]
    date_hierarchy = "acquired_at"
    raw_id_fields = ["referred_by"]

    def touched_days(self, obj):
        # Before and after a save: the answers counted under the customer's segment.
        return customer_days(organization=obj.organization, customer_ids=[obj.pk])


@admin.register(Purchase)
class PurchaseAdmin(OrgAdmin):
    list_display = ["external_id", "customer", "amount", "purchased_at", "organization"]
    search_fields = ["external_id", "customer__external_id", "customer__name"]
    date_hierarchy = "purchased_at"
    raw_id_fields = ["customer"]


@admin.register(Tag)
class TagAdmin(AuditedAdminMixin, OrgAdmin):
    list_display = ["name", "category", "color", "high_priority", "organization"]
    list_filter = ["organization", "high_priority"]
    search_fields = ["name", "category"]


@admin.register(Chat)
class ChatAdmin(DirtyDaysAdminMixin, TaggedAdmin):
    list_display = ["external_id", "requested_at", "agent", "channel", "outcome", "organization"]
    list_filter = ["organization", "channel", "outcome", "initiated_by"]
    list_select_related = ["organization", "agent"]
    search_fields = ["external_id", "page_url"]
    date_hierarchy = "requested_at"
    raw_id_fields = ["agent", "first_agent", "team", "customer"]
    inlines = [ChatTagInline]

    def touched_days(self, obj):
        # A chat also changes the first-contact resolution of earlier days within the window.
        return chat_days(organization=obj.organization, requested_ats=[obj.requested_at])


@admin.register(Ticket)
class TicketAdmin(DirtyDaysAdminMixin, TaggedAdmin):
    day_fields = ("created_at", "resolved_at")
    list_display = ["external_id", "subject", "created_at", "status", "priority", "channel", "agent", "organization"]
    list_filter = ["organization", "status", "priority", "channel", "is_complaint"]
    list_select_related = ["organization", "agent"]
    search_fields = ["external_id", "subject"]
    date_hierarchy = "created_at"
    raw_id_fields = ["agent", "team", "customer"]
    inlines = [TicketTagInline]


@admin.register(CannedResponse)
class CannedResponseAdmin(OrgAdmin):
    list_display = ["title", "external_id", "seconds_saved", "organization"]
    search_fields = ["title", "external_id", "text"]


@admin.register(CannedResponseUse)
class CannedResponseUseAdmin(DirtyDaysAdminMixin, OrgAdmin):
    list_display = ["external_id", "canned_response", "agent", "used_at", "organization"]
    list_select_related = ["organization", "canned_response", "agent"]
    search_fields = ["external_id", "canned_response__title"]
    date_hierarchy = "used_at"
    raw_id_fields = ["canned_response", "agent", "chat", "ticket"]

    def touched_days(self, obj):
        return canned_use_days(organization=obj.organization, uses=[(obj.used_at, obj.chat_id)])


@admin.register(AgentSession)
class AgentSessionAdmin(DirtyDaysAdminMixin, OrgAdmin):
    list_display = ["external_id", "agent", "started_at", "ended_at", "status", "organization"]
    list_filter = ["organization", "status"]
    list_select_related = ["organization", "agent"]
    search_fields = ["external_id", "agent__name"]
    date_hierarchy = "started_at"
    raw_id_fields = ["agent"]

    def touched_days(self, obj):
        # Reports split a session at local midnight: every local day it spans changes.
        days = sorted(local_days(organization=obj.organization, timestamps=[obj.started_at, obj.ended_at]))
        first, last = days[0], days[-1]
        return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


@admin.register(WebsiteTraffic)
class WebsiteTrafficAdmin(DirtyDaysAdminMixin, OrgAdmin):
    list_display = ["date", "visitors", "organization"]
    date_hierarchy = "date"

    def touched_days(self, obj):
        return {obj.date}  # already a local day


@admin.register(QualityScorecard)
class QualityScorecardAdmin(OrgAdmin):
    list_display = ["name", "active", "organization", "created_at"]
    list_filter = ["organization", "active"]
    search_fields = ["name"]


@admin.register(QualityReview)
class QualityReviewAdmin(DirtyDaysAdminMixin, OrgAdmin):
    day_fields = ("reviewed_at",)
    list_display = ["external_id", "agent", "reviewed_at", "reviewer", "organization"]
    list_select_related = ["organization", "agent"]
    search_fields = ["external_id", "reviewer"]
    date_hierarchy = "reviewed_at"
    raw_id_fields = ["chat", "ticket", "agent", "scorecard"]
