"""Reads of report schedules, always within one organization: another organization's schedule
and a missing one are the same 404."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from accounts.models import Organization
from schedules.models import DeliveryStatus, ReportDelivery, ReportSchedule


def schedule_list(*, organization: Organization) -> QuerySet[ReportSchedule]:
    return (ReportSchedule.objects.for_org(organization).select_related("team")
            .annotate(last_sent_at=Max("deliveries__sent_at"),
                      failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)))
            .order_by("name", "pk"))


def schedule_get(*, organization: Organization, schedule_id: int) -> ReportSchedule:
    schedule = (ReportSchedule.objects.for_org(organization).select_related("organization", "team")
                .filter(pk=schedule_id).first())
    if schedule is None:
        raise Http404("No such schedule")
    return schedule


def delivery_history(*, schedule: ReportSchedule) -> QuerySet[ReportDelivery]:
    return (ReportDelivery.objects.for_org(schedule.organization_id).filter(schedule=schedule)
            .select_related("agent").order_by("-period_start", "kind", "recipient"))
