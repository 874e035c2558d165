import datetime as dt

import pytest

from reports.snapshots import snapshots_rebuild
from tests.reports.dataset import MONDAY, build_week

WEEK_QUERY = {"from": MONDAY.isoformat(), "to": (MONDAY + dt.timedelta(days=6)).isoformat()}


@pytest.fixture
def week(org):
    """The hand-worked week of tests/reports/dataset.py, its snapshots built."""
    objects = build_week(org)
    snapshots_rebuild(organization=org, first=MONDAY - dt.timedelta(days=14), last=MONDAY + dt.timedelta(days=14))
    return objects
