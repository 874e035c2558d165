from django.contrib import admin

from chats.admin import OrgAdmin
from reports.freshness import mark_all_days_dirty
from reports.models import DirtyDay, SlaTarget


@admin.register(DirtyDay)
class DirtyDayAdmin(OrgAdmin):
    list_display = ["organization", "day", "marked_at"]
    date_hierarchy = "day"


@admin.register(SlaTarget)
class SlaTargetAdmin(OrgAdmin):
    """Targets decide every day's "within target" counts: a change rebuilds the whole history."""

    list_display = ["organization", "metric", "channel", "priority", "target_seconds"]
    list_filter = ["organization", "metric"]

    def save_model(self, request, obj, form, change):
        previous = SlaTarget.unscoped.filter(pk=obj.pk).select_related("organization").first() if change else None
        super().save_model(request, obj, form, change)
        for organization in {o.pk: o for o in (obj.organization, previous and previous.organization) if o}.values():
            mark_all_days_dirty(organization=organization)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        mark_all_days_dirty(organization=obj.organization)

    def delete_queryset(self, request, queryset):
        organizations = {t.organization_id: t.organization for t in queryset.select_related("organization")}
        super().delete_queryset(request, queryset)
        for organization in organizations.values():
            mark_all_days_dirty(organization=organization)
