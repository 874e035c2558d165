"""Bulk ingestion throughput: chats per second through ``POST /api/v1/chats/bulk`` against a
PostgreSQL ``COPY`` of the same rows into the same table (the floor), in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_ingest_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/ingest.py --chats 20000 [--http-clients 3 --http-workers 2]

Two ways of calling the API, 1,000 chats a request, each followed by a re-send of the same
batches (an idempotent no-op):

- in-process: Django's test ``Client``, one process, one request at a time (the full
  middleware, DRF authentication, permission, parsing, validation and write path; no socket or
  WSGI server);
- HTTP (``--http-clients N``, 0 to skip): the app served by gunicorn (``--http-workers``
  sync workers, DEBUG=0) on a local port, N client processes posting the batches concurrently
  over HTTP, as a deployment would receive them.

Request bodies are JSON-encoded before the clock starts: the client's encoding is not the
server's work. Each chat has the usual fields, references to an agent, a team and a customer,
and one or two tags; ``--messages N`` adds a message list of N messages to reduce. Snapshot
rebuilds are enqueued to Redis (a worker's job), not run in the request. Each mode writes into
an organization of its own, so both insert the same 20,000 new chats.

The database is migrated first; the benchmark's organizations are deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_metrics.settings")
os.environ.setdefault("DEBUG", "0")  # no query log
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["API_THROTTLE_RATE"] = ""

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Agent, Organization, Team  # noqa: E402
from accounts.services import api_key_create  # noqa: E402
from chats.models import Customer, Tag  # noqa: E402

BATCH = 1000
UTC = dt.UTC
START = dt.datetime(2026, 3, 1, tzinfo=UTC)
TAGS = ["billing", "refund", "shipping", "login", "bug", "feature", "pricing", "vip", "complaint", "other"]


def drop_orgs(slugs: list[str]) -> None:
    """Every row of these organizations, table by table in SQL (Django's collector would walk
    100,000 chats row by row)."""
    ids = list(Organization.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    if not ids:
        return
    from bench.engine_data import fast_load

    with transaction.atomic(), connection.cursor() as cur:
        fast_load(cur)
        cur.execute("SELECT table_name FROM information_schema.columns WHERE column_name = 'organization_id' "
                    "AND table_schema = 'public' ORDER BY table_name")
        for (table,) in cur.fetchall():
            cur.execute(f"DELETE FROM {table} WHERE organization_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM accounts_organization WHERE id = ANY(%s)", [ids])


def make_org(slug: str) -> Organization:
    drop_orgs([slug])
    org = Organization.objects.create(slug=slug, name=slug, timezone="Europe/Helsinki")
    teams = Team.unscoped.bulk_create([Team(organization=org, external_id=f"t-{i}", name=f"T{i}") for i in range(5)])
    Agent.unscoped.bulk_create([
        Agent(organization=org, external_id=f"a-{i}", name=f"Agent {i}", team=teams[i % 5]) for i in range(100)
    ])
    Customer.unscoped.bulk_create([
        Customer(organization=org, external_id=f"cu-{i}", acquired_at=START - dt.timedelta(days=30))
        for i in range(2000)
    ])
    Tag.unscoped.bulk_create([Tag(organization=org, name=name) for name in TAGS])
    return org


def iso(ts: dt.datetime) -> str:
    return ts.isoformat()


def generate(n: int, messages: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        requested = START + dt.timedelta(seconds=rng.randrange(30 * 86400))
        item = {"external_id": f"chat-{i}", "requested_at": iso(requested), "channel": "chat",
                "customer": f"cu-{rng.randrange(2000)}", "tags": rng.sample(TAGS, rng.choice((1, 2)))}
        if rng.random() < 0.1:
            item.update(outcome="missed", missed_reason="visitor_left", agent=f"a-{rng.randrange(100)}")
        else:
            agent = rng.randrange(100)
            accepted = requested + dt.timedelta(seconds=rng.randrange(5, 120))
            ended = accepted + dt.timedelta(seconds=rng.randrange(60, 1800))
            item.update(
                accepted_at=iso(accepted), ended_at=iso(ended), closed_at=iso(ended + dt.timedelta(seconds=30)),
                agent=f"a-{agent}", first_agent=f"a-{agent}", team=f"t-{agent % 5}", outcome="resolved",
                transfers=rng.choice((0, 0, 0, 1)), page_url="https://shop.example.com/checkout",
            )
            if messages:
                at, sent = accepted, []
                for k in range(messages):
                    at += dt.timedelta(seconds=rng.randrange(5, 60))
                    sent.append({"author": "visitor" if k % 2 == 0 else "agent", "sent_at": iso(at)})
                item["messages"] = sent
            else:
                item.update(first_response_at=iso(accepted + dt.timedelta(seconds=rng.randrange(1, 30))),
                            messages_visitor=rng.randrange(1, 12), messages_agent=rng.randrange(1, 12),
                            response_time_total_s=float(rng.randrange(10, 300)), response_count=rng.randrange(1, 6))
        items.append(item)
    return items


def post_all(client: Client, bodies: list[bytes], auth: str) -> tuple[float, int, int, float]:
    """(wall seconds, created, updated, this process's CPU seconds: the web side without the database)."""
    created = updated = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for body in bodies:
        response = client.post("/api/v1/chats/bulk", body, content_type="application/json", HTTP_AUTHORIZATION=auth)
        if response.status_code != 200:
            raise SystemExit(f"bulk request failed: {response.status_code} {response.content[:500]!r}")
        result = response.json()
        created += result["created"]
        updated += result["updated"] + result.get("unchanged", 0)  # a no-op re-send: unchanged
    return time.perf_counter() - started, created, updated, time.process_time() - cpu_started


# --- HTTP mode: gunicorn and concurrent client processes ---------------------------------------

_BODIES: list[bytes] = []  # set before the client processes fork; they post by index


def _post_http(job: tuple[int, str, list[int]]) -> tuple[int, int]:
    port, auth, indices = job
    created = updated = 0
    for i in indices:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("POST", "/api/v1/chats/bulk", body=_BODIES[i],
                     headers={"Content-Type": "application/json", "Authorization": auth})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"bulk request failed: {response.status} {data[:500]!r}")
        result = json.loads(data)
        created += result["created"]
        updated += result["updated"] + result.get("unchanged", 0)  # a no-op re-send: unchanged
    return created, updated


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn helpdesk_metrics.wsgi`` on a free local port, as in deployment (DEBUG=0)."""

    def __init__(self, workers: int):
        self.port = _free_port()
        # Open for the server's lifetime (closed in stop()).
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "API_THROTTLE_RATE": ""}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "helpdesk_metrics.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "300"],
            cwd=Path(__file__).resolve().parent.parent, env=env, stdout=self.log, stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {self.log.name}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        os.unlink(self.log.name)


def http_run(pool, port: int, auth: str, clients: int) -> tuple[float, int, int]:
    """(wall seconds, created, updated): the batches split round-robin over the client processes."""
    jobs = [(port, auth, list(range(c, len(_BODIES), clients))) for c in range(clients)]
    started = time.perf_counter()
    results = pool.map(_post_http, jobs)
    return time.perf_counter() - started, sum(r[0] for r in results), sum(r[1] for r in results)


COPY_COLUMNS = [
    "organization_id", "external_id", "requested_at", "accepted_at", "first_response_at", "ended_at", "closed_at",
    "agent_id", "first_agent_id", "team_id", "customer_id", "channel", "initiated_by", "outcome", "missed_reason",
    "messages_visitor", "messages_agent", "response_time_total_s", "response_count", "transfers",
    "conversion_after_follow_up", "page_url",
]


def copy_baseline(org: Organization, items: list[dict], messages: int, connections: int) -> float:
    """COPY the same chats (references resolved up front, as the floor) and their tag links."""
    from chats.ingestion.messages import summarize_messages

    agents = dict(Agent.objects.for_org(org).values_list("external_id", "pk"))
    teams = dict(Team.objects.for_org(org).values_list("external_id", "pk"))
    customers = dict(Customer.objects.for_org(org).values_list("external_id", "pk"))
    tags = dict(Tag.objects.for_org(org).values_list("name", "pk"))
    ts = dt.datetime.fromisoformat
    rows = []
    for item in items:
        counts = (item.get("messages_visitor", 0), item.get("messages_agent", 0),
                  item.get("response_time_total_s", 0.0), item.get("response_count", 0))
        first_response = item.get("first_response_at") and ts(item["first_response_at"])
        if "messages" in item:
            s = summarize_messages([(m["author"], ts(m["sent_at"])) for m in item["messages"]], initiated_by="visitor")
            counts = (s.messages_visitor, s.messages_agent, s.response_time_total_s, s.response_count)
            first_response = s.first_response_at
        rows.append((
            org.pk, item["external_id"], ts(item["requested_at"]),
            *(item.get(f) and ts(item[f]) for f in ("accepted_at",)), first_response,
            *(item.get(f) and ts(item[f]) for f in ("ended_at", "closed_at")),
            agents.get(item.get("agent")), agents.get(item.get("first_agent")), teams.get(item.get("team")),
            customers.get(item.get("customer")), "chat", "visitor", item["outcome"], item.get("missed_reason", ""),
            *counts, item.get("transfers", 0), False, item.get("page_url", ""),
        ))
    # The same batches as the API's requests, one transaction each, over `connections`
    # connections at once (as many as the HTTP clients).
    global _COPY_BATCHES
    _COPY_BATCHES = [(rows[i:i + BATCH], [(it["external_id"], [tags[n] for n in it["tags"]]) for it in items[i:i + BATCH]])
                     for i in range(0, len(rows), BATCH)]
    params = {k: v for k, v in connection.get_connection_params().items() if isinstance(v, str | int)}  # picklable
    connection.close()
    jobs = [(org.pk, params, list(range(c, len(_COPY_BATCHES), connections))) for c in range(connections)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        pool.map(_copy_job, jobs)
    return time.perf_counter() - started


_COPY_BATCHES: list = []


def _copy_job(job) -> None:
    import psycopg

    org_id, params, indices = job
    with psycopg.connect(**params) as conn:
        for i in indices:
            rows, links = _COPY_BATCHES[i]
            with conn.transaction(), conn.cursor() as cursor:
                with cursor.copy(f"COPY chats_chat ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute("SELECT external_id, id FROM chats_chat WHERE organization_id = %s AND external_id = ANY(%s)",
                               [org_id, [e for e, _ in links]])
                ids = dict(cursor.fetchall())
                with cursor.copy("COPY chats_chattag (organization_id, chat_id, tag_id) FROM STDIN") as copy:
                    for external_id, tag_ids in links:
                        for tag_id in tag_ids:
                            copy.write_row((org_id, ids[external_id], tag_id))


def timed(run, profile_path: str | None, *args):
    """Run, under cProfile when a path is given (for finding the hot path, not for figures)."""
    if not profile_path:
        return run(*args)
    import cProfile

    profiler = cProfile.Profile()
    result = profiler.runcall(run, *args)
    profiler.dump_stats(profile_path)
    return result


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    global _BODIES
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=20000)
    parser.add_argument("--messages", type=int, default=0, help="messages per answered chat (0: counts given)")
    parser.add_argument("--profile", help="write cProfiles of the in-process API runs to this file (and FILE.resend)")
    parser.add_argument("--http-clients", type=int, default=3, help="client processes for the HTTP mode (0: skip it)")
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn sync workers for the HTTP mode")
    parser.add_argument("--existing", type=int, default=0,
                        help="refuse to run unless chats_chat already holds this many rows (a populated table)")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        raise SystemExit("DATABASE_URL must point to PostgreSQL")
    command = shlex.join(["bench/ingest.py", *sys.argv[1:]])
    start_load = load()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM chats_chat")
        existing = cur.fetchone()[0]
    if existing < args.existing:
        raise SystemExit(f"chats_chat holds {existing:,} rows, fewer than --existing {args.existing:,}")
    api_org, copy_org = make_org("bench-ingest-api"), make_org("bench-ingest-copy")
    http_org = make_org("bench-ingest-http") if args.http_clients else None
    _, raw = api_key_create(organization=api_org, name="bench", scopes={"read", "write"})
    items = generate(args.chats, args.messages)
    _BODIES = [json.dumps({"items": items[i:i + BATCH]}).encode() for i in range(0, len(items), BATCH)]
    bodies = _BODIES
    client = Client()
    auth = f"Bearer {raw}"
    # Warm up (imports, middleware, first connection) outside the clock.
    client.post("/api/v1/teams/bulk", {"items": [{"external_id": "t-0", "name": "T0"}]},
                content_type="application/json", HTTP_AUTHORIZATION=auth)

    n = args.chats
    api_s, created, _, api_cpu = timed(post_all, args.profile, client, bodies, auth)
    resend_s, _, updated, resend_cpu = timed(post_all, args.profile and f"{args.profile}.resend", client, bodies, auth)
    assert created == n and updated == n, (created, updated)

    http_s = http_resend_s = None
    if http_org is not None:
        _, http_raw = api_key_create(organization=http_org, name="bench", scopes={"read", "write"})
        http_auth = f"Bearer {http_raw}"
        connection.close()  # the client processes fork; they never use the database
        server = Gunicorn(args.http_workers)
        try:
            with multiprocessing.get_context("fork").Pool(args.http_clients) as pool:
                # Warm every worker (first request: imports, connection) with a one-team batch each.
                team = json.dumps({"items": [{"external_id": "t-0", "name": "T0"}]}).encode()
                for _ in range(2 * args.http_workers):
                    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                    c.request("POST", "/api/v1/teams/bulk", body=team,
                              headers={"Content-Type": "application/json", "Authorization": http_auth})
                    c.getresponse().read()
                    c.close()
                http_s, created, _ = http_run(pool, server.port, http_auth, args.http_clients)
                http_resend_s, _, updated = http_run(pool, server.port, http_auth, args.http_clients)
                assert created == n and updated == n, (created, updated)
        finally:
            server.stop()

    copy_s = copy_baseline(copy_org, items, args.messages, max(1, args.http_clients))

    conns = max(1, args.http_clients)
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — ingestion: `{command}`", "",
             f"{n:,} chats in {len(bodies)} requests of {BATCH:,} (messages per answered chat: {args.messages}) into "
             f"chats_chat holding {existing:,} rows already; load average at the start / end: {start_load} / {load()}.",
             "", "| mode | seconds | chats/s | ÷ COPY floor time |", "|---|---|---|---|",
             f"| in-process insert (one client; web-process CPU {api_cpu:.2f} s) | {api_s:.2f} | {n / api_s:,.0f} | {api_s / copy_s:.2f}× |",
             f"| in-process re-send (no-op) | {resend_s:.2f} | {n / resend_s:,.0f} | |"]
    if http_s is not None:
        lines += [f"| HTTP insert (gunicorn -w {args.http_workers}, {args.http_clients} client processes) | {http_s:.2f} | "
                  f"{n / http_s:,.0f} | **{http_s / copy_s:.2f}×** |",
                  f"| HTTP re-send (no-op) | {http_resend_s:.2f} | {n / http_resend_s:,.0f} | |"]
    lines += [f"| COPY floor ({conns} connections, the same 1,000-chat batches, one transaction each) | {copy_s:.2f} | "
              f"{n / copy_s:,.0f} | 1.00× |", ""]
    print("\n".join(lines))

    drop_orgs([o.slug for o in (api_org, copy_org, http_org) if o])
    from helpdesk_metrics.celery import app

    app.control.purge()  # the snapshot rebuilds the run enqueued; no worker consumes them here


if __name__ == "__main__":
    main()
