"""Rebuilds survive killed workers, and writes during a rebuild are rebuilt without beat: a real
prefork Celery worker in its own OS process (tests/reports/workers.py), PostgreSQL and Redis."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F, UniqueConstraint

from chats.demo.generator import generate_organization_data
from chats.models import Chat
from reports.freshness import mark_chats_dirty, mark_dirty
from reports.metrics import compute
from reports.models import DaySnapshot, DirtyDay
from reports.rollups import ROLLUPS
from reports.snapshots import GRAIN_MODELS, snapshots_rebuild
from reports.tasks import rebuild_range_task, sweep_dirty_days_task
from tests.factories import ChatFactory
from tests.reports.workers import wait_for

START, END = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
DAYS = (END - START).days + 1  # 365: 12 chunks of a few tenths of a second each
CHATS = 20_000
SNAPSHOT_MODELS = [model for model, _ in GRAIN_MODELS.values()] + [month for _, month, _ in ROLLUPS.values()]


def snapshot_dump(org) -> dict[str, list]:
    """Every snapshot and roll-up row of the organization, less ids and build times, sorted."""
    dump = {}
    for model in SNAPSHOT_MODELS:
        fields = [f.attname for f in model._meta.fields if f.name not in ("id", "built_at")]
        dump[model.__name__] = sorted(model.unscoped.filter(organization=org).values_list(*fields), key=repr)
    return dump


def differences(got: dict, want: dict) -> str:
    lines = []
    for table in want:
        extra, missing = set(map(repr, got[table])) - set(map(repr, want[table])), set(map(repr, want[table])) - set(map(repr, got[table]))
        if extra or missing:
            lines.append(f"{table}: {len(got[table])} rows vs {len(want[table])} clean; {len(extra)} differ, "
                         f"e.g. {sorted(extra)[:1]} instead of {sorted(missing)[:1]}")
    return "\n".join(lines)


def seed(org) -> dict:
    """A year of data, built (the eager rebuild on commit), then changed behind the snapshots'
    back on every day with chats: the stored snapshots are all out of date. Returns them."""
    generate_organization_data(organization=org, rng=random.Random(7), chats=CHATS, start=START, end=END)
    assert not DirtyDay.objects.for_org(org).exists()
    old = snapshot_dump(org)
    Chat.unscoped.filter(organization=org).update(messages_agent=F("messages_agent") + 1)
    return old


def marks(org) -> int:
    return DirtyDay.objects.for_org(org).count()


def pending_days(org) -> int:
    return compute(organization=org, metric_ids=["chats_total"], first=START, last=END, compare=False)["pending_days"]


def assert_like_a_clean_rebuild(org, old: dict) -> None:
    got = snapshot_dump(org)
    snapshots_rebuild(organization=org, first=START, last=END)
    clean = snapshot_dump(org)
    assert got == clean, differences(got, clean)
    assert clean != old  # the worker's rebuild had every day to change
    with connection.cursor() as cur:
        for model in SNAPSHOT_MODELS:
            (unique,) = [c for c in model._meta.constraints if isinstance(c, UniqueConstraint)]
            key = [model._meta.get_field(name).column for name in unique.fields]
            cur.execute(f"SELECT count(*) - count(DISTINCT ({', '.join(key)})) FROM {model._meta.db_table}")
            assert cur.fetchone()[0] == 0, f"duplicated rows in {model._meta.db_table}"


def rebuilding(org):
    return 0 < marks(org) < DAYS


def log_tail(worker):
    return lambda: f"{marks(worker.org)} marks left; worker log:\n{worker.log()[-4000:]}"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_range_rebuild_whose_pool_process_is_killed_is_redelivered_and_finished(org, worker_factory):
    old = seed(org)
    worker = worker_factory("pool-kill")
    worker.org = org
    rebuild_range_task.delay(org.pk, START.isoformat(), END.isoformat())
    wait_for(lambda: rebuilding(org), 60, log_tail(worker))  # the range marked, some chunks done

    worker.kill_child()
    # Days not rebuilt yet are pending, whatever the API reads meanwhile.
    assert 0 < pending_days(org) <= DAYS

    # The worker starts a new pool process; the lost task's message is back in the queue.
    wait_for(lambda: marks(org) == 0, 90, log_tail(worker), interval=0.2)
    assert "WorkerLostError" in worker.log()
    assert_like_a_clean_rebuild(org, old)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_of_a_worker_killed_whole_is_finished_by_a_new_worker_from_the_sweep(org, worker_factory):
    old = seed(org)
    doomed = worker_factory("doomed")
    doomed.org = org
    rebuild_range_task.delay(org.pk, START.isoformat(), END.isoformat())
    wait_for(lambda: rebuilding(org), 60, log_tail(doomed))

    doomed.kill_all()  # its message stays unacknowledged in Redis (until the visibility timeout)
    assert 0 < pending_days(org) <= DAYS

    # Its database session ends once its statement has run.
    with connection.cursor() as cur:
        def unlocked():
            cur.execute("SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                        "AND objid = 0 AND objsubid = 2", [org.pk])
            return cur.fetchone()[0]
        wait_for(unlocked, 30, "the killed worker's rebuild lock was never released")
    # A short task budget: the rest takes several tasks, each enqueuing the next.
    rescuer = worker_factory("rescuer", env={"HM_TEST_REBUILD_SECONDS": "0.5"})
    rescuer.org = org
    sweep_dirty_days_task.delay()
    wait_for(lambda: marks(org) == 0, 90, log_tail(rescuer), interval=0.2)
    assert rescuer.log().count("reports.tasks.rebuild_dirty_days_task") >= 3, rescuer.log()[-4000:]
    assert_like_a_clean_rebuild(org, old)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_write_while_a_rebuild_runs_is_rebuilt_without_beat(org, worker_factory):
    seed(org)
    worker = worker_factory("writes")
    worker.org = org
    # A write path's mark: the rebuild is enqueued on commit (and further enqueues debounced).
    mark_dirty(organization=org, days={START + dt.timedelta(days=i) for i in range(DAYS)})
    wait_for(lambda: rebuilding(org) and not DirtyDay.objects.for_org(org).filter(day=START).exists(), 60,
             log_tail(worker))
    chats = DaySnapshot.objects.for_org(org).get(day=START).chats_total

    # A write to a day the running rebuild has already done, within the debounce window.
    late = ChatFactory(organization=org, requested_at=dt.datetime.combine(START, dt.time(12), ZoneInfo(org.timezone)))
    mark_chats_dirty(organization=org, requested_ats=[late.requested_at])

    wait_for(lambda: marks(org) == 0, 60, log_tail(worker), interval=0.2)  # no beat runs here
    assert DaySnapshot.objects.for_org(org).get(day=START).chats_total == chats + 1


def test_no_task_outlives_the_brokers_visibility_timeout():
    """acks_late + reject_on_worker_lost redeliver a killed task; Redis would also redeliver a
    RUNNING one after the visibility timeout, so every limit stays below it."""
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.SNAPSHOT_REBUILD_TASK_SECONDS < settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < timeout
