"""The snapshot task through a real Celery worker on Redis (no eager mode, no mocks)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from helpdesk_metrics.celery import app as celery_app
from reports.freshness import mark_dirty
from reports.models import DaySnapshot, DirtyDay
from reports.tasks import rebuild_dirty_days_task, sweep_dirty_days_task
from tests.factories import ChatFactory
from tests.reports.dataset import MONDAY, local


@pytest.fixture
def real_worker(eager_celery):
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must point at a Redis server for this test (make test sets it)")
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_rebuilds_dirty_days(org, real_worker):
    ChatFactory(organization=org, requested_at=local(MONDAY, 9))
    ChatFactory(organization=org, requested_at=local(MONDAY, 10))
    mark_dirty(organization=org, days={MONDAY})  # autocommit: enqueues through Redis on commit

    assert wait_for(lambda: DaySnapshot.objects.for_org(org).filter(day=MONDAY, chats_total=2).exists())
    assert wait_for(lambda: not DirtyDay.objects.for_org(org).exists())


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_fans_out_per_organization(org, other_org, real_worker):
    for organization in (org, other_org):
        ChatFactory(organization=organization, requested_at=local(MONDAY, 9))
        DirtyDay.unscoped.create(organization=organization, day=MONDAY)
    sweep_dirty_days_task.delay()
    assert wait_for(lambda: DaySnapshot.unscoped.filter(day=MONDAY).count() == 2)
    rebuild_dirty_days_task.delay(org.pk)  # nothing dirty any more: a no-op, not an error
    assert wait_for(lambda: not DirtyDay.unscoped.exists())
