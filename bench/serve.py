"""Requests per second under ``gunicorn -w 2``: the metrics API's overview against trivial views
served by the same server in the same run (wrk as the load generator).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/serve.py [--duration 10] [--connections 4] [--rounds 2]

The app runs with bench/settings.py (the project's settings, plus the trivial views of
bench/urls.py), DEBUG=0, no API throttle, `gunicorn -w 2` sync workers; wrk (Debian package
``wrk``) runs one thread with ``--connections`` connections for ``--duration`` seconds per URL,
after a 2-second warm-up of the same URL. The URLs are taken in turn, ``--rounds`` times, so a
change of machine load shows in both the measured and the trivial figure. Every response must be
a 200 (wrk's non-2xx count is checked).

URLs (the 1M-chat organization, READ_FIRST..READ_LAST of bench/reads.py):
- trivial JSON (plain Django view), trivial API view (DRF + API-key authentication);
- ``GET /api/v1/metrics/`` overview metrics, compare on; the same with ``group_by=agent``;
- ``GET /api/v1/metrics/catalogue``;
- with ``--pages``, each report page of ``--pages`` (paths under /o/<slug>/reports/) and the
  trivial login-required page, as a signed-in manager.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import shutil
import socket
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

from accounts.models import Organization  # noqa: E402
from accounts.services import api_key_create  # noqa: E402
from bench import engine  # noqa: E402
from bench.reads import OVERVIEW, READ_FIRST, READ_LAST, metric_set  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, workers: int):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "API_THROTTLE_RATE": "",
               "DJANGO_SETTINGS_MODULE": "bench.settings"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "helpdesk_metrics.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "120"], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:  # until a worker answers (the port listens before the workers have booted)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/trivial.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        os.unlink(self.log.name)


def wrk(url: str, headers: dict[str, str], duration: float, connections: int) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "60s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": rps, "requests": requests, "non_2xx": int(bad.group(1)) if bad else 0,
            "errors": errors.group(1) if errors else "", "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None}


def session_cookie(org: Organization) -> str:
    """A signed-in manager of `org` (created once): its session cookie for wrk."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import Membership

    user, _ = get_user_model().objects.get_or_create(email="bench-manager@example.com", defaults={"is_active": True})
    user.set_password("bench-only-password")
    user.save()
    Membership.unscoped.get_or_create(organization=org, user=user, defaults={"role": "manager"})
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--org-chats", type=int, default=1_000_000)
    parser.add_argument("--pages", default="", help="comma-separated report page paths under /o/<slug>/reports/ ('' for the overview)")
    parser.add_argument("--no-agent", action="store_true", help="skip the group_by=agent API call")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    command = "bench/serve.py " + " ".join(sys.argv[1:])
    org = Organization.objects.get(slug=engine.shapes(args.org_chats, 0)[0].slug)
    _, secret = api_key_create(organization=org, name=f"bench serve {time.time():.0f}", scopes={"read"})
    api = {"Authorization": f"Bearer {secret}"}
    span = f"from={READ_FIRST}&to={READ_LAST}"
    urls = {
        "trivial JSON view (Django)": ("/bench/trivial.json", {}),
        "trivial API view (DRF, API key)": ("/bench/trivial-api", api),
        "overview `GET /api/v1/metrics/` (11 metrics, compare on)": (f"/api/v1/metrics/?metrics={','.join(OVERVIEW)}&{span}", api),
        "`GET /api/v1/metrics/catalogue`": ("/api/v1/metrics/catalogue", api),
    }
    if not args.no_agent:
        urls["overview, `group_by=agent`"] = (
            f"/api/v1/metrics/?metrics={','.join(metric_set('overview', 'agent'))}&{span}&group_by=agent", api)
    page_paths = args.pages.split(",") if args.pages else []
    if page_paths:
        cookie = {"Cookie": session_cookie(org)}
        urls["trivial page (Django template, signed in)"] = (f"/bench/trivial-page/{org.slug}/", cookie)
        for p in page_paths:
            urls[f"page /o/…/reports/{p}"] = (f"/o/{org.slug}/reports/{p}?{span}", cookie)
    loads = [load()]
    server = Gunicorn(args.workers)
    results: dict[str, list[dict]] = {name: [] for name in urls}
    try:
        base = f"http://127.0.0.1:{server.port}"
        for round_no in range(args.rounds):
            for name, (path, headers) in urls.items():
                wrk(base + path, headers, 2, args.connections)  # warm-up
                r = wrk(base + path, headers, args.duration, args.connections)
                r["load"] = load()
                if r["non_2xx"] or r["requests"] == 0:
                    raise SystemExit(f"{name}: {r}")
                results[name].append(r)
                log(f"serve: round {round_no + 1} {name}: {r}")
    finally:
        server.stop()
    loads.append(load())
    trivial = statistics.median(r["rps"] for r in results["trivial JSON view (Django)"])
    lines = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — requests per second: `{command}`", "",
             f"Code: {code_identity()}. `gunicorn helpdesk_metrics.wsgi -w {args.workers}` (bench/settings.py: the "
             f"project's settings plus bench/urls.py's trivial views; DEBUG=0, no throttle), `wrk -t1 "
             f"-c{args.connections} -d{args.duration:g}s` per URL after a 2 s warm-up, URLs in turn, {args.rounds} rounds; "
             f"the client shares the 2 cores. Range {READ_FIRST}..{READ_LAST}. Load average at the start / end: "
             f"{loads[0]} / {loads[1]}.", "",
             "| URL | req/s per round | median req/s | median latency ms | ÷ trivial JSON view |", "|---|---|---|---|---|"]
    for name, rs in results.items():
        med = statistics.median(r["rps"] for r in rs)
        lat = statistics.median(r["p50_ms"] for r in rs if r["p50_ms"] is not None)
        rounds = ", ".join(f"{r['rps']:,.1f}" for r in rs)
        lines.append(f"| {name} | {rounds} | {med:,.1f} | {lat:,.1f} | "
                     f"{100 * med / trivial:.1f}% |")
    lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
