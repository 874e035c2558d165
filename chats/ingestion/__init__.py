"""Idempotent bulk ingestion of every entity (API.md "Ingestion").

The API's ``POST /api/v1/<entity>/bulk`` and ``manage.py import_data`` both call
:func:`bulk_upsert` (or, for a file's first validating pass, :func:`prepare_batch`).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Organization
from chats.ingestion import framework
from chats.ingestion.entities import SPECS
from chats.ingestion.framework import MAX_ITEMS, EntitySpec, IngestResult, prepare_batch

__all__ = ["MAX_ITEMS", "SPECS", "EntitySpec", "IngestResult", "bulk_upsert", "prepare_batch"]


def bulk_upsert(*, organization: Organization, entity: str, items: list,
                known_keys: Iterable[str] = ()) -> IngestResult:
    """Validate ``items`` of ``entity`` (a key of SPECS) and upsert them in one transaction.

    Raises BulkValidationError listing every bad item; then nothing is written.
    """
    return framework.bulk_upsert(organization=organization, spec=SPECS[entity], items=items, known_keys=known_keys)
