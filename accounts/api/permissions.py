from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.models import ApiKey

MISSING_SCOPE = _("This API key does not have the “%(scope)s” scope.")


class HasApiKeyScope(permissions.BasePermission):
    """Safe methods need the key's read scope; everything else its write scope."""

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        scope = "read" if request.method in permissions.SAFE_METHODS else "write"
        if scope not in key.scopes:
            self.message = MISSING_SCOPE % {"scope": scope}
            return False
        return True
