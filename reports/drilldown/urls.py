"""Drill-down lists and conversation timelines, under ``/o/<org_slug>/reports/conversations/``."""

from django.urls import path

from reports.drilldown import views

urlpatterns = [
    path("chats/", views.ChatListView.as_view(), name="drilldown_chats"),
    path("chats/<int:chat_id>/", views.ChatTimelineView.as_view(), name="chat_timeline"),
    path("tickets/", views.TicketListView.as_view(), name="drilldown_tickets"),
    path("tickets/<int:ticket_id>/", views.TicketTimelineView.as_view(), name="ticket_timeline"),
    path("answers/", views.AnswerListView.as_view(), name="drilldown_answers"),
    path("canned-uses/", views.CannedUseListView.as_view(), name="drilldown_canned_uses"),
]
