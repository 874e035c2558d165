"""``/o/<slug>/settings/``: the organization's settings pages (see accounts.settings_views)."""

from django.urls import include, path

from accounts import settings_goals as goals
from accounts import settings_sla as sla
from accounts import settings_views as views

urlpatterns = [
    path("", views.SettingsHomeView.as_view(), name="settings_home"),
    path("profile/", views.ProfileView.as_view(), name="settings_profile"),
    path("members/", views.MembersView.as_view(), name="settings_members"),
    path("members/invite/", views.InviteView.as_view(), name="settings_member_invite"),
    path("members/<int:member_id>/", views.MemberEditView.as_view(), name="settings_member_edit"),
    path("members/<int:member_id>/remove/", views.MemberRemoveView.as_view(), name="settings_member_remove"),
    path("invitations/<int:invitation_id>/resend/", views.InvitationResendView.as_view(),
         name="settings_invitation_resend"),
    path("invitations/<int:invitation_id>/revoke/", views.InvitationRevokeView.as_view(),
         name="settings_invitation_revoke"),
    path("teams/", views.TeamsView.as_view(), name="settings_teams"),
    path("teams/new/", views.TeamCreateView.as_view(), name="settings_team_create"),
    path("teams/<int:team_id>/", views.TeamEditView.as_view(), name="settings_team_edit"),
    path("agents/", views.AgentsView.as_view(), name="settings_agents"),
    path("agents/<int:agent_id>/", views.AgentEditView.as_view(), name="settings_agent_edit"),
    path("tags/", views.TagsView.as_view(), name="settings_tags"),
    path("tags/new/", views.TagCreateView.as_view(), name="settings_tag_create"),
    path("tags/<int:tag_id>/", views.TagEditView.as_view(), name="settings_tag_edit"),
    path("tags/<int:tag_id>/merge/", views.TagMergeView.as_view(), name="settings_tag_merge"),
    path("sla-targets/", sla.SlaTargetsView.as_view(), name="settings_sla_targets"),
    path("sla-targets/new/", sla.SlaTargetCreateView.as_view(), name="settings_sla_target_create"),
    path("sla-targets/<int:sla_target_id>/", sla.SlaTargetEditView.as_view(), name="settings_sla_target_edit"),
    path("sla-targets/<int:sla_target_id>/delete/", sla.SlaTargetDeleteView.as_view(),
         name="settings_sla_target_delete"),
    path("business-hours/", sla.BusinessHoursView.as_view(), name="settings_business_hours"),
    path("goals/", goals.GoalsView.as_view(), name="settings_goals"),
    path("goals/<int:goal_id>/", goals.GoalEditView.as_view(), name="settings_goal_edit"),
    path("goals/<int:goal_id>/delete/", goals.GoalDeleteView.as_view(), name="settings_goal_delete"),
    path("audit/", views.AuditLogView.as_view(), name="settings_audit"),
    path("audit/export/", views.AuditExportView.as_view(), name="settings_audit_export"),
    path("api-keys/", include("accounts.api_keys_urls")),
    path("privacy/", include("privacy.urls")),
]
