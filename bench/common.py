"""Small helpers shared by the benchmark scripts (no Django imports)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load() -> str:
    """The 1, 5 and 15-minute load averages, as printed in RESULTS.md."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def median_ms(fn, times: int, warm: bool = False) -> float:
    """Median of `times` timed calls in milliseconds (after one untimed call with `warm`)."""
    if warm:
        fn()
    runs = []
    for _ in range(times):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def code_identity() -> str:
    """Which code was measured: the commit, and whether the engine's files differed from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("log", "-1", "--format=%h")
    if not commit:  # an exported tree (git archive) records its commit beside it
        marker = ROOT / ".commit"
        commit = marker.read_text().strip() if marker.exists() else "unknown"
        return f"commit {commit} (exported tree {ROOT})"
    dirty = git("status", "--porcelain", "--", "reports")
    return f"commit {commit}" + (" with uncommitted changes in reports/" if dirty else "")


def setup_django() -> None:
    """Django set up as the engine benchmark does (DEBUG off: no query log), the project first on
    the path."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_metrics.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    import django

    django.setup()
    import reports

    if not Path(reports.__file__).resolve().is_relative_to(ROOT):
        raise SystemExit(f"the project was imported from {reports.__file__}, not from {ROOT}")
