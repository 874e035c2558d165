"""Writes of report schedules: create, update, pause, delete; the dispatcher that finds due
schedules; the delivery of one period (claim, send, record); the test e-mail; unsubscribing.

Nothing is sent twice:
1. A run is claimed by moving ``next_run_at`` on with ``UPDATE ... WHERE next_run_at = <due>``
   (Healthchecks' ``sendreports``): of two dispatchers, one updates the row and the other finds
   nothing to update.
2. Each (schedule, period start, recipient) is one ReportDelivery row, inserted with
   ``ON CONFLICT DO NOTHING``, and claimed ``pending → sending`` with a conditional UPDATE
   (committed) before the e-mail is sent. Only the transaction that claimed it sends it.
3. A row left ``sending`` (the worker died during or just after the send) is never sent again:
   after ``REPORT_SEND_LEASE_SECONDS`` it is recorded as failed with ``INTERRUPTED``, since the
   message may well have been delivered.

Transient SMTP failures (4xx, connection errors) put the row back to pending with an
exponential backoff (``RETRY_BASE_SECONDS`` × 2^(attempts−1), at most ``RETRY_MAX_SECONDS``)
for up to ``MAX_ATTEMPTS`` attempts; permanent ones (5xx, a refused recipient) fail the row
with the server's answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Agent, Membership, Organization, Team, User
from schedules import content as contents
from schedules.models import (
    DeliveryKind,
    DeliveryStatus,
    ReportDelivery,
    ReportSchedule,
    Scope,
    Unsubscription,
)
from schedules.periods import Period, next_run_after, reported_period

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 15 * 60  # below the broker's visibility timeout (a countdown task is held unacked)
SMTP_TIMEOUT_SECONDS = 30

# Error texts (kept as constants so tests assert them).
INTERRUPTED = _("The sending was interrupted (the worker stopped during the send). The e-mail may have been "
                "delivered, so it is not sent again.")
TOO_LATE = _("Not sent: this period was due more than {hours} hours ago (the dispatcher was not running).")
UNSUBSCRIBED = _("Not sent: the recipient unsubscribed.")
PAUSED = _("Not sent: the schedule was paused.")
GAVE_UP = _("Gave up after {attempts} attempts. Last error: {error}")
RENDER_FAILED = _("The report could not be built: {error}")
NO_ADDRESS = _("The agent has no e-mail address.")
TEAM_REQUIRED = _("Choose the team this schedule reports on.")
AGENTS_REQUIRED = _("Choose at least one agent.")
RECIPIENTS_REQUIRED = _("Add at least one recipient, or send each agent their own report.")


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REPORT_SEND_LEASE_SECONDS)


def horizon() -> dt.timedelta:
    return dt.timedelta(hours=settings.REPORT_LATE_HORIZON_HOURS)


def retry_delay(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: 60, 120, 240, ... capped at RETRY_MAX_SECONDS."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


# --- schedules ---------------------------------------------------------------------------------

def schedule_next_run(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime:
    return next_run_after(after, frequency=schedule.frequency, weekday=schedule.weekday,
                          day_of_month=schedule.day_of_month, local_time=schedule.local_time,
                          tz=ZoneInfo(schedule.time_zone_name))


def schedule_period(schedule: ReportSchedule, due_at: dt.datetime) -> Period:
    org = schedule.organization
    return reported_period(due_at, frequency=schedule.frequency, org_tz=org.tzinfo, week_start=org.week_start)


@dataclass
class ScheduleData:
    """What a manager sets on a schedule (a form's cleaned data)."""

    name: str
    scope: str = Scope.ORGANIZATION
    team: Team | None = None
    agents: list[Agent] = field(default_factory=list)
    member_recipients: list[Membership] = field(default_factory=list)
    external_recipients: list[str] = field(default_factory=list)
    send_personal_reports: bool = False
    frequency: str = "weekly"
    weekday: int = 0
    day_of_month: int = 1
    local_time: dt.time = dt.time(8, 0)
    timezone: str = ""
    language: str = "en"
    metrics: list[str] = field(default_factory=list)


def _check_tenant(organization: Organization, data: ScheduleData) -> None:
    objects = ([data.team] if data.team else []) + list(data.agents) + list(data.member_recipients)
    if any(o.organization_id != organization.pk for o in objects):
        raise ValueError("a team, agent or member of another organization")


def _apply(schedule: ReportSchedule, data: ScheduleData) -> None:
    for name in ("name", "scope", "send_personal_reports", "frequency", "weekday", "day_of_month", "local_time",
                 "timezone", "language"):
        setattr(schedule, name, getattr(data, name))
    schedule.team = data.team if data.scope == Scope.TEAM else None
    schedule.external_recipients = sorted({contents._address(e) for e in data.external_recipients if e.strip()})
    schedule.metrics = [m for m in contents.report_metric_ids() if m in set(data.metrics)] or contents.report_metric_ids()


@transaction.atomic
def schedule_create(*, organization: Organization, data: ScheduleData, created_by: User | None,
                    now: dt.datetime | None = None) -> ReportSchedule:
    _check_tenant(organization, data)
    schedule = ReportSchedule(organization=organization, created_by=created_by)
    _apply(schedule, data)
    schedule.next_run_at = schedule_next_run(schedule, now or timezone.now())
    schedule.save()
    schedule.agents.set(data.agents if data.scope == Scope.AGENTS else [])
    schedule.member_recipients.set(data.member_recipients)
    return schedule


@transaction.atomic
def schedule_update(*, schedule: ReportSchedule, data: ScheduleData, now: dt.datetime | None = None) -> ReportSchedule:
    """Changes take effect from now: the next run is worked out again from the new timing."""
    _check_tenant(schedule.organization, data)
    _apply(schedule, data)
    schedule.next_run_at = schedule_next_run(schedule, now or timezone.now())
    schedule.save()
    schedule.agents.set(data.agents if data.scope == Scope.AGENTS else [])
    schedule.member_recipients.set(data.member_recipients)
    return schedule


@transaction.atomic
def schedule_set_active(*, schedule: ReportSchedule, active: bool, now: dt.datetime | None = None) -> ReportSchedule:
    """Pause or resume. A resumed schedule sends from its next due time on, not the periods it
    missed while paused."""
    schedule.active = active
    if active:
        schedule.next_run_at = schedule_next_run(schedule, now or timezone.now())
    schedule.save(update_fields=["active", "next_run_at", "updated_at"])
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: ReportSchedule) -> None:
    schedule.delete()


# --- dispatch ----------------------------------------------------------------------------------

@dataclass
class DispatchResult:
    enqueued: list[tuple[int, str]] = field(default_factory=list)   # (schedule id, due ISO)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    retries: list[tuple[int, str]] = field(default_factory=list)


def _deliveries_insert(schedule: ReportSchedule, due_at: dt.datetime, period: Period, *,
                       status: str = DeliveryStatus.PENDING, error: str = "") -> None:
    """One row per recipient of the period; rows already there are left as they are
    (INSERT ... ON CONFLICT DO NOTHING)."""
    rows = [ReportDelivery(organization_id=schedule.organization_id, schedule=schedule, period_start=period.first,
                           period_end=period.last, due_at=due_at, recipient=r.email, kind=r.kind, agent_id=r.agent_id,
                           language=r.language, status=status, last_error=error)
            for r in contents.recipients_of(schedule)]
    ReportDelivery.unscoped.bulk_create(rows, ignore_conflicts=True)


def dispatch_due(*, now: dt.datetime | None = None, enqueue: Callable[[int, str], None] | None = None,
                 dry_run: bool = False) -> DispatchResult:
    """Claim every due run of every active schedule and enqueue one delivery task per run (on
    commit). A run due longer ago than the horizon is recorded as skipped, with the reason, for
    each recipient. Deliveries waiting for a retry (or left sending past the lease) are enqueued
    again too, in case their task was lost. ``dry_run``: report what would happen, change nothing."""
    now = now or timezone.now()
    result = DispatchResult()
    due = ReportSchedule.unscoped.filter(active=True, next_run_at__lte=now).select_related("organization")
    for schedule in due.order_by("next_run_at", "pk"):
        for _step in range(1000):  # bounded: one per missed run
            due_at = schedule.next_run_at
            if due_at is None or due_at > now:
                break
            following = schedule_next_run(schedule, due_at)
            late = now - due_at > horizon()
            if dry_run:
                (result.skipped if late else result.enqueued).append((schedule.pk, due_at.isoformat()))
                schedule.next_run_at = following
                continue
            with transaction.atomic():
                claimed = ReportSchedule.unscoped.filter(pk=schedule.pk, active=True, next_run_at=due_at).update(
                    next_run_at=following)
                if not claimed:
                    break  # another dispatcher has it (or the schedule changed meanwhile)
                period = schedule_period(schedule, due_at)
                if late:
                    reason = str(TOO_LATE).format(hours=settings.REPORT_LATE_HORIZON_HOURS)
                    _deliveries_insert(schedule, due_at, period, status=DeliveryStatus.SKIPPED, error=reason)
                    result.skipped.append((schedule.pk, due_at.isoformat()))
                else:
                    _deliveries_insert(schedule, due_at, period)
                    result.enqueued.append((schedule.pk, due_at.isoformat()))
                    if enqueue is not None:
                        item = (schedule.pk, due_at.isoformat())
                        transaction.on_commit(lambda item=item: enqueue(*item))
            schedule.next_run_at = following

    waiting = ReportDelivery.unscoped.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.PENDING, next_attempt_at__isnull=True, created_at__lte=now - lease())
        | Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - lease()),
        schedule__active=True,
    ).values_list("schedule_id", "due_at").distinct().order_by()
    for schedule_id, due_at in waiting:
        item = (schedule_id, due_at.isoformat())
        if item in result.enqueued:
            continue
        result.retries.append(item)
        if enqueue is not None and not dry_run:
            enqueue(*item)
    return result


# --- delivery ----------------------------------------------------------------------------------

TRANSIENT, PERMANENT = "transient", "permanent"


def classify_smtp_error(exc: BaseException) -> str:
    """4xx answers and lost connections are worth retrying; 5xx answers (a refused recipient,
    a rejected message) are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return TRANSIENT if codes and all(400 <= c < 500 for c in codes) else PERMANENT
    if isinstance(exc, smtplib.SMTPResponseException):
        return TRANSIENT if 400 <= exc.smtp_code < 500 else PERMANENT
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | ConnectionError | socket.timeout
                  | TimeoutError | OSError):
        return TRANSIENT
    return PERMANENT


def smtp_error_text(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for addr, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {msg}"
    return f"{type(exc).__name__}: {exc}"[:1000]


@dataclass
class PeriodResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    retry_in: int | None = None  # seconds until the earliest pending retry or lease end


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        return bool(ReportDelivery.unscoped.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            pk=delivery_id, status=DeliveryStatus.PENDING,
        ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1))


def _record(delivery_id: int, **fields) -> None:
    with transaction.atomic():
        ReportDelivery.unscoped.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(**fields)


def mark_sent(delivery_id: int, now: dt.datetime) -> None:
    _record(delivery_id, status=DeliveryStatus.SENT, sent_at=now, last_error="", next_attempt_at=None)


class _ContentCache:
    """Reports built once per (kind, agent, language) within one run."""

    def __init__(self, schedule: ReportSchedule, period: Period):
        self.schedule, self.period, self.built = schedule, period, {}

    def get(self, kind: str, agent: Agent | None, language: str):
        key = (kind, agent.pk if agent else None, language)
        if key not in self.built:
            with translation.override(language):
                self.built[key] = contents.build_content(schedule=self.schedule, period=self.period, kind=kind,
                                                         agent=agent)
        return self.built[key]


def _recipient_of(delivery: ReportDelivery) -> contents.Recipient:
    return contents.Recipient(delivery.recipient, delivery.kind, delivery.language or delivery.schedule.language,
                              agent_id=delivery.agent_id)


def period_send(*, schedule_id: int, due_at: dt.datetime, now: Callable[[], dt.datetime] = timezone.now) -> PeriodResult:
    """Send every e-mail of the schedule's run due at ``due_at`` that is still to be sent, each
    after claiming its row. Safe to call any number of times, at once from several processes."""
    result = PeriodResult()
    schedule = ReportSchedule.unscoped.select_related("organization", "team").filter(pk=schedule_id).first()
    if schedule is None:
        return result
    period = schedule_period(schedule, due_at)
    if not schedule.active:
        with transaction.atomic():
            ReportDelivery.unscoped.filter(schedule=schedule, period_start=period.first,
                                           status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.SKIPPED, last_error=str(PAUSED))
        return result
    _deliveries_insert(schedule, due_at, period)  # a run enqueued without its rows (or new recipients)
    unsubscribed = set(schedule.unsubscriptions.values_list("email", flat=True))
    cache = _ContentCache(schedule, period)
    holder: dict = {"c": None}  # one SMTP connection for the run, reopened after a failure
    rows = ReportDelivery.unscoped.filter(schedule=schedule, period_start=period.first).order_by("pk")
    try:
        for delivery in rows:
            moment = now()
            if delivery.status == DeliveryStatus.SENDING:
                if delivery.claimed_at and delivery.claimed_at <= moment - lease():
                    _record(delivery.pk, status=DeliveryStatus.FAILED, last_error=str(INTERRUPTED))
                    result.failed += 1
                else:
                    result.waiting += 1
                    left = (delivery.claimed_at + lease() - moment).total_seconds() if delivery.claimed_at else 0
                    result.retry_in = min(result.retry_in or 10**9, max(1, int(left) + 1))
                continue
            if delivery.status != DeliveryStatus.PENDING:
                continue
            if delivery.next_attempt_at and delivery.next_attempt_at > moment:
                result.waiting += 1
                left = int((delivery.next_attempt_at - moment).total_seconds()) + 1
                result.retry_in = min(result.retry_in or 10**9, left)
                continue
            if delivery.recipient in unsubscribed:
                ReportDelivery.unscoped.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
                    status=DeliveryStatus.SKIPPED, last_error=str(UNSUBSCRIBED))
                continue
            if not _claim(delivery.pk, moment):
                continue  # another worker has it
            delivery.refresh_from_db()
            outcome = _send_one(delivery, schedule, cache, holder)
            if outcome == "sent":
                result.sent += 1
            elif outcome == "failed":
                result.failed += 1
            else:
                result.waiting += 1
                result.retry_in = min(result.retry_in or 10**9, retry_delay(delivery.attempts))
    finally:
        if holder["c"] is not None:
            try:
                holder["c"].close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not hide the result
                logger.warning("closing the SMTP connection failed", exc_info=True)
    return result


def _send_one(delivery: ReportDelivery, schedule: ReportSchedule, cache: _ContentCache, holder: dict) -> str:
    """Build and send one claimed delivery; record the outcome. Returns "sent", "failed" or "retry"."""
    recipient = _recipient_of(delivery)
    agent = None
    if delivery.kind == DeliveryKind.PERSONAL:
        agent = Agent.objects.for_org(schedule.organization_id).filter(pk=delivery.agent_id).first()
    message_id = delivery.message_id or contents.new_message_id()
    try:
        if delivery.kind == DeliveryKind.PERSONAL and agent is None:
            raise ValueError(str(NO_ADDRESS))
        content = cache.get(delivery.kind, agent, recipient.language)
        with translation.override(recipient.language):
            rendered = contents.render_email(schedule=schedule, recipient=recipient, content=content)
    except Exception as exc:  # noqa: BLE001 - recorded on the row and shown in the history
        logger.exception("report %s for %s could not be built", schedule.pk, delivery.recipient)
        _record(delivery.pk, status=DeliveryStatus.FAILED, last_error=str(RENDER_FAILED).format(error=exc)[:2000])
        return "failed"
    # The message id is known before the send, so a delivery that reached the server is traceable.
    ReportDelivery.unscoped.filter(pk=delivery.pk).update(message_id=message_id)
    try:
        if holder["c"] is None:
            holder["c"] = get_connection(timeout=SMTP_TIMEOUT_SECONDS)
            holder["c"].open()
        contents.email_message(rendered=rendered, to=delivery.recipient, message_id=message_id,
                               connection=holder["c"]).send()
    except Exception as exc:  # noqa: BLE001 - every SMTP failure is classified and recorded
        if holder["c"] is not None:
            with contextlib.suppress(Exception):  # the connection is broken anyway
                holder["c"].close()
            holder["c"] = None
        error = smtp_error_text(exc)
        if classify_smtp_error(exc) == PERMANENT:
            _record(delivery.pk, status=DeliveryStatus.FAILED, last_error=error)
            return "failed"
        if delivery.attempts >= MAX_ATTEMPTS:
            _record(delivery.pk, status=DeliveryStatus.FAILED,
                    last_error=str(GAVE_UP).format(attempts=delivery.attempts, error=error))
            return "failed"
        _record(delivery.pk, status=DeliveryStatus.PENDING, last_error=error,
                next_attempt_at=timezone.now() + dt.timedelta(seconds=retry_delay(delivery.attempts)))
        return "retry"
    mark_sent(delivery.pk, timezone.now())
    return "sent"


# --- test e-mails and previews -------------------------------------------------------------------

def preview_period(schedule: ReportSchedule, now: dt.datetime | None = None) -> tuple[dt.datetime, Period]:
    """The next run (due instant) and the period its e-mail reports."""
    due_at = schedule.next_run_at or schedule_next_run(schedule, now or timezone.now())
    return due_at, schedule_period(schedule, due_at)


def email_preview(*, schedule: ReportSchedule, recipient: contents.Recipient, period: Period,
                  test: bool = False) -> contents.RenderedEmail:
    agent = None
    if recipient.kind == DeliveryKind.PERSONAL:
        agent = Agent.objects.for_org(schedule.organization_id).get(pk=recipient.agent_id)
    with translation.override(recipient.language):
        content = contents.build_content(schedule=schedule, period=period, kind=recipient.kind, agent=agent)
        return contents.render_email(schedule=schedule, recipient=recipient, content=content, test=test)


def send_test(*, schedule: ReportSchedule, user: User) -> str:
    """The scope's report of the next period to ``user`` now, marked as a test. No delivery row
    is written: the period's own e-mail still goes out when due. Returns the message id;
    raises the SMTP error."""
    _due, period = preview_period(schedule)
    recipient = contents.Recipient(contents._address(user.email), DeliveryKind.SCOPE,
                                   user.language or schedule.language, name=user.get_full_name())
    rendered = email_preview(schedule=schedule, recipient=recipient, period=period, test=True)
    message_id = contents.new_message_id()
    connection = get_connection(timeout=SMTP_TIMEOUT_SECONDS)
    contents.email_message(rendered=rendered, to=recipient.email, message_id=message_id, connection=connection).send()
    return message_id


# --- unsubscribing -------------------------------------------------------------------------------

@transaction.atomic
def unsubscribe(*, schedule: ReportSchedule, email: str) -> bool:
    """Record that ``email`` wants no more e-mails of ``schedule``; its pending deliveries are
    skipped. True when newly unsubscribed."""
    email = contents._address(email)
    existed = Unsubscription.unscoped.filter(schedule=schedule, email=email).exists()
    Unsubscription.unscoped.bulk_create(
        [Unsubscription(organization_id=schedule.organization_id, schedule=schedule, email=email)],
        ignore_conflicts=True)
    ReportDelivery.unscoped.filter(schedule=schedule, recipient=email, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SKIPPED, last_error=str(UNSUBSCRIBED))
    return not existed
