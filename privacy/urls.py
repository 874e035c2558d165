"""``/o/<slug>/settings/privacy/...`` (included from accounts.settings_urls)."""

from django.urls import path

from privacy import views

urlpatterns = [
    path("", views.PrivacyView.as_view(), name="privacy_home"),
    path("erase-customer/", views.CustomerEraseView.as_view(), name="privacy_customer_erase"),
    path("export/", views.OrganizationExportView.as_view(), name="privacy_export"),
    path(
        "delete-organization/",
        views.OrganizationDeleteView.as_view(),
        name="privacy_organization_delete",
    ),
]
