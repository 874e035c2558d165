"""``Authorization: Bearer <api key>``: the key fixes the organization every call acts on."""

from __future__ import annotations

import hmac

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.models import API_KEY_PREFIX, ApiKey, hash_api_key

INVALID_KEY = _("Invalid or revoked API key.")
# Writing last_used_at on every request would serialize hot keys on one row; once a minute is enough.
LAST_USED_RESOLUTION_SECONDS = 60


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization header must be “Bearer <api key>”."))
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(INVALID_KEY) from exc
        key = self._key_for(raw)
        request.organization = key.organization
        return (None, key)

    def _key_for(self, raw: str) -> ApiKey:
        parts = raw.removeprefix(API_KEY_PREFIX).split("_", 1)
        # A NUL can be in no key, and PostgreSQL text refuses it: never let it reach the lookup.
        if not raw.startswith(API_KEY_PREFIX) or len(parts) != 2 or "\x00" in raw:
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        # Lookup by the public prefix, then a constant-time comparison of the hash.
        key = (
            ApiKey.unscoped.select_related("organization")
            .filter(prefix=parts[0], revoked_at__isnull=True)
            .first()
        )
        if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiKey.unscoped.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key

    def authenticate_header(self, request):
        return self.keyword
