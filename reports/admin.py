from django.contrib import admin

from chats.admin import OrgAdmin
from reports.models import DirtyDay


@admin.register(DirtyDay)
class DirtyDayAdmin(OrgAdmin):
    list_display = ["organization", "day", "marked_at"]
    date_hierarchy = "day"
