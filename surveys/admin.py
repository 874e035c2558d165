from django.contrib import admin

from chats.admin import DirtyDaysAdminMixin, OrgAdmin
from reports.freshness import answer_days
from surveys.models import SurveyAnswer


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(DirtyDaysAdminMixin, OrgAdmin):
    def touched_days(self, obj):
        return answer_days(organization=obj.organization, answers=[(obj.answered_at, obj.kind, obj.chat_id, obj.ticket_id)])

    list_display = ["external_id", "kind", "scale", "score", "answered_at", "agent", "organization"]
    list_filter = ["organization", "kind", "scale"]
    list_select_related = ["organization", "agent"]
    search_fields = ["external_id", "comment"]
    date_hierarchy = "answered_at"
    raw_id_fields = ["chat", "ticket", "agent", "customer"]
