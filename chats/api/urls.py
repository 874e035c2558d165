"""API routes for helpdesk data: bulk ingestion and reads live in separate modules."""

from django.urls import include, path

urlpatterns = [
    path("", include("chats.api.bulk_urls")),
    path("", include("chats.api.read_urls")),
]
