"""``POST <entity>/bulk`` for every ingestible entity (API.md "Ingestion")."""

from django.urls import path

from chats.api.bulk_views import BULK_VIEWS

urlpatterns = [
    path(f"{entity}/bulk", view.as_view(), name=f"api_{entity}_bulk") for entity, view in BULK_VIEWS.items()
]
