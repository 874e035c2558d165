from django.urls import path

from accounts import api_keys_views as views

urlpatterns = [
    path("", views.ApiKeyListView.as_view(), name="api_key_list"),
    path("new/", views.ApiKeyCreateView.as_view(), name="api_key_create"),
    path("<int:key_id>/revoke/", views.ApiKeyRevokeView.as_view(), name="api_key_revoke"),
]
