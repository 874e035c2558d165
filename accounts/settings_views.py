"""``/o/<slug>/settings/...``: owners and admins configure their organization.

Every page is an OrgMixin page with a ``required_capability`` (``configure``, or
``manage_members`` for members and invitations), so other roles and non-members get 404 and
the handlers never check roles. Objects named in the URL come through the access_* selectors
(another organization's id is the same 404 as a missing one). Each POST calls one service; the
service writes the change and its audit row; the view only turns service errors into form errors
and messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView, TemplateView

from accounts import selectors
from accounts.audit import audit_actors, audit_entries
from accounts.invitations import invitation_create, invitation_resend, invitation_revoke
from accounts.mixins import OrgMixin
from accounts.models import AuditKind, CsatScale, Role, Weekday
from accounts.services import (
    agent_update,
    member_remove,
    member_role_change,
    organization_update,
    team_create,
    team_update,
)
from accounts.settings_forms import (
    AgentForm,
    AuditFilterForm,
    InvitationForm,
    MemberRoleForm,
    ProfileForm,
    TagForm,
    TagMergeForm,
    TeamForm,
)
from chats.models import Channel, Priority
from chats.services import tag_create, tag_merge, tag_update
from reports import formatting
from reports.freshness import rebuild_backlog
from reports.models import SlaMetric

PROFILE_SAVED = _("The profile was saved.")
PROFILE_REBUILDING = _("The change affects figures already computed: %(days)s days are being rebuilt. "
                       "Reports show the new numbers as each day finishes.")
NOTHING_CHANGED = _("Nothing was changed.")
INVITATION_SENT = _("An invitation was sent to %(email)s.")
INVITATION_NOT_SENT = _("The invitation to %(email)s was saved but the e-mail could not be sent. Try “Resend”.")
INVITATION_RESENT = _("A new invitation link was sent to %(email)s; earlier links no longer work.")
INVITATION_REVOKED = _("The invitation to %(email)s was revoked.")
ROLE_CHANGED = _("%(email)s is now %(role)s.")
MEMBER_REMOVED = _("%(email)s was removed from the organization.")
TEAM_CREATED = _("The team “%(name)s” was created.")
TEAM_SAVED = _("The team “%(name)s” was saved.")
AGENT_SAVED = _("The agent “%(name)s” was saved.")
AGENT_MOVED = _("The agent “%(name)s” was saved; their team figures are being rebuilt for %(days)s days.")
TAG_CREATED = _("The tag “%(name)s” was created.")
TAG_SAVED = _("The tag “%(name)s” was saved.")
TAG_SAVED_REBUILDING = _("The tag “%(name)s” was saved; %(days)s days are being rebuilt.")
TAG_MERGED = _("“%(source)s” was merged into “%(target)s”; %(days)s days are being rebuilt.")

AUDIT_PAGE_SIZE = 50


def put_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# (url name, label, capability, section) of the settings navigation, in its order.
SETTINGS_SECTIONS = [
    ("settings_profile", _("Profile"), "configure", "profile"),
    ("settings_members", _("Members"), "manage_members", "members"),
    ("settings_teams", _("Teams"), "configure", "teams"),
    ("settings_agents", _("Agents"), "configure", "agents"),
    ("settings_tags", _("Tags"), "configure", "tags"),
    ("settings_sla_targets", _("SLA targets"), "configure", "sla_targets"),
    ("settings_business_hours", _("Business hours"), "configure", "business_hours"),
    ("settings_goals", _("Goals"), "configure", "goals"),
    ("api_key_list", _("API keys"), "manage_api_keys", "api_keys"),
    ("settings_audit", _("Audit log"), "configure", "audit"),
    ("privacy_home", _("Personal data"), "manage_personal_data", "privacy"),
]


def settings_nav(membership, current: str) -> list[dict]:
    return [{"url_name": url_name, "label": label, "current": section == current}
            for url_name, label, capability, section in SETTINGS_SECTIONS if membership.can(capability)]


class SettingsMixin(OrgMixin):
    required_capability = "configure"
    settings_section = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["settings_nav"] = settings_nav(self.membership, self.settings_section)
        context["settings_section"] = self.settings_section
        return context

    def back(self, url_name: str):
        return redirect(url_name, org_slug=self.organization.slug)

    @property
    def is_owner(self) -> bool:
        return self.membership.role == Role.OWNER


class SettingsHomeView(SettingsMixin, TemplateView):
    template_name = "settings/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inventory = selectors.organization_inventory(organization=self.organization)
        context.update(inventory=inventory, rebuild_backlog=rebuild_backlog(organization=self.organization),
                       pending_invitations=selectors.pending_invitations(organization=self.organization).count())
        return context


# --- Profile ----------------------------------------------------------------------------------

class ProfileView(SettingsMixin, FormView):
    template_name = "settings/profile.html"
    form_class = ProfileForm
    settings_section = "profile"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # A copy: a rejected form must not leave its values on request.organization.
        kwargs["instance"] = type(self.organization).objects.get(pk=self.organization.pk)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(timezones=ProfileForm.timezone_names(),
                       rebuild_backlog=rebuild_backlog(organization=self.organization))
        return context

    def form_valid(self, form):
        try:
            _org, days = organization_update(
                organization=self.organization, actor=self.request.user,
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        if days:
            messages.warning(self.request, PROFILE_REBUILDING % {"days": len(days)})
        else:
            messages.success(self.request, PROFILE_SAVED if form.has_changed() else NOTHING_CHANGED)
        return self.back("settings_profile")


# --- Members and invitations ------------------------------------------------------------------

class MembersMixin(SettingsMixin):
    required_capability = "manage_members"
    settings_section = "members"

    def site_url(self) -> str:
        return self.request.build_absolute_uri("/")


class MembersView(MembersMixin, TemplateView):
    template_name = "settings/members.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        members = list(selectors.member_list(organization=self.organization))
        context.update(
            members=members,
            owner_count=sum(1 for m in members if m.role == Role.OWNER),
            invitations=selectors.pending_invitations(organization=self.organization),
            invite_form=kwargs.get("invite_form") or InvitationForm(can_grant_owner=self.is_owner),
            is_owner=self.is_owner,
        )
        return context


class InviteView(MembersMixin, FormView):
    template_name = "settings/member_invite.html"
    form_class = InvitationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "can_grant_owner": self.is_owner}

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            invitation = invitation_create(organization=self.organization, actor=self.membership, email=email,
                                           role=form.cleaned_data["role"], site_url=self.site_url())
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        except OSError:  # SMTP refused or unreachable: the invitation exists, resend it later
            messages.error(self.request, INVITATION_NOT_SENT % {"email": email})
            return self.back("settings_members")
        messages.success(self.request, INVITATION_SENT % {"email": invitation.email})
        return self.back("settings_members")


class MemberEditView(MembersMixin, FormView):
    template_name = "settings/member_edit.html"
    form_class = MemberRoleForm

    def get_member(self):
        if not hasattr(self, "_member"):
            self._member = selectors.access_membership(organization=self.organization,
                                                       membership_id=self.kwargs["member_id"])
        return self._member

    def get_form_kwargs(self):
        member = self.get_member()
        # An admin sees an owner's role but cannot pick "owner" for anyone.
        return {**super().get_form_kwargs(), "can_grant_owner": self.is_owner or member.role == Role.OWNER,
                "initial": {"role": member.role}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.get_member()
        context.update(member=member, is_owner=self.is_owner,
                       agents=selectors.agent_list(organization=self.organization).filter(user=member.user))
        return context

    def form_valid(self, form):
        member = self.get_member()
        try:
            member = member_role_change(organization=self.organization, actor=self.membership, membership=member,
                                        role=form.cleaned_data["role"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, ROLE_CHANGED % {"email": member.user.email, "role": member.get_role_display()})
        return self.back("settings_members")


class MemberRemoveView(MembersMixin, TemplateView):
    template_name = "settings/member_remove.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["member"] = selectors.access_membership(organization=self.organization,
                                                        membership_id=self.kwargs["member_id"])
        context["error"] = kwargs.get("error")
        return context

    def post(self, request, *args, **kwargs):
        member = selectors.access_membership(organization=self.organization, membership_id=self.kwargs["member_id"])
        try:
            member_remove(organization=self.organization, actor=self.membership, membership=member)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(error=" ".join(error.messages)), status=400)
        messages.success(request, MEMBER_REMOVED % {"email": member.user.email})
        if member.user_id == request.user.pk:  # removed themselves: this organization is gone for them
            return redirect("home")
        return self.back("settings_members")


class InvitationActionView(MembersMixin, TemplateView):
    """GET asks for confirmation; POST acts (resend or revoke)."""

    template_name = "settings/invitation_confirm.html"
    action = ""

    def get_invitation(self):
        return selectors.access_invitation(organization=self.organization, invitation_id=self.kwargs["invitation_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(invitation=self.get_invitation(), action=self.action, error=kwargs.get("error"))
        return context

    def post(self, request, *args, **kwargs):
        invitation = self.get_invitation()
        try:
            self.act(invitation)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(error=" ".join(error.messages)), status=400)
        except OSError:
            messages.error(request, INVITATION_NOT_SENT % {"email": invitation.email})
        return self.back("settings_members")


class InvitationResendView(InvitationActionView):
    action = "resend"

    def act(self, invitation):
        invitation_resend(organization=self.organization, actor=self.request.user, invitation=invitation,
                          site_url=self.site_url())
        messages.success(self.request, INVITATION_RESENT % {"email": invitation.email})


class InvitationRevokeView(InvitationActionView):
    action = "revoke"

    def act(self, invitation):
        invitation_revoke(organization=self.organization, actor=self.request.user, invitation=invitation)
        messages.success(self.request, INVITATION_REVOKED % {"email": invitation.email})


# --- Teams and agents -------------------------------------------------------------------------

class TeamsView(SettingsMixin, TemplateView):
    template_name = "settings/teams.html"
    settings_section = "teams"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(teams=selectors.team_list(organization=self.organization), form=TeamForm())
        return context


class TeamCreateView(SettingsMixin, FormView):
    template_name = "settings/team_form.html"
    form_class = TeamForm
    settings_section = "teams"

    def form_valid(self, form):
        try:
            team = team_create(organization=self.organization, actor=self.request.user, name=form.cleaned_data["name"],
                               external_id=form.cleaned_data["external_id"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, TEAM_CREATED % {"name": team.name})
        return self.back("settings_teams")


class TeamEditView(SettingsMixin, FormView):
    template_name = "settings/team_form.html"
    form_class = TeamForm
    settings_section = "teams"

    def get_team(self):
        return selectors.access_team(organization=self.organization, team_id=self.kwargs["team_id"])

    def get_form_kwargs(self):
        team = self.get_team()
        return {**super().get_form_kwargs(), "editing": True, "initial": {"name": team.name, "active": team.active}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team = self.get_team()
        context.update(team=team, agents=selectors.agent_list(organization=self.organization, team_id=team.pk))
        return context

    def form_valid(self, form):
        try:
            team = team_update(organization=self.organization, actor=self.request.user, team=self.get_team(),
                               name=form.cleaned_data["name"], active=form.cleaned_data["active"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, TEAM_SAVED % {"name": team.name})
        return self.back("settings_teams")


class AgentsView(SettingsMixin, TemplateView):
    template_name = "settings/agents.html"
    settings_section = "agents"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agents"] = selectors.agent_list(organization=self.organization)
        return context


class AgentEditView(SettingsMixin, FormView):
    template_name = "settings/agent_form.html"
    form_class = AgentForm
    settings_section = "agents"

    def get_agent(self):
        if not hasattr(self, "_agent"):
            self._agent = selectors.access_agent(organization=self.organization, agent_id=self.kwargs["agent_id"])
        return self._agent

    def get_form_kwargs(self):
        agent = self.get_agent()
        return {**super().get_form_kwargs(), "organization": self.organization, "agent": agent,
                "initial": {"team": agent.team_id, "user": agent.user_id}}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "agent": self.get_agent()}

    def form_valid(self, form):
        try:
            agent, days = agent_update(organization=self.organization, actor=self.request.user, agent=self.get_agent(),
                                       team=form.cleaned_data["team"], user=form.cleaned_data["user"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        if days:
            messages.warning(self.request, AGENT_MOVED % {"name": agent.name, "days": len(days)})
        else:
            messages.success(self.request, AGENT_SAVED % {"name": agent.name})
        return self.back("settings_agents")


# --- Tags -------------------------------------------------------------------------------------

class TagMixin(SettingsMixin):
    settings_section = "tags"

    def categories(self) -> list[str]:
        from chats.models import Tag

        return sorted(set(Tag.objects.for_org(self.organization).exclude(category="")
                          .values_list("category", flat=True)))

    def get_tag(self):
        if not hasattr(self, "_tag"):
            self._tag = selectors.access_tag(organization=self.organization, tag_id=self.kwargs["tag_id"])
        return self._tag


class TagsView(TagMixin, TemplateView):
    template_name = "settings/tags.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tags = list(selectors.tag_list(organization=self.organization))
        context.update(
            active_tags=[t for t in tags if not t.archived and t.merged_into_id is None],
            archived_tags=[t for t in tags if t.archived and t.merged_into_id is None],
            merged_tags=[t for t in tags if t.merged_into_id is not None],
            form=TagForm(), categories=self.categories(),
        )
        return context


class TagCreateView(TagMixin, FormView):
    template_name = "settings/tag_form.html"
    form_class = TagForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "categories": self.categories()}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            tag = tag_create(organization=self.organization, actor=self.request.user, name=data["name"],
                             color=data["color"], category=data["category"], high_priority=data["high_priority"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, TAG_CREATED % {"name": tag.name})
        return self.back("settings_tags")


class TagEditView(TagMixin, FormView):
    template_name = "settings/tag_form.html"
    form_class = TagForm

    def get_form_kwargs(self):
        tag = self.get_tag()
        initial = {"name": tag.name, "color": tag.color, "category": tag.category,
                   "high_priority": tag.high_priority, "archived": tag.archived}
        return {**super().get_form_kwargs(), "editing": True, "initial": initial}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "tag": self.get_tag(), "categories": self.categories()}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            tag, days = tag_update(organization=self.organization, actor=self.request.user, tag=self.get_tag(),
                                   name=data["name"], color=data["color"], category=data["category"],
                                   high_priority=data["high_priority"], archived=data["archived"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        if days:
            messages.warning(self.request, TAG_SAVED_REBUILDING % {"name": tag.name, "days": len(days)})
        else:
            messages.success(self.request, TAG_SAVED % {"name": tag.name})
        return self.back("settings_tags")


class TagMergeView(TagMixin, FormView):
    template_name = "settings/tag_merge.html"
    form_class = TagMergeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.organization, "source": self.get_tag()}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "tag": self.get_tag()}

    def form_valid(self, form):
        source = self.get_tag()
        try:
            target, days = tag_merge(organization=self.organization, actor=self.request.user, source=source,
                                     target=form.cleaned_data["target"])
        except ValidationError as error:
            put_errors(form, error)
            return self.form_invalid(form)
        messages.warning(self.request, TAG_MERGED % {"source": source.name, "target": target.name, "days": len(days)})
        return self.back("settings_tags")


# --- Audit log --------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": _("name"), "timezone": _("time zone"), "week_start": _("week starts on"),
    "follow_up_window_hours": _("follow-up window (hours)"), "min_sample_size": _("minimum sample size"),
    "csat_scale": _("CSAT scale"), "gross_margin": _("average gross margin"), "role": _("role"),
    "agents": _("linked agents"), "external_id": _("external id"), "active": _("active"), "team": _("team"),
    "user": _("member"), "color": _("colour"), "category": _("category"), "high_priority": _("high priority"),
    "archived": _("archived"), "merged_into": _("merged into"), "chat_links_moved": _("chats moved"),
    "chat_links_dropped": _("chats that had both tags"), "ticket_links_moved": _("tickets moved"),
    "ticket_links_dropped": _("tickets that had both tags"), "scopes": _("scopes"), "revoked_at": _("revoked"),
    "expires_at": _("expires"), "status": _("status"),
    "metric": _("measure"), "channel": _("channel"), "priority": _("priority"), "target_seconds": _("target"),
    "business_hours": _("in business hours"), "intervals": _("opening hours"), "holidays": _("holidays"),
    "field": _("figure"), "at_least": _("met at or above the target"), "target": _("target"),
    "chats": _("chats"), "tickets": _("tickets"), "survey_answers": _("survey answers"), "file": _("file"),
}


# Stored values shown by their labels in the user's language.
VALUE_LABELS = {"role": dict(Role.choices), "week_start": dict(Weekday.choices), "csat_scale": dict(CsatScale.choices),
                "metric": dict(SlaMetric.choices), "channel": dict(Channel.choices), "priority": dict(Priority.choices)}


def _shown(field: str, value):
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value == "":
        return "—"
    if field == "target_seconds" and isinstance(value, int):
        return formatting.duration(value)
    return VALUE_LABELS.get(field, {}).get(value, value)


def describe_changes(changes: dict) -> list[tuple[str, object, object]]:
    """(field label, old, new) for the page; old None: the field had no value before (a creation,
    or a count such as the chats a merge moved), shown as the new value alone."""
    return [(str(FIELD_LABELS.get(field, field)), None if old is None else _shown(field, old), _shown(field, new))
            for field, (old, new) in changes.items()]


class AuditMixin(SettingsMixin):
    settings_section = "audit"

    def filtered(self):
        form = AuditFilterForm(self.request.GET or None, actors=audit_actors(organization=self.organization))
        kind, actor = "", None
        if form.is_valid():
            kind, actor = form.cleaned_data["kind"], form.cleaned_data["actor"]
        return form, audit_entries(organization=self.organization, kind=kind, actor_id=actor)


class AuditLogView(AuditMixin, TemplateView):
    template_name = "settings/audit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, entries = self.filtered()
        page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(self.request.GET.get("page"))
        for entry in page:
            entry.described = describe_changes(entry.changes)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filter_form=form, page=page, query=query.urlencode(),
                       count_label=ngettext("%(n)s change", "%(n)s changes", page.paginator.count)
                       % {"n": page.paginator.count})
        return context


class AuditExportView(AuditMixin, TemplateView):
    """The filtered log as CSV (or XLSX with ?format=xlsx), through reports.exports."""

    def get(self, request, *args, **kwargs):
        from reports.exports import Column, export_response

        _form, entries = self.filtered()
        fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
        columns = [
            Column("when", str(_("When"))), Column("actor", str(_("By"))), Column("kind", str(_("Kind"))),
            Column("kind_label", str(_("Change"))), Column("object_type", str(_("Object type"))),
            Column("object_id", str(_("Object id"))), Column("object", str(_("Object"))),
            Column("field", str(_("Field"))), Column("old", str(_("Old value"))), Column("new", str(_("New value"))),
        ]
        tz = self.organization.tzinfo
        # Translated now: the CSV streams after this view returns.
        kind_labels = {kind: str(label) for kind, label in AuditKind.choices}

        def rows():
            for entry in entries.iterator(chunk_size=500):
                base = [entry.created_at.astimezone(tz), entry.actor_email, entry.kind, kind_labels.get(entry.kind, ""),
                        entry.target_type, entry.target_id, entry.target_label]
                changes = entry.changes or {"": [None, None]}
                # One line per changed field, so old and new values stay in their own cells.
                for field, (old, new) in changes.items():
                    yield [*base, field, _cell(old), _cell(new)]

        return export_response(filename=f"{self.organization.slug}-audit-log", columns=columns, rows=rows(), fmt=fmt,
                               sheet=str(_("Audit log")))


def _cell(value):
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value
