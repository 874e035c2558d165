"""Every benchmark of bench/, in one run: `make bench`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/run.py [--phases engine,reads,late,serve,ingest] [--write-results] [...]

Phases, each its own process (so a phase's imports, caches and connections do not favour the next):

- ``engine`` (bench/engine.py --reuse --no-reads): the reference data (generated once, then
  reused), the full rebuild of the 1M-chat organization alternated with the floor (rebuild,
  floor, rebuild, floor), the in-process late-data rebuild;
- ``reads`` (bench/reads.py --ensure-snapshots): every group_by over a rolling 365-day range,
  compute() and the API, 1M vs 10k, against raw-row SQL;
- ``late`` (bench/late.py): 1,000 late chats through the bulk API and a real Celery worker;
- ``serve`` (bench/serve.py): requests per second under gunicorn -w 2 against trivial views
  (``--pages`` adds report pages);
- ``ingest`` (bench/ingest.py): bulk ingestion into a populated table against COPY;
- ``pages`` (bench/pages.py, not in the default list): report pages cold and warm, 1M vs 10k,
  with their query counts.

Each phase prints a Markdown section; this script prints them all (stdout) and, with
``--write-results``, appends them to bench/RESULTS.md under "## Runs of bench/run.py". Nothing is
written to RESULTS.md otherwise. The database must be the benchmark's own (hm_bench by default in
the Makefile), and so must the Redis db (the late phase flushes it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Runs of bench/run.py"
PHASES = ("engine", "reads", "late", "serve", "ingest")  # and "pages" (bench/pages.py), once report pages exist


def phase_commands(args) -> dict[str, list[str]]:
    py = sys.executable
    chats = ["--chats", str(args.chats)]
    return {
        "engine": [py, str(HERE / "engine.py"), "--reuse", "--no-reads", *chats, "--rounds", str(args.rounds)],
        "reads": [py, str(HERE / "reads.py"), "--ensure-snapshots", "--repeat", str(args.repeat), *chats],
        "late": [py, str(HERE / "late.py"), "--repeat", str(args.repeat), "--org-chats", str(args.chats)],
        "serve": [py, str(HERE / "serve.py"), "--org-chats", str(args.chats), "--duration", str(args.duration),
                  *(["--pages", args.pages] if args.pages is not None else [])],
        "pages": [py, str(HERE / "pages.py"), "--repeat", str(args.repeat), *chats],
        "ingest": [py, str(HERE / "ingest.py"), "--chats", str(args.ingest_chats), "--existing", str(args.existing)],
    }


def append_results(text: str) -> None:
    current = RESULTS.read_text()
    if SECTION not in current:
        current = current.rstrip("\n") + f"\n\n{SECTION}\n\nAppended by `bench/run.py --write-results`; newest last.\n"
    start = current.index(SECTION) + len(SECTION)
    nxt = current.find("\n## ", start)
    end = len(current) if nxt == -1 else nxt + 1
    RESULTS.write_text(current[:end].rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n" + ("\n" + current[end:] if nxt != -1 else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--chats", type=int, default=1_000_000, help="chats a year of the large organization")
    parser.add_argument("--rounds", type=int, default=2, help="rebuild/floor pairs")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each read / late-data round")
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk load per URL")
    parser.add_argument("--pages", default=None, help="report page paths for the serve phase (see bench/serve.py)")
    parser.add_argument("--ingest-chats", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_000_000, help="chats already in the ingest table")
    parser.add_argument("--write-results", action="store_true", help=f"append the sections to {RESULTS.name}")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL must name the benchmark's own database (e.g. hm_bench)")
    commands = phase_commands(args)
    sections = [f"### {dt.datetime.now():%Y-%m-%d %H:%M} — `bench/run.py {shlex.join(sys.argv[1:])}`", ""]
    failed = []
    for phase in args.phases.split(","):
        cmd = commands[phase]
        print(f"== {phase}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
        if done.returncode:
            failed.append(phase)
            sections.append(f"#### {phase}: FAILED (exit {done.returncode})\n")
        sections.append(done.stdout)
        print(done.stdout, flush=True)
    text = "\n".join(sections)
    if args.write_results:
        append_results(text)
    if failed:
        raise SystemExit(f"failed phases: {', '.join(failed)}")


if __name__ == "__main__":
    main()
