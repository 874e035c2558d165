from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from accounts import views as account_views
from accounts.api import http as api_http
from accounts.api.schema_view import CachedSchemaView

handler500 = "accounts.api.http.server_error"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("chats.api.urls")),
    path("metrics/", include("reports.api.urls")),
]

urlpatterns = [
    path("", account_views.HomeView.as_view(), name="home"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/preferences/", account_views.PreferencesView.as_view(), name="preferences"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("invitations/", include("accounts.invitation_urls")),
    path("o/<slug:org_slug>/", include("accounts.urls")),
    path("o/<slug:org_slug>/reports/", include("reports.urls")),
    path("o/<slug:org_slug>/schedules/", include("schedules.urls")),
    path("unsubscribe/", include("schedules.unsubscribe_urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", CachedSchemaView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/docs/swagger/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs_swagger"),
    re_path(r"^api/", api_http.not_found),  # any other /api/ URL: a JSON 404 in the error shape
    # The header's selector also saves a logged-in person's language (before Django's own view).
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
