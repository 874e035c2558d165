"""Report pages (issue 16): overview, agents leaderboard, an agent page, live chat (heatmap) and
tags, cold and warm, on the 1M-chat and the 10k organization, with each page's query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench .venv/bin/python bench/pages.py [--repeat 3]

Signed in as a manager of each organization (Django's test client: routing, middleware, session,
the view, templates; no socket), range READ_FIRST..READ_LAST of bench/reads.py (compare on, as
the pages default). Cold: the first request after a rebuild (one day of the range rebuilt just
before, untimed, so any cache keyed by the snapshot version is stale). Warm: the median of
``--repeat`` requests right after. Queries: the statements the cold request executed
(counted by an execute wrapper on the connection). Every response must be a 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import code_identity, load, log, setup_django  # noqa: E402

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Agent, Membership, Organization  # noqa: E402
from bench import engine  # noqa: E402
from bench.reads import READ_FIRST, READ_LAST  # noqa: E402
from reports.snapshots import snapshots_rebuild  # noqa: E402

REBUILT_DAY = dt.date(2025, 6, 11)


def pages(org: Organization) -> dict[str, str]:
    agent = Agent.objects.for_org(org).order_by("external_id").first()
    return {"overview": "", "agents leaderboard": "agents/", "agent page": f"agents/{agent.pk}/",
            "live chat (heatmap)": "live-chat/", "tags": "tags/"}


def manager_client(org: Organization) -> Client:
    user, _ = get_user_model().objects.get_or_create(email="bench-manager@example.com", defaults={"is_active": True})
    Membership.unscoped.get_or_create(organization=org, user=user, defaults={"role": "manager"})
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chats", type=int, default=1_000_000)
    args = parser.parse_args()
    command = "bench/pages.py " + " ".join(sys.argv[1:])
    shapes = engine.shapes(args.chats, 0)
    orgs = {"1M": Organization.objects.get(slug=shapes[0].slug), "10k": Organization.objects.get(slug=shapes[1].slug)}
    loads = [load()]
    out: dict = {}
    for label, org in orgs.items():
        client = manager_client(org)
        for name, path in pages(org).items():
            url = f"/o/{org.slug}/reports/{path}?from={READ_FIRST}&to={READ_LAST}"
            snapshots_rebuild(organization=org, first=REBUILT_DAY, last=REBUILT_DAY)
            queries = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                t = time.perf_counter()
                response = client.get(url)
                cold = (time.perf_counter() - t) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            warm = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(url)
                warm.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            out[(label, name)] = {"cold": cold, "warm": statistics.median(warm), "queries": len(queries),
                                  "bytes": len(response.content)}
            log(f"pages: {label} {name}: {out[(label, name)]} load {load()}")
    loads.append(load())
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — report pages: `{command}`", "",
             f"Code: {code_identity()}. Signed-in manager, Django test client, range {READ_FIRST}..{READ_LAST}, compare "
             f"on. Cold: first request after a one-day rebuild; warm: median of {args.repeat}. Load average at the "
             f"start / end: {loads[0]} / {loads[1]}.", "",
             "| page | 1M cold ms | 1M warm ms | 10k cold ms | 10k warm ms | cold 1M ÷ 10k | warm 1M ÷ 10k | queries 1M / 10k | HTML bytes 1M |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in pages(orgs["1M"]):
        b, s = out[("1M", name)], out[("10k", name)]
        lines.append(f"| {name} | {b['cold']:,.0f} | {b['warm']:,.0f} | {s['cold']:,.0f} | {s['warm']:,.0f} | "
                     f"{b['cold'] / s['cold']:.2f}× | {b['warm'] / s['warm']:.2f}× | {b['queries']} / {s['queries']} | "
                     f"{b['bytes']:,} |")
    lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
