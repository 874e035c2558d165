"""Drill-down pages: the list behind a figure (page, CSV, XLSX) and a conversation's timeline.

Who sees what: roles that view reports see every list and timeline of their organization; an
agent-role member whose login is an agent's (``Agent.user``) sees only lists of their own agent
and timelines of their own conversations; anyone else, and every other organization, gets 404,
the same as for a missing page or conversation.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.mixins import OrgMixin
from accounts.models import Agent
from reports import formatting
from reports.drilldown import columns as cols
from reports.drilldown import selectors, timeline
from reports.drilldown.links import URL_NAMES
from reports.exports import FORMATS, export_response
from reports.metrics.service import MetricsQueryError

PAGE_SIZE = 50
# A list without a measure: every row of its kind in the range.
DEFAULT_MEASURES = {selectors.CHAT: "chats_total", selectors.TICKET: "tickets_created",
                    selectors.ANSWER: "csat_answers", selectors.CANNED_USE: "canned_uses"}
DEFAULT_DAYS = 30
BAD_DATE = _("“{value}” is not a date (YYYY-MM-DD).")
BAD_PAGE = _("There is no page “{value}”.")
# An XLSX download is built in memory (CSV streams): larger lists go to CSV.
XLSX_MAX_ROWS = 100_000
XLSX_TOO_LONG = _("This list has {count} rows, more than an Excel download holds here ({limit}); download the CSV.")


class DrilldownAccessMixin:
    """After OrgMixin: who may see drill-downs, and whose. Sets ``self.own_agent``: None for
    report viewers, the member's agent for an agent-role member (404 without one)."""

    def dispatch(self, request, *args, **kwargs):
        membership = request.membership
        if membership.can("view_reports"):
            self.own_agent = None
        elif membership.can("view_own_figures"):
            self.own_agent = Agent.objects.for_org(request.organization).filter(user=request.user).first()
            if self.own_agent is None:
                raise Http404("No such page")
        else:
            raise Http404("No such page")
        return super().dispatch(request, *args, **kwargs)


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MetricsQueryError(str(BAD_DATE).format(value=value[:40]), field=name) from None


class ConversationListView(OrgMixin, DrilldownAccessMixin, TemplateView):
    """``?measure=<id>&from=&to=[&agent|team|channel|tag|segment|touchpoint=][&reason|priority|scale=]
    [&above=target|<seconds>][&page=N][&export=csv|xlsx]``: one kind of row (``kind``)."""

    template_name = "reports/drilldown/list.html"
    kind: str = selectors.CHAT

    def parse(self):
        data = self.request.GET
        today = timezone.now().astimezone(self.organization.tzinfo).date()
        last = _date(data["to"], "to") if data.get("to") else today
        first = _date(data["from"], "from") if data.get("from") else last - dt.timedelta(days=DEFAULT_DAYS - 1)
        filters = {d: data.get(d, "") for d in (*selectors.FILTER_DIMENSIONS, *selectors.SURVEY_DIMENSIONS)}
        if self.own_agent is not None:
            # An agent sees their own figures only: their agent's list, whatever else is asked.
            if filters["agent"] and _agent_ids(self.organization, filters["agent"]) != {self.own_agent.pk}:
                raise Http404("No such page")
            if any(v for d, v in filters.items() if d != "agent"):
                raise Http404("No such page")
            filters["agent"] = self.own_agent.external_id
        options = {name: data.get(name, "") for name in ("reason", "priority", "scale")}
        query = selectors.list_query(measure=data.get("measure") or DEFAULT_MEASURES[self.kind], first=first, last=last, filters=filters,
                                     options=options, above=data.get("above") or None)
        if query.measure.kind != self.kind:
            raise Http404("No such list")
        if query.measure.id == "ces_answers" and not query.options.get("scale"):
            scale = selectors.ces_headline_scale(organization=self.organization, query=query)
            query = selectors.ListQuery(query.measure, query.first, query.last, query.filters,
                                        {**query.options, "scale": scale}, query.above)
        return query

    def columns(self, query):
        spec = query.measure
        tz = self.organization.tzinfo
        value_header = None
        if spec.value is not None and spec.id not in STANDARD_DURATIONS:
            value_header = _measure_value_header(spec)
        return cols.COLUMNS[self.kind](tz, target=spec.sla is not None, value_header=value_header, measure=spec.id,
                                       placed_by=spec.timestamp)

    def get(self, request, *args, **kwargs):
        try:
            query = self.parse()
            qs = selectors.rows(organization=self.organization, query=query)
        except MetricsQueryError as exc:
            return self.render_to_response(self.get_context_data(error=str(exc), error_field=exc.field), status=400)
        columns = self.columns(query)
        qs = cols.with_related(qs, self.kind)
        fmt = request.GET.get("export")
        if fmt:
            if fmt not in FORMATS:
                raise Http404("No such format")
            if fmt == "xlsx" and (count := qs.count()) > XLSX_MAX_ROWS:
                error = str(XLSX_TOO_LONG).format(count=formatting.number(count), limit=formatting.number(XLSX_MAX_ROWS))
                return self.render_to_response(self.get_context_data(error=error, error_field="export"), status=400)
            return self.export(query, qs, columns, fmt)
        paginator = Paginator(qs, PAGE_SIZE)
        page_number = request.GET.get("page") or 1
        try:
            page = paginator.page(page_number)
        except Exception:  # EmptyPage / PageNotAnInteger: the same answer as a missing page
            raise Http404(str(BAD_PAGE).format(value=str(page_number)[:20])) from None
        tz = self.organization.tzinfo
        rows = [{"link": cols.row_link(self.organization, self.kind, row), "cells": cols.page_cells(columns, row, tz)}
                for row in page.object_list]
        return self.render_to_response(self.get_context_data(
            query=query, columns=columns, page_columns=[c for c in columns if c.under is None], rows=rows, page=page, paginator=paginator,
            heading=selectors.heading(organization=self.organization, query=query),
            count_text=formatting.number(paginator.count), **self.links(query, page)))

    def links(self, query, page) -> dict:
        base = query.params()

        def url(**extra) -> str:
            return "?" + urlencode({**base, **extra})

        return {
            "csv_url": url(export="csv"), "xlsx_url": url(export="xlsx"),
            "previous_url": url(page=page.previous_page_number()) if page.has_previous() else None,
            "next_url": url(page=page.next_page_number()) if page.has_next() else None,
        }

    def export(self, query, qs, columns, fmt):
        def values():
            for row in qs.iterator(chunk_size=2000):
                yield [c.read(row) for c in columns]

        name = f"{self.organization.slug}-{query.measure.id}-{query.first.isoformat()}-{query.last.isoformat()}"
        return export_response(filename=name, columns=[c.export_column() for c in columns], rows=values(), fmt=fmt,
                               sheet=str(query.measure.title))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kind"] = self.kind
        context["url_name"] = URL_NAMES[self.kind]
        context["own_agent"] = self.own_agent
        context["timezone_name"] = self.organization.timezone
        return context


STANDARD_DURATIONS = ("first_response_time", "wait_time", "chat_duration",
                      "ticket_first_response_time", "resolution_time")


def _measure_value_header(spec):
    from reports.metrics.base import REGISTRY

    metric = REGISTRY.get(spec.id)
    return metric.label if metric is not None else _("Time")


def _agent_ids(organization, value: str) -> set:
    from reports.metrics.service import resolve_filter

    try:
        return set(resolve_filter(organization, "agent", [value]))
    except MetricsQueryError:
        return set()


class ChatListView(ConversationListView):
    kind = selectors.CHAT


class TicketListView(ConversationListView):
    kind = selectors.TICKET


class AnswerListView(ConversationListView):
    kind = selectors.ANSWER


class CannedUseListView(ConversationListView):
    kind = selectors.CANNED_USE


class TimelineView(OrgMixin, DrilldownAccessMixin, TemplateView):
    template_name = "reports/drilldown/timeline.html"

    def load(self, **kwargs) -> timeline.Timeline:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context["timeline"] = self.load(**kwargs)
        except timeline.NotFound:
            raise Http404("No such conversation") from None
        context.update(timeline_context(context["timeline"], self.organization))
        context["timezone_name"] = self.organization.timezone
        context["own_agent"] = self.own_agent
        return context


def _when(value, tz) -> str:
    return formatting.datetime(value, tz, "medium") if value is not None else formatting.EMPTY


def _transfers(chat) -> str:
    """The count, and who passed the chat on to whom where the first agent is not the last."""
    text = formatting.number(chat.transfers)
    if chat.transfers and chat.first_agent and chat.agent and chat.first_agent_id != chat.agent_id:
        text += " · " + str(_("from %(first)s to %(last)s") % {"first": chat.first_agent.name, "last": chat.agent.name})
    return text


def timeline_context(tl: timeline.Timeline, organization) -> dict:
    """The timeline as the template shows it: every instant in the organization's zone."""
    tz = organization.tzinfo
    c = tl.conversation
    team = c.team or (c.agent.team if c.agent is not None else None)
    facts = [
        (_("Channel"), c.get_channel_display()),
        (_("Agent"), c.agent.name if c.agent else formatting.EMPTY),
        (_("Team"), team.name if team else formatting.EMPTY),
        (_("Customer"), str(c.customer) if c.customer else formatting.EMPTY),
    ]
    message_counts = None
    if tl.kind == "chat":
        facts[1:2] = [(_("Agent"), c.agent.name if c.agent else formatting.EMPTY),
                      (_("First agent"), c.first_agent.name if c.first_agent else formatting.EMPTY)]
        facts += [(_("Started by"), c.get_initiated_by_display()),
                  (_("Outcome"), cols.chat_status(c)),
                  (_("Transfers"), _transfers(c))]
        if c.page_url:
            facts.append((_("Page"), c.page_url))
        total = c.messages_visitor + c.messages_agent
        message_counts = {
            "visitor": formatting.number(c.messages_visitor), "agent": formatting.number(c.messages_agent),
            "total": formatting.number(total), "responses": formatting.number(c.response_count),
            "average_reply": formatting.duration(c.response_time_total_s / c.response_count) if c.response_count else formatting.EMPTY,
            "first_reply": _when(c.first_response_at, tz), "last": _when(c.ended_at, tz),
        }
        title = _("Chat %(id)s") % {"id": c.external_id}
    else:
        facts += [(_("Subject"), c.subject or formatting.EMPTY), (_("Priority"), c.get_priority_display()),
                  (_("Status"), c.get_status_display()), (_("Complaint"), _("yes") if c.is_complaint else _("no")),
                  (_("Reopened"), formatting.number(c.reopened_count)), (_("Agent replies"), formatting.number(c.agent_replies))]
        if c.sentiment:
            facts.append((_("Sentiment"), c.get_sentiment_display()))
        title = _("Ticket %(id)s") % {"id": c.external_id}
    events = [{"time": _when(e.at, tz), "iso": e.at.astimezone(tz).isoformat(), "label": e.label, "detail": e.detail,
               "span": f"{e.seconds_label} {formatting.duration(e.seconds)}" if e.seconds is not None else ""}
              for e in tl.events]
    sla = [{"label": s.label, "actual": formatting.duration(s.actual), "target": formatting.duration(s.target),
            "met": s.met} for s in tl.sla]
    uses = [{"time": _when(u.used_at, tz), "title": u.canned_response.title, "agent": u.agent.name} for u in tl.canned_uses]
    answers = [{"time": _when(a.answered_at, tz), "kind": a.kind.upper(), "score": formatting.number(a.score),
                "scale": a.scale, "comment": a.comment, "segment": a.segment, "touchpoint": a.touchpoint}
               for a in tl.answers]
    return {"title": title, "facts": facts, "events": events, "sla": sla, "message_counts": message_counts,
            "uses": uses, "answers": answers, "tags": tl.tags, "started": _when(tl.events[0].at, tz)}


class ChatTimelineView(TimelineView):
    def load(self, **kwargs):
        return timeline.chat_timeline(organization=self.organization, chat_id=kwargs["chat_id"], own_agent=self.own_agent)


class TicketTimelineView(TimelineView):
    def load(self, **kwargs):
        return timeline.ticket_timeline(organization=self.organization, ticket_id=kwargs["ticket_id"],
                                        own_agent=self.own_agent)
