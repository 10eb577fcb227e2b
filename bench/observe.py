"""Benchmark: insights observing a first pull's new Sentry issues, batch by batch.

    .venv/bin/python bench/observe.py [--issues 100000] [--batch 500] [--database postgres|sqlite]
    .venv/bin/python bench/observe.py --tiny      # seconds, on SQLite: the suite runs this

It migrates a fresh database and stores ``--issues`` Sentry issues over 36 projects
(first seen over the last 90 days, two in five resolved, all with events). Then it observes them
``--batch`` at a time, as insights' subscriber does after each stored batch of a pull, and prints
the wall time, this process's CPU (Python and the driver; on SQLite, the database's too) and the
PostgreSQL backend's CPU, with
the statements that took longest (as Django times them: sent to last row). This isolates what
bench/pull_sentry.py's ``rollups`` variant adds to a pull, without the fake, the pull and the
task worker around it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from datetime import timedelta

from benchlib import DATABASES, load_average, setup_django

PROJECTS = 36
SHOWN = 8


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a process of this
    machine); 0 on SQLite, which runs in this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def store_issues(count: int) -> list[int]:
    from django.utils import timezone

    from switchyard.monitoring.models import SentryIssue
    from switchyard.monitoring.tests.factories import (
        SentryConnectionFactory,
        SentryProjectFactory,
    )

    connection = SentryConnectionFactory()
    projects = [SentryProjectFactory(connection=connection) for _ in range(PROJECTS)]
    now = timezone.now()
    issues = (
        SentryIssue(
            connection=connection,
            project=projects[n % PROJECTS],
            external_id=str(n),
            short_id=f"BENCH-{n}",
            title="TypeError: boom",
            level=("error", "fatal", "warning")[n % 3],
            status="resolved" if n % 5 < 2 else "unresolved",
            first_seen=now - timedelta(days=n % 90),
            last_seen=now,
            event_count=1 + n % 50,
            user_count=n % 9,
            permalink="https://sentry.test/issues/",
        )
        for n in range(count)
    )
    SentryIssue.objects.bulk_create(issues, batch_size=5000)
    return list(SentryIssue.objects.order_by("pk").values_list("pk", flat=True))


def measure(issues: int, batch: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from switchyard.insights.services import items_observe

    ids = store_issues(issues)
    statements: Counter[str] = Counter()
    backend, python, wall = backend_cpu(), time.process_time(), time.perf_counter()
    for start in range(0, len(ids), batch):
        with CaptureQueriesContext(connection) as captured:
            items_observe(source="sentry", ids=ids[start : start + batch])
        for query in captured.captured_queries:
            statements[" ".join(str(query["sql"]).split())[:80]] += float(query["time"])
    wall, python = time.perf_counter() - wall, time.process_time() - python
    backend = backend_cpu() - backend
    print(f"{issues:,} new Sentry issues observed {batch} at a time ({connection.vendor}):")
    spent = f"  wall {wall:.2f} s, this process's CPU {python:.2f} s"
    print(spent + (f", PostgreSQL's {backend:.2f} s" if connection.vendor == "postgresql" else ""))
    print("  longest statements, summed over every observation:")
    for sql, seconds in statements.most_common(SHOWN):
        print(f"  {seconds:7.3f} s  {sql}")
    print(load_average())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", choices=sorted(DATABASES), default="postgres")
    parser.add_argument("--tiny", action="store_true", help="1,000 issues on SQLite")
    args = parser.parse_args()
    if args.tiny:
        args.issues, args.database = 1000, "sqlite"
    with DATABASES[args.database]() as url:
        if url is None:
            raise SystemExit("PostgreSQL does not answer on 127.0.0.1:5432")
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        measure(args.issues, args.batch)


if __name__ == "__main__":
    main()
