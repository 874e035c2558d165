"""/api/schema/ generated once per process (issue 15, item 4: static responses cached).

Its own module: drf_spectacular.views reads ``DEFAULT_SCHEMA_CLASS`` (accounts.api.schema) when
it is imported, so the view cannot live beside the schema class.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework.settings import api_settings

SCHEMA_MAX_AGE = 3600
SCHEMA_RENDERINGS = 32  # per process: languages x formats x versions, with room for indent= variants


class CachedSchemaView(SpectacularAPIView):
    """The OpenAPI document, generated and rendered once per process for each (language, API
    version, format) and then served from memory with an ETag (``If-None-Match`` gets a 304)
    and ``Cache-Control: public, max-age`` (the schema is public). Generating it walks every
    view and serializer (~0.3 s); it changes only when the code does, i.e. on deploy. A ``lang``
    or ``version`` the project does not know is answered as before, uncached, so the cache
    stays bounded."""

    _rendered: dict[tuple, tuple[bytes, str, str, str]] = {}

    def _cache_key(self, request) -> tuple | None:
        lang = request.GET.get("lang") if settings.USE_I18N else None
        if lang and lang not in {code for code, _name in settings.LANGUAGES}:
            return None
        language = lang or translation.get_language()
        version = self.api_version or request.version or self._get_version_parameter(request)
        if request.GET.get("version") and not api_settings.ALLOWED_VERSIONS:
            return None  # any string would be a new entry
        return (language, version, type(request.accepted_renderer).__name__, request.accepted_media_type)

    @extend_schema(**SCHEMA_KWARGS)  # as SpectacularAPIView.get: not itself in the document
    def get(self, request, *args, **kwargs):
        key = self._cache_key(request)
        hit = self._rendered.get(key) if key is not None else None
        if hit is None:
            response = super().get(request, *args, **kwargs)
            if key is None:
                return response
            renderer = request.accepted_renderer
            body = renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
            content_type = (f"{request.accepted_media_type}; charset={renderer.charset}" if renderer.charset
                            else request.accepted_media_type)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            hit = (body, content_type, response["Content-Disposition"], etag)
            if len(self._rendered) < SCHEMA_RENDERINGS:
                self._rendered[key] = hit
        body, content_type, disposition, etag = hit
        if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            out = HttpResponseNotModified()
        else:
            out = HttpResponse(body, content_type=content_type)
            out["Content-Disposition"] = disposition
        out["ETag"] = etag
        out["Cache-Control"] = f"public, max-age={SCHEMA_MAX_AGE}"
        patch_vary_headers(out, ("Accept", "Accept-Language"))
        return out
