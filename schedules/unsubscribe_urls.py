"""``/unsubscribe/<token>/``: the signed unsubscribe link of report e-mails (no login)."""

from django.urls import path

from schedules import views

urlpatterns = [
    path("<str:token>/", views.UnsubscribeView.as_view(), name="schedule_unsubscribe"),
]
