from django.urls import include, path

from accounts import views

urlpatterns = [
    path("", views.OrgHomeView.as_view(), name="org_home"),
    path("settings/", include("accounts.settings_urls")),
]
