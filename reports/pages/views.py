"""The report pages: one view renders any declared page (reports.pages.catalogue) for the
question in its URL; ``?export=<table id>&format=csv|xlsx`` downloads one of its tables, with
the same numbers. An htmx request (the controls) gets only the report region back."""

from __future__ import annotations

from django.http import Http404
from django.template.response import TemplateResponse
from django.views import View

from accounts.mixins import OrgMixin
from accounts.models import Agent, Team
from chats.models import Channel, Tag
from reports.exports import FORMATS, export_response
from reports.models import DaySnapshot, DirtyDay
from reports.pages import renderer
from reports.pages.catalogue import AGENT, NAV_PAGES, PAGES
from reports.pages.params import GROUP_BY_LABELS, ONE_FILTER_HELP, PRESETS, parse_query


class ReportPageView(OrgMixin, View):
    """``/o/<org>/reports/<page>/``: the page ``page_id`` of the catalogue."""

    required_capability = "view_reports"
    page_id: str = ""
    template_name = "reports/page.html"
    partial_template_name = "reports/partials/report.html"

    @property
    def page(self):
        return PAGES[self.page_id]

    def fixed_filters(self) -> dict | None:
        return None

    def agent(self) -> Agent | None:
        return None

    def get(self, request, *args, **kwargs):
        query, messages = parse_query(request.GET, organization=self.organization)
        export = request.GET.get("export")
        if export:
            return self.export(query, export, request.GET.get("format") or "csv")
        rendered = renderer.render_page(
            page=self.page, organization=self.organization, query=query, fixed_filters=self.fixed_filters(),
            agent=self.agent(), params=request.GET, urls=lambda qs: f"{request.path}?{qs}")
        context = self.context(query, rendered, messages)
        htmx = getattr(request, "htmx", None)
        template = self.partial_template_name if htmx and not htmx.boosted else self.template_name
        return TemplateResponse(request, template, context)

    def export(self, query, section_id: str, fmt: str):
        if fmt not in FORMATS or self.page.section(section_id) is None:
            raise Http404("No such table")
        filters = self.fixed_filters()
        rendered = renderer.render_page(page=self.page, organization=self.organization, query=query,
                                        fixed_filters=filters, agent=self.agent(), params=self.request.GET,
                                        only=section_id)
        view = rendered.section(section_id)
        columns, rows = view.export()
        if view.kind == "breaches" and not view.error:  # the whole list, not the page shown
            rows = (self._breach_values(b, view) for b in renderer.breach_rows(
                self.organization, query, filters if filters is not None else query.active_filters,
                view.extra["measure"]).iterator())
        elif view.kind == "comments" and not view.error:
            rows = ([r.keys[0].value, r.keys[1].value, r.keys[2].value, r.keys[3].value, r.keys[4].value,
                     r.cells[0].value] for r in (renderer._comment_row(self.organization, a) for a in
                                                 renderer.comment_rows(self.organization, query, query.active_filters)
                                                 .iterator()))
        name = f"{self.organization.slug}-{self.page.id}-{section_id}-{query.first.isoformat()}-{query.last.isoformat()}"
        return export_response(filename=name, columns=columns, rows=rows, fmt=fmt, sheet=str(view.title))

    def _breach_values(self, b, view):
        row = renderer._breach_row(self.organization, b, view.extra["measure"])
        return [c.value for c in row.keys] + [c.value for c in row.cells]

    def filter_options(self) -> list[dict]:
        """The controls' filter selects: the page's dimensions, each with its values."""
        org = self.organization
        options = []
        for dim in self.page.filters:
            if dim == "team":
                values = [(t.external_id, t.name) for t in Team.objects.for_org(org).order_by("name")]
            elif dim == "agent":
                values = [(a.external_id, a.name) for a in Agent.objects.for_org(org).order_by("name")]
            elif dim == "tag":
                values = [(t.name, t.name) for t in Tag.objects.for_org(org).order_by("name")]
            else:
                values = [(c.value, str(c.label)) for c in Channel]
            options.append({"name": dim, "label": renderer.dimension_name(dim).capitalize(), "values": values})
        return options

    def context(self, query, rendered, messages) -> dict:
        org = self.organization
        has_any_data = rendered.data_as_of is not None or DaySnapshot.objects.for_org(org).exists()
        # Data received but no day built yet (a first import, a worker not running): say so,
        # rather than "no data yet".
        days_waiting = 0 if has_any_data else DirtyDay.objects.for_org(org).count()
        kept = {k: self.request.GET[k] for k in self.request.GET if k == "measure" or k.endswith("_sort")}
        for section in rendered.sections:
            if section.exportable:
                section.export_urls = {
                    fmt: f"{self.request.path}?{query.querystring(**kept, export=section.id, format=fmt)}"
                    for fmt in FORMATS}
        selected = {d: v[0] for d, v in query.active_filters.items()}
        return {
            "organization": org, "membership": self.membership, "report": rendered, "query": query,
            "page": self.page, "messages_list": messages, "nav_pages": NAV_PAGES,
            "presets": list(PRESETS.items()), "group_bys": list(GROUP_BY_LABELS.items()),
            "filter_options": self.filter_options(), "selected_filters": selected,
            "one_filter_help": ONE_FILTER_HELP, "has_any_data": has_any_data, "days_waiting": days_waiting,
            "page_title": self.page_title(), "agent": self.agent(),
            "chats_bulk_url": self.request.build_absolute_uri("/api/v1/chats/bulk"),
            "can_manage_api_keys": self.membership.can("manage_api_keys"),
            "previous_range": query.previous,
        }

    def page_title(self) -> str:
        return str(self.page.title)


class AgentReportView(ReportPageView):
    """``/o/<org>/reports/agents/<agent_id>/``: one agent's performance report. Members who view
    reports see any agent's; a member with the agent role only their own (Agent.user): any other
    agent, like a missing one, is a 404."""

    required_capability = None
    page_id = AGENT.id

    def dispatch(self, request, *args, **kwargs):
        self._agent = None
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, agent_id: int, **kwargs):
        agent = Agent.objects.for_org(self.organization).filter(pk=agent_id).select_related("team").first()
        allowed = agent is not None and (
            self.membership.can("view_reports")
            or (self.membership.can("view_own_figures") and agent.user_id == request.user.pk))
        if not allowed:
            raise Http404("No such agent")
        self._agent = agent
        return super().get(request, *args, **kwargs)

    def agent(self) -> Agent | None:
        return self._agent

    def fixed_filters(self) -> dict | None:
        return {"agent": [self._agent.external_id]}

    def page_title(self) -> str:
        return self._agent.name
