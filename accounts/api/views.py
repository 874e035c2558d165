from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api.base import OrgAPIView
from accounts.models import Organization


class OrganizationView(OrgAPIView):
    """The organization the API key acts on, and the key's own name and scopes."""

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Organization
            fields = ["slug", "name", "timezone", "week_start", "follow_up_window_hours", "min_sample_size", "csat_scale"]

    @extend_schema(responses=OutputSerializer, operation_id="organization_retrieve")
    def get(self, request):
        data = self.OutputSerializer(self.organization).data
        data["api_key"] = {"name": request.auth.name, "prefix": request.auth.prefix, "scopes": request.auth.scopes}
        return Response(data)
