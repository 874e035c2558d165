"""Read speed: every ``group_by`` over a rolling 365-day range, through ``compute()`` and through
``GET /api/v1/metrics/``, against the best raw-row SQL, on the 1M-chat and the 10k organization.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench .venv/bin/python bench/reads.py [--repeat 3]

The range is READ_FIRST..READ_LAST (365 local days, neither end on a month boundary); its previous
period (the 365 days before) has data too (bench/engine_data.py generates a year of history before
the reference year). Each case is one ``group_by`` (none, hour, day, week, month, agent, team,
channel, tag, segment, touchpoint) with one metric set: the overview metrics or the full catalogue,
each restricted to the metrics that allow the grouping; compare on (the previous period computed
too), as the report pages ask.

- ``compute()``: one warm-up call, then the median of ``--repeat`` calls;
- the API: the same question through Django's test client (URL routing, middleware, API-key
  authentication, parameter validation, JSON rendering; no socket), median of ``--repeat``, and
  the response's size in bytes;
- raw rows (overview metric set only, both periods): one set-based statement straight from the
  chats, tickets and survey tables per grouping (bench/raw_reads.py: window function for repeat
  contacts, ``percentile_disc`` over an array of fractions, hash joins), fetched, median of
  ``--repeat``. The full catalogue asks more than the overview, so its raw cost is at least the
  overview's: its ratio against the overview's raw query understates the gain.

Prints a Markdown section (tables) on stdout; progress on stderr. Needs the snapshots of both
organizations over the range and its previous period (``--ensure-snapshots`` builds what is
missing, untimed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["API_THROTTLE_RATE"] = ""
from bench.common import code_identity, load, log, median_ms, setup_django  # noqa: E402

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Organization  # noqa: E402
from accounts.services import api_key_create  # noqa: E402
from bench import engine, raw_reads  # noqa: E402
from bench import engine_data as data  # noqa: E402
from reports.metrics import REGISTRY, compute  # noqa: E402
from reports.models import DaySnapshot  # noqa: E402
from reports.snapshots import snapshots_rebuild  # noqa: E402

READ_FIRST = dt.date(2024, 12, 17)
READ_LAST = dt.date(2025, 12, 16)
PREVIOUS_FIRST = READ_FIRST - dt.timedelta(days=(READ_LAST - READ_FIRST).days + 1)
OVERVIEW = engine.OVERVIEW
GROUPINGS = [None, "hour", "day", "week", "month", "agent", "team", "channel", "tag", "segment", "touchpoint"]


def metric_set(name: str, group_by: str | None) -> list[str]:
    ids = OVERVIEW if name == "overview" else list(REGISTRY)
    return [m for m in ids if group_by is None or group_by in REGISTRY[m].breakdowns]


def ensure_snapshots(orgs: list[Organization]) -> None:
    """Builds the snapshots of the range and its previous period where none exist (untimed)."""
    for org in orgs:
        days = set(DaySnapshot.objects.for_org(org).filter(day__gte=PREVIOUS_FIRST, day__lte=READ_LAST)
                   .values_list("day", flat=True).distinct())
        wanted = (READ_LAST - PREVIOUS_FIRST).days + 1
        if len(days) < wanted:
            first = data.HISTORY_FIRST
            log(f"reads: building snapshots of {org.slug} {first}..{READ_LAST} ({len(days)} of {wanted} days present)")
            t = time.perf_counter()
            snapshots_rebuild(organization=org, first=first, last=max(READ_LAST, engine.LAST_DAY))
            log(f"reads: built in {time.perf_counter() - t:.0f} s")
    engine.vacuum_snapshots()


def api_query(metrics: list[str], group_by: str | None) -> str:
    q = f"/api/v1/metrics/?metrics={','.join(metrics)}&from={READ_FIRST}&to={READ_LAST}"
    return q + (f"&group_by={group_by}" if group_by else "")


def measure(orgs: dict[str, Organization], repeat: int, sets: list[str], groupings: list, raw: bool,
            raw_repeat: int) -> dict:
    out: dict = {}
    clients = {}
    for label, org in orgs.items():
        _, secret = api_key_create(organization=org, name=f"bench reads {time.time():.0f}", scopes={"read"})
        clients[label] = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for group_by in groupings:
        for set_name in sets:
            metrics = metric_set(set_name, group_by)
            if not metrics:
                continue
            for label, org in orgs.items():
                def call(org=org, metrics=metrics, group_by=group_by):
                    return compute(organization=org, metric_ids=metrics, first=READ_FIRST, last=READ_LAST,
                                   group_by=group_by)

                result = call()  # warm-up
                groups = len(result.get("groups", []))
                comp = median_ms(call, repeat)
                client, url = clients[label], api_query(metrics, group_by)
                sizes = []

                def get(client=client, url=url, sizes=sizes):
                    response = client.get(url)
                    if response.status_code != 200:
                        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
                    sizes.append(len(response.content))

                api = median_ms(get, repeat)
                out[(group_by, set_name, label)] = {"metrics": len(metrics), "groups": groups, "compute": comp,
                                                    "api": api, "bytes": statistics.median(sizes)}
                log(f"reads: {group_by} {set_name} {label}: {out[(group_by, set_name, label)]} load {load()}")
            if raw and set_name == "overview":
                for label, org in orgs.items():
                    sql, params = raw_reads.statement(org, metrics, group_by, READ_FIRST, READ_LAST)

                    rows: list[int] = []

                    def run(sql=sql, params=params, rows=rows):
                        with connection.cursor() as cur:
                            cur.execute(sql, params)
                            rows.append(len(cur.fetchall()))

                    out[(group_by, "raw", label)] = {"raw": median_ms(run, raw_repeat), "rows": rows[-1]}
                    log(f"reads: {group_by} raw {label}: {out[(group_by, 'raw', label)]} load {load()}")
    return out


def fmt_ms(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 10 else f"{ms:.1f}"


def report(out: dict, repeat: int, raw_repeat: int, sets: list[str], groupings: list, loads: list[str], command: str) -> str:
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — reads: `{command}`", "",
             f"Code: {code_identity()}. Range {READ_FIRST}..{READ_LAST} (365 days), compare on (previous period "
             f"{PREVIOUS_FIRST}..{READ_FIRST - dt.timedelta(days=1)}, populated). Median of {repeat} (after one warm-up "
             f"for `compute`; raw-row statements: median of {raw_repeat}). Load average at the start / end: {loads[0]} / {loads[-1]}.", ""]
    add = lines.append
    add("| group_by | metrics | groups (1M) | compute 1M ms | compute 10k ms | 1M ÷ 10k | API 1M ms | API 10k ms | "
        "API 1M ÷ 10k | API bytes 1M | raw rows 1M ms | raw ÷ compute (1M) |")
    add("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for group_by in groupings:
        raw = out.get((group_by, "raw", "1M"))
        for set_name in sets:
            big, small = out.get((group_by, set_name, "1M")), out.get((group_by, set_name, "10k"))
            if not big:
                continue
            speedup = f"{raw['raw'] / big['compute']:.1f}×" if raw else "—"
            add(f"| {group_by or '(none)'} | {set_name} ({big['metrics']}) | {big['groups']:,} | {fmt_ms(big['compute'])} | "
                f"{fmt_ms(small['compute'])} | {big['compute'] / small['compute']:.2f}× | {fmt_ms(big['api'])} | "
                f"{fmt_ms(small['api'])} | {big['api'] / small['api']:.2f}× | {big['bytes']:,.0f} | "
                f"{fmt_ms(raw['raw']) if raw else '—'} | {speedup} |")
    add("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chats", type=int, default=1_000_000, help="chats a year of the large organization")
    parser.add_argument("--sets", default="overview,full", help="metric sets: overview, full")
    parser.add_argument("--group-by", default=",".join(g or "none" for g in GROUPINGS))
    parser.add_argument("--no-raw", action="store_true", help="skip the raw-row statements")
    parser.add_argument("--raw-repeat", type=int, default=1, help="timed runs of each raw-row statement (median)")
    parser.add_argument("--ensure-snapshots", action="store_true")
    args = parser.parse_args()
    command = "bench/reads.py " + " ".join(sys.argv[1:])
    shapes = engine.shapes(args.chats, 0)
    orgs = {"1M": Organization.objects.get(slug=shapes[0].slug), "10k": Organization.objects.get(slug=shapes[1].slug)}
    if args.ensure_snapshots:
        ensure_snapshots(list(orgs.values()))
    groupings = [None if g == "none" else g for g in args.group_by.split(",")]
    sets = args.sets.split(",")
    loads = [load()]
    out = measure(orgs, args.repeat, sets, groupings, not args.no_raw, args.raw_repeat)
    loads.append(load())
    print(report(out, args.repeat, args.raw_repeat, sets, groupings, loads, command))


if __name__ == "__main__":
    main()
