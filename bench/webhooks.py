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
import contextlib
import functools
import http.client
import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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
    process_tree_cpu,
    serve_fake,
    serve_web,
    setup_django,
)

Delivery = tuple[str, dict[str, str], bytes]
SEED = {"issues": 50, "projects": 2, "seed": 1}
BACKENDS = {"database": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
# A task worker per backend; RQ's SimpleWorker runs jobs in its own process instead of forking
# one per job.
WORKER_COMMANDS = {
    "database": lambda n: ["db_worker", "--worker-id", f"bench-{n}"],
    "rq": lambda n: [
        "rqworker",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
        "--name",
        f"bench-{n}-{random.getrandbits(32):x}",
    ],
}
COLUMNS = [
    ("database", lambda r: r["database"]),
    ("tasks on", lambda r: r["backend"]),
    ("workers", lambda r: f"{r['workers']}"),
    ("deliveries", lambda r: f"{r['deliveries']:,}"),
    ("accepted/s", lambda r: f"{r['accepted_per_s']:,.0f}"),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("stored", lambda r: f"{r['stored']:,}"),
    ("applied once", lambda r: f"{r['applied_once']:,}"),
    ("tasks", lambda r: f"{r['tasks']:,}"),
    ("drain s", lambda r: f"{r['drain_s']:.1f}"),
    ("processed/s", lambda r: f"{r['processed_per_s']:,.0f}"),
    ("web CPU ms", lambda r: f"{r['web_cpu_ms']:.2f}"),
    ("generator CPU ms", lambda r: f"{r['generator_cpu_ms']:.2f}"),
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

    # One Sentry issue per Sentry delivery: the inbox refuses the same signed body twice (a replay).
    sentry = FakeSentry.seeded(issues=count // 3 + 1, projects=2, seed=1)
    jira, linear = FakeJira.seeded(**SEED), FakeLinear.seeded(**SEED)
    sentry_ids, jira_keys, linear_ids = list(sentry.issues), list(jira.by_key), list(linear.issues)

    def path(kind: str) -> str:
        return f"/api/webhooks/{kind}/{connections[kind]['uuid']}/"

    def sentry_delivery(n: int) -> Delivery:
        issue_id = str(sentry_ids[n // 3 % len(sentry_ids)])
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


def post_all(base_url: str, deliveries, concurrency: int) -> tuple[list[float], list[int], float]:
    """Post every delivery keeping ``concurrency`` in flight; latencies (s), statuses, wall time.

    A thread per request in flight, each with its own ``http.client`` connection (kept alive when
    the server keeps it): the generator shares the machine's cores with the server, and this costs
    a fraction of the CPU per request of an asyncio client."""
    address = urlsplit(base_url)
    pending = iter(deliveries)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: list[int] = []

    def sender() -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        while True:
            with lock:
                delivery = next(pending, None)
            if delivery is None:
                break
            path, headers, body = delivery()
            start = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - start)
            statuses.append(response.status)
        connection.close()

    senders = [threading.Thread(target=sender) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    return latencies, statuses, time.perf_counter() - start


@contextlib.contextmanager
def redis_database() -> Iterator[str]:
    """The URL of an empty database of the local Redis, emptied again afterwards."""
    import redis

    for index in random.sample(range(1, 15), 14):
        client = redis.Redis(host="127.0.0.1", port=6379, db=index)
        if client.dbsize() == 0:
            break
    else:
        raise SystemExit("no empty Redis database for the RQ queue")
    try:
        yield f"redis://127.0.0.1:6379/{index}"
    finally:
        for key in client.scan_iter("rq:*"):
            client.delete(key)


def rq_task_count(redis_url: str) -> int:
    """Jobs the RQ workers finished or failed (kept for RQ's result TTL, 500 s)."""
    import redis
    from rq import Queue

    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    return queue.finished_job_registry.count + queue.failed_job_registry.count


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


def connections_made_by_child(env: dict[str, str], remotes: dict[str, Any]) -> dict[str, Any]:
    """``create_connections`` run in a child process set up against the database."""
    made = subprocess.run(
        [sys.executable, __file__, "--create-connections", json.dumps(remotes)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(made.stdout.splitlines()[-1])


def start_workers(processes: Processes, backend: str, workers: int) -> None:
    for n in range(workers):
        processes.start(f"worker-{n}", *MANAGE, *WORKER_COMMANDS[backend](n))


def accept_all(processes: Processes, web: str, deliveries, concurrency: int) -> dict[str, Any]:
    """Post every delivery after warming the web workers up; latencies and the CPU it cost."""
    # Warm every web worker up (imports, URL resolver, connection) with refused deliveries.
    path, headers, body = deliveries[0]()
    for _ in range(4 * concurrency):
        httpx.post(f"{web}{path}", content=body + b" ", headers=headers, timeout=60)
    (gunicorn,) = (p for p in processes.running if p.name == "web")  # type: ignore[attr-defined]
    web_cpu, generator_cpu = process_tree_cpu(gunicorn.pid), time.process_time()
    latencies, statuses, wall = post_all(web, deliveries, concurrency)
    refused = [status for status in statuses if status != 202]
    if refused:
        raise SystemExit(f"{len(refused)} deliveries were not accepted: {sorted(set(refused))}")
    return {
        "latencies": latencies,
        "wall": wall,
        "web_cpu": process_tree_cpu(gunicorn.pid) - web_cpu,
        "generator_cpu": time.process_time() - generator_cpu,
    }


def stored_counts(database_url: str, backend: str, redis_url: str | None) -> dict[str, Any]:
    """Deliveries stored (by status), applied at the first attempt, their tasks, and when the
    first and the last were processed."""
    by_status = dict(
        query(database_url, "SELECT status, count(*) FROM sync_webhookdelivery GROUP BY status")
    )
    (applied_once,) = query(
        database_url,
        "SELECT count(*) FROM sync_webhookdelivery WHERE attempts = 1"
        " AND status IN ('processed', 'ignored')",
    )[0]
    first, last = (
        value if isinstance(value, datetime) else datetime.fromisoformat(value)
        for value in query(
            database_url, "SELECT min(processed_at), max(processed_at) FROM sync_webhookdelivery"
        )[0]
    )
    if backend == "rq":
        tasks = rq_task_count(redis_url)
    else:
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
        "processing_s": max((last - first).total_seconds(), 1e-3),
    }


def measure(
    name: str,
    database_url: str,
    count: int,
    concurrency: int,
    workers: int,
    *,
    backend: str = "database",
    redis_url: str | None = None,
    threads: int = 1,
    backlog: bool = False,
) -> dict:
    env = child_env(
        database_url,
        TASKS_BACKEND=BACKENDS[backend],
        **({"REDIS_URL": redis_url} if redis_url else {}),
    )
    migrate(database_url)
    with Processes(env) as processes:
        connections = connections_made_by_child(env, start_fakes(processes))
        deliveries = signed_deliveries(connections, count)
        web = serve_web(processes, workers=2, threads=threads)
        start_workers(processes, backend, 0 if backlog else workers)
        accepted = accept_all(processes, web, deliveries, concurrency)
        start_workers(processes, backend, workers if backlog else 0)
        # Generous: a bound against hanging, not a target (workers start slowly on a loaded machine).
        drain_s = wait_drained(database_url, count, timeout=max(300, count / 2))
        counts = stored_counts(database_url, backend, redis_url)
    latencies = accepted["latencies"]
    processing_s = counts.pop("processing_s")
    return {
        "database": name,
        "backend": backend,
        "workers": workers,
        "deliveries": count,
        "accepted_per_s": count / accepted["wall"],
        "p50_ms": median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        **counts,
        "drain_s": drain_s,
        # From the first delivery processed to the last: the workers' rate, their start-up aside.
        "processed_per_s": (count - 1) / processing_s,
        "web_cpu_ms": accepted["web_cpu"] / count * 1000,
        "generator_cpu_ms": accepted["generator_cpu"] / count * 1000,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workers", default="2", help="task worker processes; a list (1,2,4) runs once for each"
    )
    parser.add_argument(
        "--tasks", choices=sorted(BACKENDS), default="database", help="the task backend"
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="start the task workers once every delivery is stored (to measure them alone)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tiny", action="store_true", help="a few deliveries on SQLite")
    parser.add_argument("--create-connections", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.deliveries, args.concurrency, args.workers, args.database = 30, 4, "1", "sqlite"
    return args


def run_all(args: argparse.Namespace) -> list[dict]:
    """One measurement per database and number of task workers asked for."""
    rows = []
    for name in database_names(args.database):
        for workers in [int(n) for n in args.workers.split(",")]:
            with (
                DATABASES[name]() as database_url,
                redis_database() if args.tasks == "rq" else contextlib.nullcontext() as redis_url,
            ):
                if database_url is None:
                    continue
                print(
                    f"{name}: {args.deliveries:,} deliveries at {args.concurrency} concurrent,"
                    f" {workers} {args.tasks} task workers ...",
                    flush=True,
                )
                row = measure(
                    name,
                    database_url,
                    args.deliveries,
                    args.concurrency,
                    workers,
                    backend=args.tasks,
                    redis_url=redis_url,
                    threads=args.threads,
                    backlog=args.backlog,
                )
                print(
                    f"  {row['by_status']}, {row['accepted_per_s']:.0f} accepted/s,"
                    f" {row['processed_per_s']:.1f} processed/s  ({load_average()})",
                    flush=True,
                )
                rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.create_connections:
        import os

        print(
            json.dumps(
                create_connections(os.environ["DATABASE_URL"], json.loads(args.create_connections))
            )
        )
        return
    rows = run_all(args)
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
