"""Late data end to end: 1,000 chats into one past day of the 1M-chat organization through
``POST /api/v1/chats/bulk`` (API key, write scope), the rebuild enqueued by the request and run by
a real Celery worker (its own OS process, Redis broker), timed from the POST until the
organization has no pending (dirty) days left.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/late.py [--repeat 3] [--chats 1000]

One untimed round first (worker imports, connections, caches), then ``--repeat`` timed rounds. A
round: the POST (JSON encoded before the clock; the request validates, writes, marks the chats'
day and the follow-up window's earlier days dirty and enqueues the rebuild after commit); then
the bench polls the organization's dirty days every 10 ms until there are none. After each round
the late chats are deleted again and their days rebuilt by the worker (untimed), so every round
starts from the reference data. The Redis db is flushed at the start (it must be this
benchmark's own: stale enqueue markers or tasks of another run would skew the timing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["API_THROTTLE_RATE"] = ""
from bench.common import ROOT, code_identity, load, log, setup_django  # noqa: E402

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Organization  # noqa: E402
from accounts.services import api_key_create  # noqa: E402
from bench import engine  # noqa: E402
from reports.freshness import mark_chats_dirty  # noqa: E402
from reports.models import DirtyDay  # noqa: E402

LATE_DAY = engine.LATE_DAY
PREFIX = "late-api-"


def items(n: int, round_no: int, tz) -> list[dict]:
    """n answered or missed chats requested during LATE_DAY (local), referencing the bench
    organization's agents (a1..a100), teams (t1..t8), customers (cu1..) and tags (tag-1..)."""
    rng = random.Random(round_no)
    start = dt.datetime.combine(LATE_DAY, dt.time(6), tzinfo=tz)
    out = []
    for i in range(n):
        requested = start + dt.timedelta(seconds=rng.randrange(16 * 3600))
        item = {"external_id": f"{PREFIX}{round_no}-{i}", "requested_at": requested.isoformat(), "channel": "chat",
                "customer": f"cu{rng.randrange(1, 2000)}", "tags": [f"tag-{rng.randrange(1, 21)}"]}
        agent = rng.randrange(1, 101)
        if rng.random() < 0.15:
            item.update(outcome="missed", missed_reason="visitor_left")
        else:
            accepted = requested + dt.timedelta(seconds=rng.randrange(5, 120))
            ended = accepted + dt.timedelta(seconds=rng.randrange(60, 1800))
            item.update(accepted_at=accepted.isoformat(), ended_at=ended.isoformat(),
                        closed_at=(ended + dt.timedelta(seconds=30)).isoformat(),
                        first_response_at=(accepted + dt.timedelta(seconds=rng.randrange(1, 30))).isoformat(),
                        agent=f"a{agent}", first_agent=f"a{agent}", outcome="resolved",
                        messages_visitor=rng.randrange(1, 12), messages_agent=rng.randrange(1, 12),
                        response_time_total_s=float(rng.randrange(10, 300)), response_count=rng.randrange(1, 6))
        out.append(item)
    return out


class Worker:
    """``celery -A helpdesk_metrics worker`` (prefork, one process) on this benchmark's Redis db."""

    def __init__(self):
        self.log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [str(celery), "-A", "helpdesk_metrics", "worker", "-c", "1", "-P", "prefork", "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**os.environ, "DEBUG": "0", "PYTHONPATH": str(ROOT)}, stdout=self.log, stderr=self.log)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
        os.unlink(self.log.name)


def pending(org: Organization) -> int:
    return DirtyDay.objects.for_org(org).count()


def wait_clean(org: Organization, timeout: float = 300) -> float:
    """Seconds until the organization has no dirty days (polled every 10 ms)."""
    t = time.perf_counter()
    while pending(org):
        if time.perf_counter() - t > timeout:
            raise SystemExit(f"dirty days still pending after {timeout} s")
        time.sleep(0.01)
    return time.perf_counter() - t


def remove_late(org: Organization) -> None:
    """Deletes the late chats and marks their days, as a correction would; the worker rebuilds."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT requested_at FROM chats_chat WHERE organization_id = %s AND external_id LIKE %s",
                        [org.pk, f"{PREFIX}%"])
            requested = [r[0] for r in cur.fetchall()]
            cur.execute("DELETE FROM chats_chattag WHERE organization_id = %s AND chat_id IN (SELECT id FROM chats_chat "
                        "WHERE organization_id = %s AND external_id LIKE %s)", [org.pk, org.pk, f"{PREFIX}%"])
            cur.execute("DELETE FROM chats_chat WHERE organization_id = %s AND external_id LIKE %s", [org.pk, f"{PREFIX}%"])
        if requested:
            mark_chats_dirty(organization=org, requested_ats=requested)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chats", type=int, default=1000, help="late chats per round")
    parser.add_argument("--org-chats", type=int, default=1_000_000, help="the large organization's shape")
    args = parser.parse_args()
    command = "bench/late.py " + " ".join(sys.argv[1:])
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    org = Organization.objects.get(slug=engine.shapes(args.org_chats, 0)[0].slug)
    remove_late(org)  # leftovers of a stopped run
    _, secret = api_key_create(organization=org, name=f"bench late {time.time():.0f}", scopes={"write"})
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    loads = [load()]
    worker = Worker()
    rounds = []
    try:
        wait_clean(org)
        for round_no in range(args.repeat + 1):
            body = json.dumps({"items": items(args.chats, round_no, org.tzinfo)}).encode()
            t0 = time.perf_counter()
            response = client.post("/api/v1/chats/bulk", body, content_type="application/json")
            t1 = time.perf_counter()
            if response.status_code != 200:
                raise SystemExit(f"bulk: {response.status_code} {response.content[:500]!r}")
            marked = pending(org)
            wait_clean(org)
            t2 = time.perf_counter()
            result = response.json()
            if round_no:
                rounds.append({"post": t1 - t0, "rebuilt": t2 - t1, "total": t2 - t0, "days": marked,
                               "created": result["created"], "load": load()})
            log(f"late: round {round_no}: POST {1000 * (t1 - t0):.0f} ms, then pending {marked} days -> 0 after "
                f"{1000 * (t2 - t1):.0f} ms ({result['created']} created), load {load()}")
            remove_late(org)
            wait_clean(org)
    finally:
        worker.stop()
    loads.append(load())
    med = {k: statistics.median(r[k] for r in rounds) for k in ("post", "rebuilt", "total")}
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — late data through the API: `{command}`", "",
             f"Code: {code_identity()}. {args.chats:,} chats into {LATE_DAY} of the 1M organization, `POST "
             "/api/v1/chats/bulk` (in-process client, API key) → rebuild enqueued after commit → real Celery worker "
             "(prefork, 1 process, Redis broker) → no dirty days left. Load average at the start / end: "
             f"{loads[0]} / {loads[1]}.", "",
             "| round | POST (validate, write, mark, enqueue) ms | POST → pending 0 ms | of which after the response ms | days marked | load |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(rounds, 1):
        lines.append(f"| {i} | {r['post'] * 1000:.0f} | {r['total'] * 1000:.0f} | {r['rebuilt'] * 1000:.0f} | {r['days']} | {r['load']} |")
    lines.append(f"| median | {med['post'] * 1000:.0f} | **{med['total'] * 1000:.0f}** | {med['rebuilt'] * 1000:.0f} | | |")
    lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
