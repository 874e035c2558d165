"""What a scheduled e-mail says, and the e-mail itself.

The figures come from the report pages' declarations rendered by ``reports.pages.renderer``
(which calls ``reports.metrics.compute()``): the agent performance report (``AGENT``) for the
headline figures, their previous-period change and the day-by-day bars, and the agents'
leaderboard (``AGENTS``) for the table of agents with the median row. This module only picks,
orders and words what the renderer returns; it computes no metric.

A *scope* report (managers and other addresses) covers the schedule's scope; a *personal*
report covers one agent and shows the median of their team beside each figure, and nothing of
any other agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import make_msgid
from urllib.parse import urlencode

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Agent
from reports import formatting
from reports.exports import Column, export_response
from reports.metrics import REGISTRY
from reports.pages import renderer
from reports.pages.catalogue import AGENT, AGENTS
from reports.pages.params import ReportQuery
from schedules.models import DeliveryKind, Frequency, ReportSchedule, Scope
from schedules.periods import Period

UNSUBSCRIBE_SALT = "schedules.unsubscribe"
# A change of at least this much (relative) on the previous period is called out in words.
NOTABLE_CHANGE = 0.2
NOTABLE_MAX = 4
# Agent columns shown in the e-mail's table (600 px wide); the CSV and the page have them all.
EMAIL_BOARD_COLUMNS = 6
LEADERBOARD = AGENTS.tables[0]
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)

PREVIOUS_PERIOD = {
    Frequency.DAILY: gettext_lazy("the day before"),
    Frequency.WEEKLY: gettext_lazy("last week"),
    Frequency.MONTHLY: gettext_lazy("last month"),
}


def report_metric_ids() -> list[str]:
    """The metrics a schedule can include: those of the agent performance report (the agent
    page's figures and the leaderboard's columns), in their order there."""
    ids = [f.metric for f in AGENT.cards] + [f.metric for f in LEADERBOARD.columns]
    return list(dict.fromkeys(ids))


def metric_choices() -> list[tuple[str, str]]:
    return [(mid, str(REGISTRY[mid].label)) for mid in report_metric_ids()]


# --- recipients ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    email: str
    kind: str
    language: str
    agent_id: int | None = None
    name: str = ""


def _address(value: str) -> str:
    return value.strip().lower()


def recipients_of(schedule: ReportSchedule) -> list[Recipient]:
    """Everyone the schedule's next e-mail goes to, one entry per address: the members and
    other addresses (the scope's report), then, with the option on, each agent in scope with an
    address of their own (their personal report). An address that is both gets the scope's
    report. Addresses that unsubscribed are left out."""
    unsubscribed = set(schedule.unsubscriptions.values_list("email", flat=True))
    seen: set[str] = set()
    out: list[Recipient] = []

    def add(recipient: Recipient) -> None:
        if recipient.email and recipient.email not in seen and recipient.email not in unsubscribed:
            seen.add(recipient.email)
            out.append(recipient)

    members = schedule.member_recipients.select_related("user").order_by("user__email")
    for membership in members:
        user = membership.user
        add(Recipient(_address(user.email), DeliveryKind.SCOPE, user.language or schedule.language,
                      name=user.get_full_name()))
    for email in sorted(schedule.external_recipients or []):
        add(Recipient(_address(email), DeliveryKind.SCOPE, schedule.language))
    if schedule.send_personal_reports:
        for agent in scope_agents(schedule).select_related("user"):
            email = agent.email or (agent.user.email if agent.user else "")
            language = (agent.user.language if agent.user else "") or schedule.language
            add(Recipient(_address(email), DeliveryKind.PERSONAL, language, agent_id=agent.pk, name=agent.name))
    return out


def scope_agents(schedule: ReportSchedule):
    agents = Agent.objects.for_org(schedule.organization_id)
    if schedule.scope == Scope.TEAM:
        return agents.filter(team_id=schedule.team_id) if schedule.team_id else agents.none()
    if schedule.scope == Scope.AGENTS:
        return agents.filter(pk__in=schedule.agents.values("pk"))
    return agents.filter(active=True)


def scope_description(schedule: ReportSchedule) -> str:
    if schedule.scope == Scope.TEAM:
        return _("Team {team}").format(team=schedule.team.name) if schedule.team else _("A deleted team")
    if schedule.scope == Scope.AGENTS:
        names = sorted(schedule.agents.values_list("name", flat=True))
        return _("Agents: {names}").format(names=", ".join(names)) if names else _("No agents chosen")
    return _("Whole organization")


# --- content -----------------------------------------------------------------------------------

@dataclass
class Figure:
    label: str
    value: str
    previous: str | None = None
    change: str | None = None
    direction: str = "neutral"
    median: str | None = None
    low_sample: bool = False


@dataclass
class BoardColumn:
    id: str
    header: str
    numeric: bool = True


@dataclass
class BoardCell:
    display: str
    header: str = ""
    change: str | None = None
    direction: str = "neutral"
    bar: int | None = None  # width in percent of the largest value of the column (chats)


@dataclass
class BoardRow:
    name: str
    cells: list[BoardCell]
    is_median: bool = False


@dataclass
class Content:
    """One report as shown in the e-mail, in the language active when it was built."""

    kind: str
    title: str
    subject: str
    period: Period
    range_display: str
    previous_display: str
    figures: list[Figure] = field(default_factory=list)
    notable: list[dict] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)  # chats per day: {"label", "value", "height"}
    bars_title: str = ""
    columns: list[BoardColumn] = field(default_factory=list)
    rows: list[BoardRow] = field(default_factory=list)
    median_label: str | None = None
    report_url: str = ""
    csv_name: str = ""
    csv_columns: list[Column] = field(default_factory=list)
    csv_rows: list[list] = field(default_factory=list)
    data_as_of: str | None = None
    pending_days: int = 0
    empty: bool = False
    agent_name: str | None = None

    @property
    def email_columns(self) -> list[BoardColumn]:
        return self.columns[: EMAIL_BOARD_COLUMNS + 1]

    @property
    def email_rows(self) -> list[BoardRow]:
        return [BoardRow(r.name, r.cells[:EMAIL_BOARD_COLUMNS], r.is_median) for r in self.rows]

    @property
    def more_columns(self) -> bool:
        return len(self.columns) > EMAIL_BOARD_COLUMNS + 1


def query_for(period: Period) -> ReportQuery:
    return ReportQuery(preset="custom", first=period.first, last=period.last, group_by="day", filters={},
                       compare=True, group_by_given=True)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _selected(schedule: ReportSchedule, figures) -> list:
    chosen = set(schedule.metrics or report_metric_ids())
    return [f for f in figures if f.metric in chosen]


def _figures(rendered, schedule) -> list[Figure]:
    chosen = {f.id for f in _selected(schedule, AGENT.cards)}
    out = []
    for card in rendered.cards:
        if card.id not in chosen:
            continue
        out.append(Figure(label=card.label, value=card.display, previous=card.previous_display,
                          change=card.change_display, direction=card.direction, median=card.median_display,
                          low_sample=card.low_sample))
    return out


def _notable(rendered, schedule, frequency: str) -> list[dict]:
    """The largest changes on the previous period (at least NOTABLE_CHANGE, enough sample), in words."""
    chosen = {f.id for f in _selected(schedule, AGENT.cards)}
    cards = [c for c in rendered.cards if c.id in chosen and c.change is not None and not c.low_sample
             and abs(c.change) >= NOTABLE_CHANGE]
    cards.sort(key=lambda c: -abs(c.change))
    words = []
    previous = PREVIOUS_PERIOD[frequency]
    for card in cards[:NOTABLE_MAX]:
        amount = formatting.percent(abs(card.change) * 100)
        template = _("{label} up {change} on {previous} ({before} → {now})") if card.change > 0 else \
            _("{label} down {change} on {previous} ({before} → {now})")
        words.append({"text": template.format(label=card.label, change=amount, previous=previous,
                                              before=card.previous_display, now=card.display),
                      "direction": card.direction})
    return words


def _bars(rendered) -> list[dict]:
    trend = rendered.section("trend")
    if trend is None or trend.error or not trend.rows:
        return []
    ids = [c.id for c in trend.columns]
    if "chats_total" not in ids:
        return []
    i = ids.index("chats_total")
    values = [r.cells[i].value or 0 for r in trend.rows]
    top = max(values) or 1
    return [{"label": renderer.period_short_label(r.keys[0].value, "day"), "value": r.cells[i].display,
             "height": max(2, round(48 * v / top)) if v else 0} for r, v in zip(trend.rows, values, strict=True)]


def _board(board, board_previous, schedule) -> tuple[list[BoardColumn], list[BoardRow], list[Column], list[list]]:
    """The leaderboard's agents with each figure's change on the previous period, the median
    row last; and the same as CSV columns and rows (machine-readable values)."""
    chosen = {f.id for f in _selected(schedule, LEADERBOARD.columns)}
    view = board.section(LEADERBOARD.id)
    if view is None or view.error:
        return [], [], [], []
    keep = [i for i, c in enumerate(view.columns) if c.id in chosen]
    previous_view = board_previous.section(LEADERBOARD.id) if board_previous else None
    before = {r.keys[0].value: r for r in (previous_view.rows if previous_view and not previous_view.error else [])}
    columns = [BoardColumn("agent", _("Agent"), numeric=False)] + [
        BoardColumn(view.columns[i].id, view.columns[i].header) for i in keep]
    chats_i = next((i for i in keep if view.columns[i].id == "chats_total"), None)
    top = max([r.cells[chats_i].value or 0 for r in view.rows] or [0]) if chats_i is not None else 0

    rows, csv_rows = [], []
    for row in view.rows:
        old = before.get(row.keys[0].value)
        cells, csv_row = [], [row.keys[0].value, row.keys[1].value]
        previous_values = []
        for i in keep:
            cell = row.cells[i]
            fig = LEADERBOARD.column(view.columns[i].id)
            prev = old.cells[i].value if old else None
            change = renderer.relative_change(cell.value, prev)
            direction = "neutral"
            if change and fig.better_when_higher is not None:
                direction = "good" if (change > 0) == fig.better_when_higher else "bad"
            bar = round(100 * (cell.value or 0) / top) if i == chats_i and top else None
            cells.append(BoardCell(cell.display, view.columns[i].header,
                                   formatting.signed_percent(change) if change is not None else None, direction, bar))
            csv_row.append(cell.value)
            previous_values.append(prev)
        rows.append(BoardRow(str(row.keys[1].display), cells))
        csv_rows.append(csv_row + previous_values)
    for row in view.footer:
        rows.append(BoardRow(str(row.keys[1].display), [BoardCell(row.cells[i].display, view.columns[i].header) for i in keep], is_median=True))
        csv_rows.append([row.keys[0].value, row.keys[1].value] + [row.cells[i].value for i in keep] + [None] * len(keep))
    csv_columns = [Column("agent", _("Id")), Column("agent_name", _("Name"))]
    csv_columns += [Column(view.columns[i].id, view.columns[i].header, view.columns[i].digits) for i in keep]
    csv_columns += [Column(f"{view.columns[i].id}.previous",
                           _("{header} (previous period)").format(header=view.columns[i].header), view.columns[i].digits)
                    for i in keep]
    return columns, rows, csv_columns, csv_rows


def _personal_csv(rendered, schedule, agent: Agent) -> tuple[list[Column], list[list]]:
    chosen = {f.id for f in _selected(schedule, AGENT.cards)}
    columns = [Column("agent", _("Id")), Column("agent_name", _("Agent")), Column("figure", _("Figure")), Column("label", _("Name")), Column("value", _("Value")),
               Column("previous", _("Previous period")), Column("team_median", _("Team median"))]
    rows = [[agent.external_id, agent.name, c.id, c.label, c.value, c.previous, c.median]
            for c in rendered.cards if c.id in chosen]
    return columns, rows


def _scope_filters(schedule: ReportSchedule) -> tuple[dict, dict | None]:
    """(filters of the headline figures, filters of the leaderboard; None: no agents at all)."""
    if schedule.scope == Scope.TEAM:
        if schedule.team is None:
            return {"team": ["\x00"]}, None
        agents = list(scope_agents(schedule).values_list("external_id", flat=True))
        return {"team": [schedule.team.external_id]}, ({"agent": agents} if agents else None)
    if schedule.scope == Scope.AGENTS:
        agents = list(scope_agents(schedule).values_list("external_id", flat=True))
        return ({"agent": agents}, {"agent": agents}) if agents else ({"agent": ["\x00"]}, None)
    return {}, {}


def _range_query(period: Period) -> str:
    return urlencode({"preset": "custom", "from": period.first.isoformat(), "to": period.last.isoformat()})


def build_content(*, schedule: ReportSchedule, period: Period, kind: str, agent: Agent | None = None) -> Content:
    """The report of ``period`` in the active language: the scope's, or ``agent``'s own."""
    org = schedule.organization
    query = query_for(period)
    range_display = formatting.date_range(period.first, period.last)
    previous = period.previous
    content = Content(kind=kind, title="", subject="", period=period, range_display=range_display,
                      previous_display=formatting.date_range(previous.first, previous.last))
    if kind == DeliveryKind.PERSONAL:
        rendered = renderer.render_page(page=AGENT, organization=org, query=query,
                                        fixed_filters={"agent": [agent.external_id]}, agent=agent)
        content.agent_name = agent.name
        content.title = _("Your report, {range}").format(range=range_display)
        content.subject = _("{name}: your report for {range}").format(name=schedule.name, range=range_display)
        content.median_label = rendered.median_label
        content.report_url = site_url(reverse("report_agent", kwargs={"org_slug": org.slug, "agent_id": agent.pk})
                                      + "?" + _range_query(period))
        content.csv_columns, content.csv_rows = _personal_csv(rendered, schedule, agent)
        content.csv_name = f"{org.slug}-{agent.external_id}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    else:
        card_filters, board_filters = _scope_filters(schedule)
        if card_filters.get("team") == ["\x00"] or card_filters.get("agent") == ["\x00"]:
            rendered = renderer.RenderedPage(page=AGENT, query=query, query_tz=org.tzinfo)
        else:
            rendered = renderer.render_page(page=AGENT, organization=org, query=query, fixed_filters=card_filters)
        if board_filters is not None:
            board = renderer.render_page(page=AGENTS, organization=org, query=query, fixed_filters=board_filters)
            board_previous = renderer.render_page(page=AGENTS, organization=org, query=query_for(previous),
                                                  fixed_filters=board_filters)
            content.columns, content.rows, content.csv_columns, content.csv_rows = _board(board, board_previous, schedule)
        content.title = _("{scope}, {range}").format(scope=scope_description(schedule), range=range_display)
        content.subject = _("{name}: {range}").format(name=schedule.name, range=range_display)
        content.report_url = site_url(reverse("report_agents", kwargs={"org_slug": org.slug}) + "?" + _range_query(period))
        content.csv_name = f"{org.slug}-agents-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        if not content.csv_columns:
            content.csv_columns = [Column("agent", _("Id")), Column("agent_name", _("Name"))]
    content.figures = _figures(rendered, schedule)
    content.notable = _notable(rendered, schedule, schedule.frequency)
    content.bars = _bars(rendered)
    content.bars_title = _("Chats per day")
    content.data_as_of = rendered.data_as_of_display
    content.pending_days = rendered.pending_days
    content.empty = not rendered.range_has_data and not content.rows
    return content


# --- the e-mail --------------------------------------------------------------------------------

def unsubscribe_token(*, schedule: ReportSchedule, email: str) -> str:
    # No timestamp (signing.dumps has one): the link never expires and the preview is the e-mail byte for byte.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"s": schedule.pk, "e": email}, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(schedule id, address) of a token; raises signing.BadSignature when it was altered."""
    data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("e"), str):
        raise signing.BadSignature("unexpected payload")
    return data["s"], data["e"]


def unsubscribe_url(*, schedule: ReportSchedule, email: str) -> str:
    return site_url(reverse("schedule_unsubscribe", kwargs={"token": unsubscribe_token(schedule=schedule, email=email)}))


def csv_bytes(content: Content) -> bytes:
    response = export_response(filename="report", columns=content.csv_columns, rows=content.csv_rows, fmt="csv")
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.streaming_content)


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict
    attachment_name: str
    attachment: bytes


def render_email(*, schedule: ReportSchedule, recipient: Recipient, content: Content, test: bool = False) -> RenderedEmail:
    """The e-mail exactly as sent: subject, text and HTML parts (CSS inlined), headers and the
    CSV attachment. Call in the recipient's language (translation.override)."""
    unsubscribe = unsubscribe_url(schedule=schedule, email=recipient.email)
    context = {
        "schedule": schedule, "organization": schedule.organization, "content": content, "recipient": recipient,
        "unsubscribe_url": unsubscribe, "test": test, "language": translation.get_language(),
        "frequency": schedule.get_frequency_display(),
    }
    subject = content.subject
    if test:
        subject = _("[Test] {subject}").format(subject=subject)
    html = _INLINER.inline(render_to_string("emails/schedule_report.html", context))
    text = render_to_string("emails/schedule_report.txt", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{schedule.name} <schedule-{schedule.pk}.{schedule.organization.slug}.helpdesk-metrics>",
        "Auto-Submitted": "auto-generated",
    }
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html, headers=headers,
                         attachment_name=content.csv_name, attachment=csv_bytes(content))


def new_message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "helpdesk-metrics.local"
    return make_msgid(idstring="report", domain=domain)


def email_message(*, rendered: RenderedEmail, to: str, message_id: str, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=rendered.subject, body=rendered.text, to=[to],
                                     headers={**rendered.headers, "Message-ID": message_id}, connection=connection)
    message.attach_alternative(rendered.html, "text/html")
    message.attach(rendered.attachment_name, rendered.attachment, "text/csv")
    return message
