"""/api/schema/ is generated once per process, language and format, then served from memory
(issue 15, item 4: static responses cached; they change only on deploy)."""

import json

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.api.schema_view import CachedSchemaView


@pytest.fixture
def generations(monkeypatch):
    """Counts schema generations (the real generator runs)."""
    CachedSchemaView._rendered.clear()
    calls = []
    original = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    yield calls
    CachedSchemaView._rendered.clear()


@pytest.mark.django_db
def test_the_schema_is_generated_once_and_served_with_an_etag(generations):
    client = APIClient()
    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json")
    assert first.status_code == second.status_code == 200
    assert len(generations) == 1
    assert first.content == second.content
    assert first["Content-Type"] == "application/vnd.oai.openapi+json"
    assert first["Cache-Control"] == "public, max-age=3600"
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in first["Vary"].split(",")}
    assert first["Content-Disposition"] == 'inline; filename="helpdesk-metrics API.json"'
    # The cached body is the document a fresh generation gives.
    assert json.loads(first.content) == json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))

    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    unchanged = client.get("/api/schema/?format=json", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    stale = client.get("/api/schema/?format=json", HTTP_IF_NONE_MATCH='"0123"')
    assert stale.status_code == 200 and stale.content == first.content


@pytest.mark.django_db
def test_each_format_and_language_is_its_own_rendering(generations):
    client = APIClient()
    as_yaml = client.get("/api/schema/")  # the default rendering is YAML
    as_json = client.get("/api/schema/?format=json")
    assert as_yaml["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert yaml.safe_load(as_yaml.content) == json.loads(as_json.content)
    assert as_yaml["ETag"] != as_json["ETag"]
    finnish = client.get("/api/schema/?format=json&lang=fi")
    assert finnish.status_code == 200
    assert len(generations) == 3 and len(CachedSchemaView._rendered) == 3
    client.get("/api/schema/")
    client.get("/api/schema/?format=json&lang=fi")
    assert len(generations) == 3


@pytest.mark.django_db
def test_an_unknown_language_is_answered_but_not_cached(generations):
    client = APIClient()
    for _ in range(2):
        response = client.get("/api/schema/?format=json&lang=xx-unknown")
        assert response.status_code == 200
        assert json.loads(response.content)["openapi"].startswith("3.")
    assert len(generations) == 2
    assert CachedSchemaView._rendered == {}
