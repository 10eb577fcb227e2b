"""Benchmark: signed webhooks accepted by gunicorn, stored, and drained by the task workers.

    .venv/bin/python bench/webhooks.py [--deliveries 3000] [--concurrency 16] [--database both]
    .venv/bin/python bench/webhooks.py --tiny          # seconds: the suite runs this

Per database (a fresh SQLite file; a throw-away database on the local PostgreSQL when it answers):
migrate, create a Sentry, a Jira and a Linear connection (Jira and Linear pointing at their fakes,
served on 127.0.0.1, which their handlers read), then start ``gunicorn config.wsgi --workers 2``
with DEBUG off and the ``db_worker`` task workers, and post the deliveries (a third of each kind,
signed as the provider signs them, 1.5 KB for Sentry) from a load generator that keeps
``--concurrency`` requests in flight. Printed: accepted per second, acceptance p50 / p99 as the
load generator saw them, stored and processed counts (every delivery stored once, applied once,
one task each), and the time the workers needed after the last acceptance to drain the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from benchlib import (
    DATABASES,
    MANAGE,
    ROOT,
    Processes,
    child_env,
    database_names,
    load_average,
    median,
    migrate,
    percentile,
    print_table,
    serve_fake,
    serve_web,
    setup_django,
)

Delivery = tuple[str, dict[str, str], bytes]
SEED = {"issues": 50, "projects": 2, "seed": 1}
COLUMNS = [
    ("database", lambda r: r["database"]),
    ("deliveries", lambda r: f"{r['deliveries']:,}"),
    ("accepted/s", lambda r: f"{r['accepted_per_s']:,.0f}"),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("stored", lambda r: f"{r['stored']:,}"),
    ("applied once", lambda r: f"{r['applied_once']:,}"),
    ("tasks", lambda r: f"{r['tasks']:,}"),
    ("drain s", lambda r: f"{r['drain_s']:.1f}"),
]


# -- the child that creates the connections (Django set up against the database) ----------------


def create_connections(database_url: str, remotes: dict[str, Any]) -> dict[str, Any]:
    setup_django(database_url)
    from switchyard.accounts.models import Organization
    from switchyard.sync.services import connection_create

    organization = Organization.objects.create(name="Bench", slug="bench")
    made = {}
    for kind, fields in remotes.items():
        secret = f"{kind}-bench-secret"
        connection = connection_create(
            organization=organization,
            kind=kind,
            name=kind,
            webhook_secret=secret,
            sync_enabled=False,
            **fields,
        )
        made[kind] = {"uuid": str(connection.uuid), "secret": secret}
    return made


# -- the parent ----------------------------------------------------------------------------------


def signed_deliveries(connections: dict[str, Any], count: int) -> list[Callable[[], Delivery]]:
    """``count`` deliveries, the three kinds in turn, each signed when called (providers put a
    timestamp in the signature and refuse stale ones): (path, headers, body)."""
    sys.path.insert(0, str(ROOT))
    from switchyard.fakes.jira import FakeJira
    from switchyard.fakes.linear import FakeLinear
    from switchyard.fakes.sentry import FakeSentry

    sentry = FakeSentry.seeded(issues=20, projects=2, seed=1)
    jira, linear = FakeJira.seeded(**SEED), FakeLinear.seeded(**SEED)
    sentry_ids, jira_keys, linear_ids = list(sentry.issues), list(jira.by_key), list(linear.issues)

    def path(kind: str) -> str:
        return f"/api/webhooks/{kind}/{connections[kind]['uuid']}/"

    def sentry_delivery(n: int) -> Delivery:
        issue_id = str(sentry_ids[n % len(sentry_ids)])
        secret = connections["sentry"]["secret"]
        return path("sentry"), *sentry.build_webhook(
            "issue.resolved", issue_id=issue_id, secret=secret
        )

    def jira_delivery(n: int) -> Delivery:
        key, secret = jira_keys[n % len(jira_keys)], connections["jira"]["secret"]
        headers, body = jira.build_webhook("jira:issue_updated", key, secret=secret)
        return path("jira"), {**headers, "X-Atlassian-Webhook-Identifier": f"bench-{n}"}, body

    def linear_delivery(n: int) -> Delivery:
        issue_id, secret = linear_ids[n % len(linear_ids)], connections["linear"]["secret"]
        return path("linear"), *linear.issue_webhook(issue_id, secret=secret)

    kinds = (sentry_delivery, jira_delivery, linear_delivery)
    return [functools.partial(kinds[n % 3], n) for n in range(count)]


async def post_all(
    base_url: str, deliveries, concurrency: int
) -> tuple[list[float], list[int], float]:
    """Post every delivery keeping ``concurrency`` in flight; latencies (s), statuses, wall time."""
    latencies: list[float] = []
    statuses: list[int] = []
    queue: asyncio.Queue = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:

        async def sender() -> None:
            while not queue.empty():
                path, headers, body = queue.get_nowait()()
                start = time.perf_counter()
                response = await client.post(path, content=body, headers=headers)
                latencies.append(time.perf_counter() - start)
                statuses.append(response.status_code)

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return latencies, statuses, time.perf_counter() - start


def query(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database_url) as db:
        return db.execute(sql).fetchall()


def wait_drained(database_url: str, count: int, timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        (left,) = query(
            database_url,
            "SELECT count(*) FROM sync_webhookdelivery WHERE status IN ('received', 'processing')",
        )[0]
        if left == 0:
            return time.perf_counter() - start
        time.sleep(0.1)
    raise SystemExit(f"the workers did not drain the queue within {timeout:.0f} s")


def start_fakes(processes: Processes) -> dict[str, dict[str, str]]:
    """Fake Jira and Linear on 127.0.0.1; the connection fields of the three remotes."""
    jira_url, jira = serve_fake(processes, "jira", *(f"--{k}={v}" for k, v in SEED.items()))
    linear_url, linear = serve_fake(processes, "linear", *(f"--{k}={v}" for k, v in SEED.items()))
    return {
        "sentry": {
            "base_url": "https://sentry.example",
            "remote_organization": "acme",
            "api_token": "unused-here",
        },
        "jira": {
            "base_url": jira_url,
            "account_email": jira["email"],
            "api_token": jira["API token"],
        },
        "linear": {"base_url": f"{linear_url}/graphql", "api_token": linear["API key"]},
    }


def connections_made_by_child(database_url: str, remotes: dict[str, Any]) -> dict[str, Any]:
    """``create_connections`` run in a child process set up against the database."""
    made = subprocess.run(
        [sys.executable, __file__, "--create-connections", json.dumps(remotes)],
        cwd=ROOT,
        env=child_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(made.stdout.splitlines()[-1])


def stored_counts(database_url: str) -> dict[str, Any]:
    """Deliveries stored (by status), applied at the first attempt, and their tasks."""
    by_status = dict(
        query(database_url, "SELECT status, count(*) FROM sync_webhookdelivery GROUP BY status")
    )
    (applied_once,) = query(
        database_url,
        "SELECT count(*) FROM sync_webhookdelivery WHERE attempts = 1"
        " AND status IN ('processed', 'ignored')",
    )[0]
    (tasks,) = query(
        database_url,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE '%process_webhook_task'",
    )[0]
    return {
        "stored": sum(by_status.values()),
        "by_status": by_status,
        "applied_once": applied_once,
        "tasks": tasks,
    }


def measure(name: str, database_url: str, count: int, concurrency: int, workers: int) -> dict:
    migrate(database_url)
    with Processes(child_env(database_url)) as processes:
        remotes = start_fakes(processes)
        deliveries = signed_deliveries(connections_made_by_child(database_url, remotes), count)
        web = serve_web(processes, workers=2)
        for n in range(workers):
            processes.start(f"worker-{n}", *MANAGE, "db_worker", "--worker-id", f"bench-{n}")
        # Warm every web worker up (imports, URL resolver, connection) with refused deliveries.
        path, headers, body = deliveries[0]()
        for _ in range(4 * concurrency):
            httpx.post(f"{web}{path}", content=body + b" ", headers=headers, timeout=60)
        latencies, statuses, wall = asyncio.run(post_all(web, deliveries, concurrency))
        drain_s = wait_drained(database_url, count, timeout=max(60, count / 5))
    refused = [status for status in statuses if status != 202]
    if refused:
        raise SystemExit(f"{len(refused)} deliveries were not accepted: {sorted(set(refused))}")
    return {
        "database": name,
        "deliveries": count,
        "accepted_per_s": count / wall,
        "p50_ms": median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        **stored_counts(database_url),
        "drain_s": drain_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tiny", action="store_true", help="a few deliveries on SQLite")
    parser.add_argument("--create-connections", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.create_connections:
        import os

        print(
            json.dumps(
                create_connections(os.environ["DATABASE_URL"], json.loads(args.create_connections))
            )
        )
        return
    if args.tiny:
        args.deliveries, args.concurrency, args.workers, args.database = 30, 4, 1, "sqlite"
    rows = []
    for name in database_names(args.database):
        with DATABASES[name]() as database_url:
            if database_url is None:
                continue
            print(
                f"{name}: {args.deliveries:,} deliveries at {args.concurrency} concurrent ...",
                flush=True,
            )
            row = measure(name, database_url, args.deliveries, args.concurrency, args.workers)
            print(f"  {row['by_status']}  ({load_average()})", flush=True)
            rows.append(row)
    print()
    print_table(COLUMNS, rows)
    print(load_average())
    if any(
        row["applied_once"] != row["deliveries"] or row["tasks"] != row["deliveries"]
        for row in rows
    ):
        raise SystemExit("some deliveries were not applied exactly once, or got more than one task")


if __name__ == "__main__":
    main()
