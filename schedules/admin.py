from django.contrib import admin

from schedules.models import ReportDelivery, ReportSchedule, Unsubscription


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "frequency", "active", "next_run_at")
    list_filter = ("organization", "active", "frequency")
    search_fields = ("name", "organization__slug")


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ("schedule", "organization", "period_start", "recipient", "status", "attempts", "sent_at")
    list_filter = ("organization", "status")
    search_fields = ("recipient", "message_id")
    readonly_fields = ("message_id", "claimed_at", "sent_at")


@admin.register(Unsubscription)
class UnsubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "schedule", "created_at")
    list_filter = ("organization",)
