"""The one base for every tenant API endpoint.

The organization comes from the API key only (never from the URL or the body). Subclasses
name a ``model``; the base owns ``get_queryset`` and refuses subclasses that override it, so
every endpoint reads through ``Model.objects.for_org(organization)``.
"""

from __future__ import annotations

from rest_framework import generics

from accounts.models import Organization


class OrgAPIView(generics.GenericAPIView):
    model = None
    lookup_field = "external_id"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; override scope_queryset(queryset) instead "
                "so the organization filter cannot be lost"
            )

    @property
    def organization(self) -> Organization:
        return self.request.organization

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # OpenAPI generation inspects views without a request organization; it needs the
            # model only, and an empty queryset can leak nothing.
            return self.model.unscoped.none()
        qs = self.model.objects.for_org(self.organization)
        return self.scope_queryset(qs)

    def scope_queryset(self, queryset):
        """Narrow or annotate the already org-scoped queryset."""
        return queryset
