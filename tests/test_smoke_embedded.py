"""The embedded default runs the demo end to end: no PostgreSQL, no Redis.

In a subprocess environment without DATABASE_URL and REDIS_URL (so SQLite and eager Celery, as
a newcomer's first `make demo` gets), migrate a fresh SQLite file, seed the demo, start
`runserver`, and log in through the real login form as the demo manager; the organization home
must render. Standard library HTTP only (urllib + cookie jar).
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_EMAIL = "manager@acme.test"
DEMO_ORG_SLUG = "acme"
SERVER_START_TIMEOUT_S = 30
# A guard against a hung command, not a speed check: `migrate` from nothing on SQLite takes
# ~6 s (reports' 0001-0010 are squashed) and the demo's seed with its eager rebuild well under
# a minute; 120 s leaves room for a loaded CI machine.
COMMAND_TIMEOUT_S = 120
# Variables that would point the subprocess at the test services or change the defaults.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "DEBUG", "SECRET_KEY")


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    # Still the embedded default (SQLite, eager tasks, console e-mail), in a file of its own
    # rather than the developer's db.sqlite3 next to manage.py.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'smoke.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(env, *args: str) -> str:
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"manage.py {' '.join(args)} took over {COMMAND_TIMEOUT_S} s on the embedded default")
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"runserver exited with {server.returncode}:\n{server.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"runserver did not answer {url} within {SERVER_START_TIMEOUT_S} s")


def demo_password(seed_output: str, email: str) -> str:
    """The password printed in seed_demo's credentials table (e-mail, role, org, password)."""
    for line in seed_output.splitlines():
        cells = line.split()
        if cells and cells[0] == email:
            return cells[-1]
    raise AssertionError(f"{email} is not in seed_demo's output:\n{seed_output}")


def test_the_embedded_default_serves_the_demo_and_a_manager_logs_in(embedded_env):
    from chats.demo.catalog import DEMO_PROFILES

    org_name = next(p.name for p in DEMO_PROFILES if p.slug == DEMO_ORG_SLUG)
    manage(embedded_env, "migrate", "--noinput")
    password = demo_password(manage(embedded_env, "seed_demo", "--chats", "300", "--reset"), DEMO_EMAIL)

    base = f"http://127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", base.removeprefix("http://")],
        cwd=BASE_DIR, env=embedded_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        login_url = f"{base}/accounts/login/"
        wait_until_serving(server, login_url)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        with browser.open(login_url, timeout=10) as response:
            login_page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": DEMO_EMAIL, "password": password, "next": ""}
        ).encode()
        # urllib follows the redirects: login -> / -> the overview (the demo organization has figures).
        with browser.open(urllib.request.Request(login_url, data=form, headers={"Referer": login_url}), timeout=30) as response:
            home = response.read().decode()
            assert response.status == 200
            assert response.url == f"{base}/o/{DEMO_ORG_SLUG}/reports/"
        assert f"<title>Overview · {org_name} · " in home
        assert "<h1>Overview" in home

        # The API on SQLite: bad input is a 400 naming the field; a good batch lands and its
        # eager rebuild runs in the request.
        key = manage(embedded_env, "create_api_key", "--org", DEMO_ORG_SLUG, "--name", "smoke",
                     "--scope", "read,write").strip().splitlines()[-1]

        def post(items):
            request = urllib.request.Request(
                f"{base}/api/v1/chats/bulk", data=json.dumps({"items": items}).encode(), method="POST",
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        status, body = post([{"external_id": "smoke-1", "requested_at": "0001-01-01T00:00:00+14:00"}])
        assert status == 400 and body["error"]["details"][0]["field"] == "requested_at"
        yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
        status, body = post([{"external_id": "smoke-1", "requested_at": yesterday}])
        assert (status, body) == (200, {"created": 1, "updated": 0, "unchanged": 0})
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()
