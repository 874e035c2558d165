"""Property-based API tests generated from our own OpenAPI schema (schemathesis, in process).

Every documented operation is called with generated parameters and bodies using a read+write
key of a seeded organization. Whatever is sent, the API must not answer 5xx, and every response
(status, content type, headers, body) must match what the schema documents for it.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import api_key_create
from helpdesk_metrics.wsgi import application
from tests.factories import ChatFactory, OrganizationFactory, TagFactory, TicketFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance,
]


@pytest.fixture
def wsgi_requests_keep_the_test_transaction():
    """Django closes a connection that is inside a transaction when a request finishes; the
    test client avoids this by unhooking the signal, and so must a raw WSGI caller."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(db, wsgi_requests_keep_the_test_transaction):
    """A read+write key of an organization with a little data, so lists have rows to render."""
    organization = OrganizationFactory(slug="fuzz")
    chat = ChatFactory(organization=organization, external_id="chat-1")
    chat.tags.add(TagFactory(organization=organization, name="billing"), through_defaults={"organization": organization})
    TicketFactory(organization=organization, external_id="ticket-1", agent=chat.agent)
    _, raw = api_key_create(organization=organization, name="fuzz", scopes={"read", "write"})
    return {"Authorization": f"Bearer {raw}"}


HYPOTHESIS = settings(
    max_examples=8, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.exclude(tag="ingestion").parametrize()
@HYPOTHESIS
@pytest.mark.django_db
def test_reads_match_the_schema(case, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)


@schema.include(tag="ingestion").parametrize()
@HYPOTHESIS
@pytest.mark.django_db
def test_ingestion_matches_the_schema(case, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
