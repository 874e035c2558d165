import asyncio
import datetime as dt
import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from accounts.models import Role
from reports.snapshots import snapshots_rebuild
from schedules import services
from tests.reports.conftest import eager_celery, worker_factory  # noqa: F401 - fixtures shared with tests/reports
from tests.reports.dataset import MONDAY, build_week

# The weekly schedule of the tests: Mondays 08:00 Helsinki. Due Monday 2026-03-09 08:00 EET
# (06:00 UTC), it reports the hand-worked week Mon 03-02 .. Sun 03-08.
DUE = dt.datetime(2026, 3, 9, 6, 0, tzinfo=dt.UTC)
WEEK_END = MONDAY + dt.timedelta(days=6)


@pytest.fixture
def week(org):
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))
    return objects


@pytest.fixture
def make_schedule(org, member_factory):
    """``make_schedule(**fields)``: a weekly schedule (Mondays 08:00) of ``org`` whose next run is
    DUE, sent to one manager by default."""

    def make(organization=None, members=None, now=DUE - dt.timedelta(days=1), **fields):
        organization = organization or org
        if members is None:
            members = [member_factory(organization, role=Role.MANAGER)]
        from accounts.models import Membership

        memberships = list(Membership.objects.for_org(organization).filter(user__in=members))
        data = services.ScheduleData(name=fields.pop("name", "Weekly agent report"), member_recipients=memberships,
                                     **fields)
        return services.schedule_create(organization=organization, data=data, created_by=None, now=now)

    return make


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks):
    """``dispatch(now)``: one dispatcher run at ``now`` whose enqueued runs are sent at once, in
    this process (as the eager embedded default does)."""

    def run(now=DUE + dt.timedelta(minutes=3)):
        def send(schedule_id, due_at):
            services.period_send(schedule_id=schedule_id, due_at=dt.datetime.fromisoformat(due_at))

        with django_capture_on_commit_callbacks(execute=True):
            return services.dispatch_due(now=now, enqueue=send)

    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpHandler:
    """A local SMTP server's behaviour: accepts, answers 4xx to an address ``transient[addr]``
    more times, 5xx to addresses in ``reject``; ``hold`` (an address) stores that message and
    then keeps the client waiting for the final answer (``hold_seconds``)."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.transient: dict[str, int] = {}
        self.reject: set[str] = set()
        self.hold: str | None = None
        self.hold_seconds = 30.0
        self.held = threading.Event()
        self.delay = 0.0  # seconds before each final answer (to make concurrent senders overlap)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if address in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        with self.lock:
            if self.transient.get(address, 0) > 0:
                self.transient[address] -= 1
                return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold and self.hold in envelope.rcpt_tos:
            self.held.set()
            await asyncio.sleep(self.hold_seconds)
        return "250 2.0.0 Ok: queued"

    def parsed(self):
        return [message_from_bytes(raw, policy=policy.default) for _to, raw in list(self.messages)]

    def count_to(self, address: str) -> int:
        return sum(1 for to, _raw in list(self.messages) if address in to)


@pytest.fixture
def smtp_server():
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """The Django SMTP backend pointed at the local server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_server
