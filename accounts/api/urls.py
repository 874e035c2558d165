from django.urls import path

from accounts.api import views
from accounts.api.sla_targets import SlaTargetViewSet

urlpatterns = [
    path("organization", views.OrganizationView.as_view(), name="api_organization"),
    path("sla-targets/", SlaTargetViewSet.as_view({"get": "list", "post": "create"}), name="api_sla_targets_list"),
    path("sla-targets/<str:id>/", SlaTargetViewSet.as_view({"get": "retrieve", "patch": "partial_update",
                                                           "delete": "destroy"}), name="api_sla_targets_detail"),
]
