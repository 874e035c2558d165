import copy
import uuid

import pytest

from helpdesk_metrics.celery import app as celery_app
from tests.reports.workers import WorkerProcess


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process unless a test starts a real worker (see test_celery_worker.py)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def worker_factory(settings, tmp_path):
    """``worker_factory(name, env=None)``: start a worker process on this test's own queue and
    cache prefix. From the first start on, tasks this process enqueues go to that queue (before
    it, they still run eagerly: seeding data builds its snapshots in-process). Every worker is
    stopped at the end of the test, and the queue emptied."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must point at a Redis server for this test (make test sets it)")
    uid = uuid.uuid4().hex[:10]
    queue, prefix = f"hm-test-{uid}", f"hm-test-{uid}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    previous = celery_app.conf.task_default_queue, celery_app.conf.task_always_eager
    # The app's queue declarations are created once, with the default queue of that moment:
    # create them now, with the usual one, so that an in-process worker started by a later test
    # still consumes it (ours is added on first use and removed at the end).
    declared = celery_app.amqp.queues
    assert celery_app.amqp.default_queue.name == previous[0]
    workers: list[WorkerProcess] = []

    def start(name: str, env: dict | None = None) -> WorkerProcess:
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = queue, False
        worker = WorkerProcess(queue=queue, cache_prefix=prefix, log_dir=tmp_path, name=name, env=env)
        workers.append(worker)
        return worker.start()

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = previous
        declared.pop(queue, None)
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
