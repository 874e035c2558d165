"""A real Celery worker (prefork) as a separate OS process, on the test database and Redis.

Each test gets its own queue and cache key prefix (worker_settings.py), set in this process
too, so what the test and the worker enqueue stays between them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def wait_for(condition, timeout: float, message, interval: float = 0.05):
    """Poll `condition` until it returns something truthy (returned); fail with `message` (a
    string, or a function giving it at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"{message() if callable(message) else message} (after {timeout:.0f} s)")
        time.sleep(interval)


def worker_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery worker --pool=prefork --concurrency=1` in its own process group."""

    def __init__(self, *, queue: str, cache_prefix: str, log_dir: Path, name: str, env: dict | None = None):
        self.queue, self.name = queue, name
        self.log_path = log_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reports.worker_settings",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "HM_TEST_QUEUE": queue,
            "HM_TEST_CACHE_PREFIX": cache_prefix,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(CELERY), "-A", "helpdesk_metrics", "worker", "--pool=prefork", "--concurrency=1", "-Q", self.queue,
             "-n", f"{self.name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, 60,
                 f"worker {self.name} did not start")
        if self.process.poll() is not None:
            pytest.fail(f"worker {self.name} exited at start:\n{self.log()[-3000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """The pool processes (children of the main process)."""
        pids = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            with contextlib.suppress(OSError):  # a thread that just ended
                pids += [int(pid) for pid in (task / "children").read_text().split()]
        return pids

    def kill_child(self) -> int:
        """SIGKILL the pool process running the task; returns its pid."""
        (child,) = wait_for(self.children, 10, f"worker {self.name} has no pool process")
        os.kill(child, signal.SIGKILL)
        return child

    def kill_all(self) -> None:
        """SIGKILL the whole worker at once (main process and pool), as a lost machine."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
        # Whatever is left of the group (a pool process outliving its parent, too).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
