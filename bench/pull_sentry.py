"""Benchmark: a full Sentry pull over real HTTP against the raw bulk-insert ceiling.

    .venv/bin/python bench/pull_sentry.py [--issues 100000] [--database sqlite|postgres|both]
        [--variants bare,rollups,rules] [--repeat 1] [--workers 0]

The fake Sentry runs as its own process on 127.0.0.1. For each database the script re-invokes
itself (``--measure``) with DATABASE_URL set, so Django is set up once per database: the child
migrates a fresh database, creates a Sentry connection pointing at the fake and measures
1. fetch: the connector iterating every issue without storing it (HTTP, JSON, mapping);
2. pull: ``connection_pull(full=True)``, the real code path (wall time and this process's CPU time);
3. follow-up: the work the pull queued (event deliveries, rollup maintenance, rule evaluation)
   run to the end in this process, except the outbox's deliveries to a tracker (ticket creations
   are not part of the pull); with ``--workers N``, N ``db_worker`` processes run that work beside
   the pull instead, as deployed, and the follow-up is the time from the pull's end until they
   have nothing left (``workers CPU s``: theirs; ``machine CPU s``: every core's busy time over
   pull and follow-up, PostgreSQL and the fake included);
4. ceiling: the stored rows deleted and re-inserted with ``bulk_create``, in batches of the size
   the pull stores at a time.
Each variant runs in its own fresh database: ``bare`` without insights' rollup maintenance,
``rollups`` with it (the default configuration), ``rules`` with it and 20 active automation rules.
``% of`` compares the pull rate, follow-up included, with ``bare`` (``rollups``) and ``rollups``
(``rules``). With ``--repeat N`` the variants run N times in turn and the table shows each variant's
median run, with every run's rate beside it: on a shared machine two runs of the same code differ
by up to a fifth. It prints one JSON line per child; the parent prints the table. See
bench/README.md.
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
from pathlib import Path
from typing import Any

from benchlib import (
    DATABASES,
    MANAGE,
    ROOT,
    Processes,
    child_env,
    database_names,
    load_average,
    print_table,
    process_tree_cpu,
    setup_django,
)

FAKE_TOKEN = "fake-sentry-token"  # switchyard.fakes.sentry.DEFAULT_TOKEN
FAKE_ORGANIZATION = "acme"
VARIANTS = ["bare", "rollups", "rules"]
BASELINE = {"rollups": "bare", "rules": "rollups"}  # what each variant's rate is compared with
OUTBOX_TASKS = [
    "switchyard.sync.tasks.deliver_outbox_entry_task",
    "switchyard.sync.tasks.deliver_outbox_entries_task",
]
RULES = 20
# The table: title, then the cell of a row of figures (as measure() returns them).
COLUMNS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("database", lambda r: r["database"]),
    ("variant", lambda r: r["variant"]),
    ("issues", lambda r: f"{r['issues']:,}"),
    ("workers", lambda r: str(r["workers"])),
    ("pull s", lambda r: f"{r['pull_s']:.1f}"),
    ("pull CPU s", lambda r: f"{r['pull_cpu_s']:.1f}"),
    ("pull issues/s", lambda r: f"{r['issues'] / r['pull_s']:,.0f}"),
    ("ceiling issues/s", lambda r: f"{r['issues'] / r['ceiling_s']:,.0f}"),
    ("ratio", lambda r: f"{r['ceiling_s'] / r['pull_s']:.2f}"),
    ("fetch-only s", lambda r: f"{r['fetch_s']:.1f}"),
    ("follow-up s", lambda r: f"{r['follow_up_s']:.1f}"),
    ("workers CPU s", lambda r: f"{r['workers_cpu_s']:.1f}"),
    ("machine CPU s", lambda r: f"{r['machine_cpu_s']:.1f}"),
    ("with follow-up issues/s", lambda r: f"{rate(r):,.0f}"),
    ("% of", lambda r: r.get("share", "")),
    ("every run issues/s", lambda r: " / ".join(f"{rate:,.0f}" for rate in r["rates"])),
    ("rule matches", lambda r: f"{r['rule_matches']:,}"),
]


def rate(row: dict[str, Any]) -> float:
    """Issues per second through the pull and the work it queued."""
    return row["issues"] / (row["pull_s"] + row["follow_up_s"])


def compare(rows: list[dict[str, Any]]) -> None:
    """Fill in each row's rate as a share of its baseline's on the same database."""
    by_key = {(row["database"], row["variant"]): row for row in rows}
    for row in rows:
        base = by_key.get((row["database"], BASELINE.get(row["variant"], "")))
        if base is not None:
            row["share"] = f"{100 * rate(row) / rate(base):.0f}% {base['variant']}"


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


def measure_in_child(
    database_url: str, base_url: str, issues: int, variant: str, workers: int
) -> dict[str, Any]:
    """Run ``--measure`` in a fresh interpreter against ``database_url``; its figures."""
    command = [sys.executable, __file__, "--measure", base_url, "--issues", str(issues)]
    command += ["--variants", variant, "--workers", str(workers)]
    done = subprocess.run(
        command,
        cwd=ROOT,
        # The fake Sentry listens on 127.0.0.1, a private address connections refuse by default.
        env=child_env(database_url, SWITCHYARD_ALLOW_PRIVATE_REMOTES="true"),
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:  # its traceback or message is already on stderr
        raise SystemExit(f"the measurement failed (exit status {done.returncode})")
    return json.loads(done.stdout.splitlines()[-1])


def median_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each database and variant's median run by rate (the lower of two middles), with the rates
    of all its runs."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in runs:
        by_key.setdefault((row["database"], row["variant"]), []).append(row)
    chosen = []
    for same in by_key.values():
        ordered = sorted(same, key=rate)
        chosen.append({**ordered[(len(ordered) - 1) // 2], "rates": [rate(r) for r in same]})
    return chosen


def run(
    issues: int,
    projects: int,
    databases: list[str],
    variants: list[str],
    repeat: int,
    workers: int = 0,
) -> None:
    runs = []
    print(
        f"seeding the fake Sentry with {issues:,} issues over {projects} projects ...", flush=True
    )
    with fake_sentry(issues, projects) as base_url:
        for name in databases:
            for turn in range(1, repeat + 1):
                for variant in variants:
                    with DATABASES[name]() as database_url:
                        if database_url is None:
                            break
                        print(f"{name}, {variant}, run {turn}: migrating, pulling, ...", flush=True)
                        figures = measure_in_child(database_url, base_url, issues, variant, workers)
                        runs.append({"database": name, "variant": variant, **figures})
    if runs:
        rows = median_runs(runs)
        compare(rows)
        print()
        print_table(COLUMNS, rows)
        print(load_average())


# -- child: one database, Django set up with its DATABASE_URL -------------------------------------


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def without_rollup_maintenance() -> None:
    """Unsubscribe insights from every event, as if it were not installed (the ``bare`` run)."""
    from switchyard.core import events

    for handlers in events._subscribers.values():
        handlers[:] = [h for h in handlers if not h.__module__.startswith("switchyard.insights.")]


def add_rules(organization, count: int) -> None:
    """``count`` active rules over every issue, with conditions of every kind, creating tickets in
    a Jira project nobody reaches (the outbox's deliveries are not run)."""
    from switchyard.automation.services import rule_create
    from switchyard.sync.models import ConnectionKind
    from switchyard.sync.services import connection_create
    from switchyard.trackers.models import TrackerProject

    jira = connection_create(
        organization=organization,
        kind=ConnectionKind.JIRA,
        name="Jira",
        base_url="https://jira.invalid",
        account_email="bench@example.com",
        api_token="unused",
    )
    project = TrackerProject.objects.create(
        connection=jira, external_id="1", key="OPS", name="Operations", rules_may_create=True
    )
    levels = ["fatal", "error", "warning", ""]
    for n in range(count):
        rule_create(
            organization=organization,
            fields={
                "name": f"Rule {n}",
                "active": True,
                "position": n,
                "min_level": levels[n % len(levels)],
                "min_events": [None, 10, 100, 1000][n // 5 % 4],
                "min_users": 5 if n % 3 == 0 else None,
                "regressions_only": n % 7 == 6,
                "text_contains": ["Error", "timeout", "", ""][n % 4],
                "tracker_project": project,
                "labels": ["bench"],
                "title_template": "[{level}] {title} ({count} events)",
            },
        )


def _follow_up():
    """The tasks the pull queued and those they queue, except the outbox's deliveries to remotes."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.exclude(task_path__in=OUTBOX_TASKS)


def drain_follow_up() -> int:
    """Run the tasks the pull queued, and those they queue, to the end; the outbox's deliveries to
    remotes are left queued. Returns how many ran."""
    ran = 0
    while batch := list(_follow_up().ready().order_by("enqueued_at")[:500]):
        for row in batch:
            result = row.task_result
            row.task.call(*result.args, **result.kwargs)
            row.set_successful(None)
            ran += 1
    return ran


@contextlib.contextmanager
def task_workers(count: int) -> Iterator[Callable[[], float]]:
    """``count`` task workers of this database for the duration, polling every 50 ms; yields a
    function giving the CPU seconds they have used since they were ready."""
    with Processes(dict(os.environ)) as processes:
        for n in range(count):
            command = ["db_worker", "--worker-id", f"bench-{n}", "--interval", "0.05"]
            processes.start(f"worker-{n}", *MANAGE, *command, "--no-startup-delay")
        for n in range(count):
            processes.wait_for_line(f"worker-{n}", "Starting worker")

        def used() -> float:
            return sum(process_tree_cpu(process.pid) for process in processes.running)

        started = used()
        yield lambda: used() - started


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat; idle and
    waiting for I/O excluded)."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / ticks


def wait_for_workers() -> int:
    """Wait until the workers have run every follow-up task; returns how many ran."""
    from django_tasks import TaskResultStatus

    unfinished = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    while _follow_up().filter(status__in=unfinished).exists():
        time.sleep(0.05)
    return _follow_up().filter(status=TaskResultStatus.SUCCESSFUL).count()


def bench_connection(base_url: str, variant: str):
    """Migrate, then a Sentry connection to the fake server in a fresh organisation, set up as
    ``variant`` asks."""
    from django.core.management import call_command

    from switchyard.accounts.models import Organization
    from switchyard.sync.models import ConnectionKind
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
    if variant == "bare":
        without_rollup_maintenance()
    if variant == "rules":
        add_rules(organization, RULES)
    return connection


def bulk_insert_ceiling(stored) -> tuple[int, float]:
    """Delete the pulled rows and time inserting them again in bulk: how many, and the seconds."""
    from switchyard.monitoring.models import SentryIssue
    from switchyard.sync.batches import BATCH

    rows = list(stored.order_by("pk"))
    stored.delete()
    _, ceiling_s = timed(lambda: SentryIssue.objects.bulk_create(rows, batch_size=BATCH))
    return len(rows), ceiling_s


def measure(base_url: str, issues: int, variant: str, workers: int) -> dict[str, Any]:
    """Migrate, then time a fetch-only pass, the full pull, its follow-up work (in this process,
    or by ``workers`` task workers beside the pull) and the bulk-insert ceiling."""
    setup_django(os.environ["DATABASE_URL"])
    from switchyard.automation.models import RuleMatch
    from switchyard.monitoring.connectors.registry import connector_for
    from switchyard.monitoring.models import SentryIssue
    from switchyard.sync.models import SyncRun
    from switchyard.sync.runs import connection_pull

    connection = bench_connection(base_url, variant)
    connector = connector_for(connection)
    fetched, fetch_s = timed(
        lambda: sum(1 for _ in connector.iter_issues(seen_since=None, every_status=True))
    )
    with task_workers(workers) as workers_cpu:
        cpu_before, busy_before = time.process_time(), machine_busy()
        run, pull_s = timed(
            lambda: connection_pull(
                connection=connection, trigger=SyncRun.Trigger.COMMAND, full=True
            )
        )
        pull_cpu_s = time.process_time() - cpu_before
        tasks, follow_up_s = timed(wait_for_workers if workers else drain_follow_up)
        machine_cpu_s, workers_cpu_s = machine_busy() - busy_before, workers_cpu()
    stored = SentryIssue.objects.filter(connection=connection)
    if run.status != SyncRun.Status.SUCCEEDED or fetched != issues or stored.count() != issues:
        raise SystemExit(
            f"unexpected pull: {run.status} {run.error!r}, fetched {fetched}, "
            f"stored {stored.count()}, expected {issues}"
        )
    rule_matches = RuleMatch.objects.count()

    inserted, ceiling_s = bulk_insert_ceiling(stored)
    return {
        "issues": inserted,
        "workers": workers,
        "workers_cpu_s": workers_cpu_s,
        "machine_cpu_s": machine_cpu_s,
        "fetch_s": fetch_s,
        "pull_s": pull_s,
        "pull_cpu_s": pull_cpu_s,
        "ceiling_s": ceiling_s,
        "follow_up_s": follow_up_s,
        "follow_up_tasks": tasks,
        "rule_matches": rule_matches,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=36)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated, of: {', '.join(VARIANTS)}",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant, in turn")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="task workers running the follow-up beside the pull (0: after it, in-process)",
    )
    parser.add_argument("--tiny", action="store_true", help="a few hundred issues on SQLite")
    parser.add_argument("--measure", metavar="FAKE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    if args.tiny:
        args.issues, args.projects, args.database = 300, 3, "sqlite"
    if args.measure:
        print(json.dumps(measure(args.measure, args.issues, variants[0], args.workers)))
    else:
        run(
            args.issues,
            args.projects,
            database_names(args.database),
            variants,
            args.repeat,
            args.workers,
        )


if __name__ == "__main__":
    main()
