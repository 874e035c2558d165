"""``/o/<org>/schedules/``: report schedules (managers and above)."""

from django.urls import path

from schedules import views

urlpatterns = [
    path("", views.ScheduleListView.as_view(), name="schedule_list"),
    path("new/", views.ScheduleCreateView.as_view(), name="schedule_create"),
    path("<int:schedule_id>/", views.ScheduleDetailView.as_view(), name="schedule_detail"),
    path("<int:schedule_id>/edit/", views.ScheduleEditView.as_view(), name="schedule_edit"),
    path("<int:schedule_id>/pause/", views.SchedulePauseView.as_view(), name="schedule_pause"),
    path("<int:schedule_id>/delete/", views.ScheduleDeleteView.as_view(), name="schedule_delete"),
    path("<int:schedule_id>/test/", views.ScheduleTestView.as_view(), name="schedule_test"),
    path("<int:schedule_id>/preview/", views.SchedulePreviewView.as_view(), name="schedule_preview"),
    path("<int:schedule_id>/preview/email/", views.SchedulePreviewEmailView.as_view(), name="schedule_preview_email"),
]
