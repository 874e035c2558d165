from django.urls import path

from reports.api import views

urlpatterns = [
    path("", views.MetricsView.as_view(), name="api_metrics"),
    path("catalogue", views.CatalogueView.as_view(), name="api_metrics_catalogue"),
]
