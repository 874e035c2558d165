"""Settings of a Celery worker that a test starts as its own OS process (tests/reports/workers.py):
the project's settings, with the test's own queue and cache key prefix, so that tests running at
once under pytest-xdist on one Redis never take each other's tasks or debounce flags."""

import os

from helpdesk_metrics.settings import *  # noqa: F403
from helpdesk_metrics.settings import CACHES

CELERY_TASK_DEFAULT_QUEUE = os.environ["HM_TEST_QUEUE"]
CACHES["default"]["KEY_PREFIX"] = os.environ["HM_TEST_CACHE_PREFIX"]
if os.environ.get("HM_TEST_REBUILD_SECONDS"):
    SNAPSHOT_REBUILD_TASK_SECONDS = float(os.environ["HM_TEST_REBUILD_SECONDS"])
