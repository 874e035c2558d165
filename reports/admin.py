from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chats.admin import AuditedAdminMixin, OrgAdmin
from reports.freshness import enqueue_rebuild, mark_all_days_dirty
from reports.models import DirtyDay, SlaTarget


class FailedFilter(admin.SimpleListFilter):
    title = _("rebuild")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", _("failed")), ("no", _("not failed"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(failed_at__isnull=self.value() == "no")
        return queryset


@admin.register(DirtyDay)
class DirtyDayAdmin(OrgAdmin):
    """Days waiting for a snapshot rebuild; a failed one shows its error and next attempt."""

    list_display = ["organization", "day", "fcr_only", "marked_at", "attempts", "failed_at", "next_attempt_at", "last_error"]
    list_filter = ["organization", FailedFilter]
    date_hierarchy = "day"
    actions = ["retry_now"]

    @admin.action(description=_("Rebuild the selected days now (ignore their backoff)"))
    def retry_now(self, request, queryset):
        organization_ids = set(queryset.values_list("organization_id", flat=True))
        queryset.update(next_attempt_at=None)
        for organization_id in organization_ids:
            enqueue_rebuild(organization_id=organization_id)


@admin.register(SlaTarget)
class SlaTargetAdmin(AuditedAdminMixin, OrgAdmin):
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
