"""Report schedule pages, for members who manage schedules (managers and above), and the public
unsubscribe link of the e-mails (no login: the signed token is the authority)."""

from __future__ import annotations

import logging
import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt

from accounts.mixins import OrgMixin
from reports import formatting
from schedules import content as contents
from schedules import selectors, services
from schedules.forms import ScheduleForm
from schedules.models import DeliveryStatus, ReportSchedule
from schedules.periods import Period

logger = logging.getLogger(__name__)

CREATED = gettext_lazy("Schedule “{name}” created. Its first e-mail goes out {when}.")
SAVED = gettext_lazy("Schedule “{name}” saved. Its next e-mail goes out {when}.")
PAUSED = gettext_lazy("Schedule “{name}” paused: nothing is sent until you resume it.")
RESUMED = gettext_lazy("Schedule “{name}” resumed. Its next e-mail goes out {when}.")
DELETED = gettext_lazy("Schedule “{name}” deleted.")
TEST_SENT = gettext_lazy("A test e-mail went to {email}. It does not count as the period's e-mail.")
TEST_FAILED = gettext_lazy("The test e-mail could not be sent: {error}")
UNSUBSCRIBE_INVALID = gettext_lazy("This unsubscribe link is not valid. Use the link of the latest e-mail.")


def when(schedule: ReportSchedule) -> str:
    if not schedule.next_run_at:
        return formatting.EMPTY
    return formatting.datetime(schedule.next_run_at, zoneinfo.ZoneInfo(schedule.time_zone_name), "full")


class ScheduleMixin(OrgMixin):
    required_capability = "manage_schedules"

    def get_schedule(self) -> ReportSchedule:
        return selectors.schedule_get(organization=self.organization, schedule_id=self.kwargs["schedule_id"])

    def url(self, name: str, schedule: ReportSchedule | None = None) -> str:
        kwargs = {"org_slug": self.organization.slug}
        if schedule is not None:
            kwargs["schedule_id"] = schedule.pk
        return reverse(name, kwargs=kwargs)

    def render(self, template: str, **context) -> TemplateResponse:
        context.setdefault("organization", self.organization)
        context.setdefault("membership", self.membership)
        return TemplateResponse(self.request, template, context)


class ScheduleListView(ScheduleMixin, View):
    def get(self, request, *args, **kwargs):
        schedules = list(selectors.schedule_list(organization=self.organization))
        for s in schedules:
            s.next_display = when(s) if s.active else None
            s.scope_display = contents.scope_description(s)
        return self.render("schedules/list.html", schedules=schedules)


class ScheduleFormMixin(ScheduleMixin):
    def form_page(self, form, schedule=None):
        return self.render("schedules/form.html", form=form, schedule=schedule,
                           timezones=sorted(zoneinfo.available_timezones()))


class ScheduleCreateView(ScheduleFormMixin, View):
    def get(self, request, *args, **kwargs):
        return self.form_page(ScheduleForm(organization=self.organization))

    def post(self, request, *args, **kwargs):
        form = ScheduleForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.form_page(form)
        schedule = services.schedule_create(organization=self.organization, data=form.schedule_data(),
                                            created_by=request.user)
        messages.success(request, str(CREATED).format(name=schedule.name, when=when(schedule)))
        return redirect(self.url("schedule_detail", schedule))


class ScheduleEditView(ScheduleFormMixin, View):
    def get(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        return self.form_page(ScheduleForm.for_schedule(schedule), schedule)

    def post(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        form = ScheduleForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.form_page(form, schedule)
        services.schedule_update(schedule=schedule, data=form.schedule_data())
        messages.success(request, str(SAVED).format(name=schedule.name, when=when(schedule)))
        return redirect(self.url("schedule_detail", schedule))


class ScheduleConfirmView(ScheduleMixin, View):
    """GET: a confirmation page with one button; POST: the action."""

    action = ""

    def get(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        return self.render("schedules/confirm.html", schedule=schedule, action=self.action,
                           test_email=request.user.email)


class SchedulePauseView(ScheduleConfirmView):
    action = "pause"

    def post(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        services.schedule_set_active(schedule=schedule, active=not schedule.active)
        text = RESUMED if schedule.active else PAUSED
        messages.success(request, str(text).format(name=schedule.name, when=when(schedule)))
        return redirect(self.url("schedule_detail", schedule))


class ScheduleDeleteView(ScheduleConfirmView):
    action = "delete"

    def post(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        name = schedule.name
        services.schedule_delete(schedule=schedule)
        messages.success(request, str(DELETED).format(name=name))
        return redirect(self.url("schedule_list"))


class ScheduleTestView(ScheduleConfirmView):
    action = "test"

    def post(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        try:
            services.send_test(schedule=schedule, user=request.user)
        except Exception as exc:  # noqa: BLE001 - the manager sees why the test failed
            logger.warning("test e-mail of schedule %s failed", schedule.pk, exc_info=True)
            messages.error(request, str(TEST_FAILED).format(error=services.smtp_error_text(exc)))
        else:
            messages.success(request, str(TEST_SENT).format(email=request.user.email))
        return redirect(self.url("schedule_detail", schedule))


class ScheduleDetailView(ScheduleMixin, View):
    """The schedule, who gets its next e-mail, and the delivery history."""

    page_size = 100

    def get(self, request, *args, **kwargs):
        schedule = self.get_schedule()
        due_at, period = services.preview_period(schedule)
        deliveries = list(selectors.delivery_history(schedule=schedule)[: self.page_size])
        periods: dict = {}
        for d in deliveries:
            group = periods.setdefault(d.period_start, {"period": formatting.date_range(d.period_start, d.period_end),
                                                        "due": d.due_at, "rows": [], "counts": {}})
            group["rows"].append(d)
            group["counts"][d.status] = group["counts"].get(d.status, 0) + 1
        tz = zoneinfo.ZoneInfo(schedule.time_zone_name)
        for group in periods.values():
            group["due_display"] = formatting.datetime(group["due"], tz, "short")
            for d in group["rows"]:
                d.sent_display = formatting.datetime(d.sent_at, tz, "short") if d.sent_at else None
        return self.render(
            "schedules/detail.html", schedule=schedule, next_display=when(schedule) if schedule.active else None,
            next_period=formatting.date_range(period.first, period.last), recipients=contents.recipients_of(schedule),
            scope_display=contents.scope_description(schedule), periods=list(periods.values()),
            unsubscribed=list(schedule.unsubscriptions.all()), statuses=DeliveryStatus,
            metric_labels=[label for mid, label in contents.metric_choices() if mid in (schedule.metrics or [])],
            timezone_name=schedule.time_zone_name, due_at=due_at)


class PreviewMixin(ScheduleMixin):
    def preview(self) -> tuple[ReportSchedule, list, contents.Recipient | None, Period]:
        schedule = self.get_schedule()
        _due, period = services.preview_period(schedule)
        recipients = contents.recipients_of(schedule)
        wanted = self.request.GET.get("recipient")
        recipient = next((r for r in recipients if r.email == wanted), recipients[0] if recipients else None)
        if wanted and (recipient is None or recipient.email != wanted):
            raise Http404("No such recipient")
        return schedule, recipients, recipient, period


class SchedulePreviewView(PreviewMixin, View):
    """The next e-mail to one recipient: subject, headers, the HTML part (in a frame, from
    schedule_preview_email, exactly as sent), the text part and the attachment."""

    def get(self, request, *args, **kwargs):
        schedule, recipients, recipient, period = self.preview()
        email = services.email_preview(schedule=schedule, recipient=recipient, period=period) if recipient else None
        frame_url = self.url("schedule_preview_email", schedule)
        if recipient:
            frame_url += "?" + urlencode({"recipient": recipient.email})
        return self.render("schedules/preview.html", schedule=schedule, recipients=recipients, recipient=recipient,
                           email=email, frame_url=frame_url,
                           attachment_text=email.attachment.decode("utf-8-sig") if email else "",
                           period=formatting.date_range(period.first, period.last))


@method_decorator(xframe_options_sameorigin, name="dispatch")
class SchedulePreviewEmailView(PreviewMixin, View):
    """The HTML part of the next e-mail to one recipient, byte for byte as it is sent."""

    def get(self, request, *args, **kwargs):
        schedule, _recipients, recipient, period = self.preview()
        if recipient is None:
            return HttpResponse(_("This schedule has no recipients."), content_type="text/plain; charset=utf-8")
        email = services.email_preview(schedule=schedule, recipient=recipient, period=period)
        response = HttpResponse(email.html, content_type="text/html; charset=utf-8")
        # The e-mail has no scripts; the frame may run none either.
        response["Content-Security-Policy"] = "script-src 'none'; frame-ancestors 'self'"
        return response


@method_decorator(csrf_exempt, name="dispatch")  # one-click unsubscribe (RFC 8058) posts without a session
class UnsubscribeView(View):
    """``/unsubscribe/<token>/``: GET asks to confirm; POST (the button, or a mail client's
    one-click request) records the unsubscription. Works without logging in."""

    def _target(self, token: str):
        try:
            schedule_id, email = contents.read_unsubscribe_token(token)
        except signing.BadSignature:
            return None, None
        schedule = ReportSchedule.unscoped.select_related("organization").filter(pk=schedule_id).first()
        return schedule, email

    def get(self, request, token: str):
        schedule, email = self._target(token)
        if schedule is None:
            return TemplateResponse(request, "schedules/unsubscribe.html", {"error": UNSUBSCRIBE_INVALID}, status=400)
        done = schedule.unsubscriptions.filter(email=email).exists()
        return TemplateResponse(request, "schedules/unsubscribe.html",
                                {"schedule": schedule, "email": email, "done": done, "token": token})

    def post(self, request, token: str):
        schedule, email = self._target(token)
        if schedule is None:
            return TemplateResponse(request, "schedules/unsubscribe.html", {"error": UNSUBSCRIBE_INVALID}, status=400)
        services.unsubscribe(schedule=schedule, email=email)
        return TemplateResponse(request, "schedules/unsubscribe.html",
                                {"schedule": schedule, "email": email, "done": True, "token": token,
                                 "now": timezone.now()})
