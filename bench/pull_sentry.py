"""Benchmark: a full Sentry pull over real HTTP against the raw bulk-insert ceiling.

    .venv/bin/python bench/pull_sentry.py [--issues 100000] [--database sqlite|postgres|both]

The fake Sentry runs as its own process on 127.0.0.1. For each database the script re-invokes
itself (``--measure``) with DATABASE_URL set, so Django is set up once per database: the child
migrates a fresh database, creates a Sentry connection pointing at the fake and measures
1. fetch: the connector iterating every issue without storing it (HTTP, JSON, mapping);
2. pull: ``connection_pull(full=True)``, the real code path (wall time and this process's CPU time);
3. ceiling: the stored rows deleted and re-inserted with ``bulk_create``, in batches of the size
   the pull stores at a time.
It prints one JSON line; the parent prints the table. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchlib import (
    DATABASES,
    ROOT,
    child_env,
    database_names,
    load_average,
    print_table,
    setup_django,
)

FAKE_TOKEN = "fake-sentry-token"  # switchyard.fakes.sentry.DEFAULT_TOKEN
FAKE_ORGANIZATION = "acme"
# The table: title, then the cell of a row of figures (as measure() returns them).
COLUMNS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("database", lambda r: r["database"]),
    ("issues", lambda r: f"{r['issues']:,}"),
    ("pull s", lambda r: f"{r['pull_s']:.1f}"),
    ("pull CPU s", lambda r: f"{r['pull_cpu_s']:.1f}"),
    ("pull issues/s", lambda r: f"{r['issues'] / r['pull_s']:,.0f}"),
    ("ceiling issues/s", lambda r: f"{r['issues'] / r['ceiling_s']:,.0f}"),
    ("ratio", lambda r: f"{r['ceiling_s'] / r['pull_s']:.2f}"),
    ("fetch-only s", lambda r: f"{r['fetch_s']:.1f}"),
]


# -- parent: the fake, the databases, the table --------------------------------------------------


@contextlib.contextmanager
def fake_sentry(issues: int, projects: int) -> Iterator[str]:
    """Serve a seeded fake Sentry in its own process; yields its base URL."""
    command = [sys.executable, "-m", "switchyard.fakes", "serve", "sentry", "--port", "0"]
    command += ["--issues", str(issues), "--projects", str(projects)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if " serving on " in line:
                # The fake prints a few more lines and nothing after: the pipe never fills.
                yield line.rsplit(" ", 1)[-1].strip()
                return
        raise RuntimeError(f"the fake Sentry exited ({process.wait()}) before serving")
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_in_child(database_url: str, base_url: str, issues: int) -> dict[str, Any]:
    """Run ``--measure`` in a fresh interpreter against ``database_url``; its figures."""
    command = [sys.executable, __file__, "--measure", base_url, "--issues", str(issues)]
    done = subprocess.run(
        command, cwd=ROOT, env=child_env(database_url), stdout=subprocess.PIPE, text=True
    )
    if done.returncode != 0:  # its traceback or message is already on stderr
        raise SystemExit(f"the measurement failed (exit status {done.returncode})")
    return json.loads(done.stdout.splitlines()[-1])


def run(issues: int, projects: int, databases: list[str]) -> None:
    rows = []
    print(
        f"seeding the fake Sentry with {issues:,} issues over {projects} projects ...", flush=True
    )
    with fake_sentry(issues, projects) as base_url:
        for name in databases:
            with DATABASES[name]() as database_url:
                if database_url is None:
                    continue
                print(f"{name}: migrating, fetching, pulling, re-inserting ...", flush=True)
                rows.append({"database": name, **measure_in_child(database_url, base_url, issues)})
    if rows:
        print()
        print_table(COLUMNS, rows)
        print(load_average())


# -- child: one database, Django set up with its DATABASE_URL -------------------------------------


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def measure(base_url: str, issues: int) -> dict[str, Any]:
    """Migrate, then time a fetch-only pass, the full pull and the bulk-insert ceiling."""
    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command

    from switchyard.accounts.models import Organization
    from switchyard.monitoring.connectors.registry import connector_for
    from switchyard.monitoring.models import SentryIssue
    from switchyard.sync.batches import BATCH
    from switchyard.sync.models import ConnectionKind, SyncRun
    from switchyard.sync.runs import connection_pull
    from switchyard.sync.services import connection_create

    call_command("migrate", interactive=False, verbosity=0)
    organization = Organization.objects.create(name="Bench", slug="bench")
    connection = connection_create(
        organization=organization,
        kind=ConnectionKind.SENTRY,
        name="Fake Sentry",
        base_url=base_url,
        remote_organization=FAKE_ORGANIZATION,
        api_token=FAKE_TOKEN,
    )

    connector = connector_for(connection)
    fetched, fetch_s = timed(
        lambda: sum(1 for _ in connector.iter_issues(seen_since=None, every_status=True))
    )
    cpu_before = time.process_time()
    run, pull_s = timed(
        lambda: connection_pull(connection=connection, trigger=SyncRun.Trigger.COMMAND, full=True)
    )
    pull_cpu_s = time.process_time() - cpu_before
    stored = SentryIssue.objects.filter(connection=connection)
    if run.status != SyncRun.Status.SUCCEEDED or fetched != issues or stored.count() != issues:
        raise SystemExit(
            f"unexpected pull: {run.status} {run.error!r}, fetched {fetched}, "
            f"stored {stored.count()}, expected {issues}"
        )

    rows = list(stored.order_by("pk"))
    stored.delete()
    _, ceiling_s = timed(lambda: SentryIssue.objects.bulk_create(rows, batch_size=BATCH))
    return {
        "issues": len(rows),
        "fetch_s": fetch_s,
        "pull_s": pull_s,
        "pull_cpu_s": pull_cpu_s,
        "ceiling_s": ceiling_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=36)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tiny", action="store_true", help="a few hundred issues on SQLite")
    parser.add_argument("--measure", metavar="FAKE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.issues, args.projects, args.database = 300, 3, "sqlite"
    if args.measure:
        print(json.dumps(measure(args.measure, args.issues)))
    else:
        run(args.issues, args.projects, database_names(args.database))


if __name__ == "__main__":
    main()
