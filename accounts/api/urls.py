from django.urls import path

from accounts.api import views

urlpatterns = [
    path("organization", views.OrganizationView.as_view(), name="api_organization"),
]
