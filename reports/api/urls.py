from django.urls import path

from reports.api import breaches, views

urlpatterns = [
    path("", views.MetricsView.as_view(), name="api_metrics"),
    path("catalogue", views.CatalogueView.as_view(), name="api_metrics_catalogue"),
    path("sla-breaches/", breaches.SlaBreachesView.as_view(), name="api_metrics_sla_breaches"),
]
