"""Benchmark: the busiest list and figure endpoints over a large database.

    .venv/bin/python bench/api.py [--issues 200000] [--database postgres]
    .venv/bin/python bench/api.py --issues 1000000 --database-url postgresql://postgres@127.0.0.1:5432/api_bench
    .venv/bin/python bench/api.py --tiny          # seconds, on SQLite: the suite runs this

For each database the script re-invokes itself (``--measure``) with DATABASE_URL set: the child
migrates the database and fills it quickly (``bulkfill.py``; PostgreSQL: ``COPY``, SQLite:
``bulk_create``) with ``--issues`` Sentry issues over 36 projects mapped onto a product tree of a
root and 200 descendants, and as many customer issues of one organization, unless
``--database-url`` names a database an earlier run filled (kept, so that a change can be measured
again without filling). Then it asks each endpoint (in-process through Django's test client, as a
signed-in employee; DEBUG off) a few times warm and prints p50 / p99. For every endpoint it also
prints what PostgreSQL plans for the page's queries: ``index`` when no sequential scan reads a
large table and no sort spans it.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import bulkfill
from benchlib import (
    add_filled_database_arguments,
    database_names,
    database_to_measure,
    load_average,
    print_table,
    run_measuring_child,
    setup_django,
    timed_gets,
)

ENDPOINTS = [
    "/api/issues/",
    "/api/issues/?status=open",
    "/api/issues/?priority=high&ordering=-updated_at",
    "/api/issues/?ordering=priority",
    "/api/issues/?search=checkout",
    "/api/issues/?page={deep_page}",
    "/api/issues/?cursor=",
    "/api/sentry/issues/",
    "/api/sentry/issues/?status=unresolved&level=error",
    "/api/sentry/issues/?ordering=-event_count",
    "/api/sentry/issues/?search=PaymentError",
    "/api/sentry/projects/",
    "/api/products/{root}/stats/",
    "/api/tracker-projects/",
]
LARGE_TABLES = ("monitoring_sentryissue", "support_customerissue")


# -- the child: one database ----------------------------------------------------------------------


def plan_of(sql: str, params) -> str:
    """``index`` or what reads a large table the slow way, from PostgreSQL's plan."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return "-"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    slow: list[str] = []

    def walk(node: dict) -> None:
        kind, relation = node["Node Type"], node.get("Relation Name", "")
        if kind == "Seq Scan" and relation in LARGE_TABLES:
            slow.append(f"seq scan {relation}")
        # An incremental sort reads an index in order and sorts only the rows tied on its
        # leading key, stopping at the page's limit: not a sort of the rows it reports.
        if kind == "Sort" and node.get("Plan Rows", 0) > 10_000:
            slow.append(f"sort of {node['Plan Rows']:,} rows")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return ", ".join(slow) or "index"


def measure(issues: int, repeat: int) -> list[dict[str, Any]]:
    setup_django_from_env()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)
    start = time.perf_counter()
    facts = bulkfill.facts() or bulkfill.fill(bulkfill.Scale(issues, issues))
    fill_s = time.perf_counter() - start
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(facts["employee"])
    rows = []
    for template in ENDPOINTS:
        row = timed_gets(client, template.format(**facts), repeat)
        largest = [sql for sql in row.pop("sql") if any(t in sql for t in LARGE_TABLES)]
        plans = sorted(
            {plan_of(sql, None) for sql in largest if sql.lstrip().upper().startswith("SELECT")}
        )
        row["plan"] = "; ".join(p for p in plans if p != "index") or (plans[0] if plans else "-")
        rows.append(row)
    return [{"fill_s": fill_s, "load": load_average()}, *rows]


def setup_django_from_env() -> None:
    import os

    setup_django(os.environ["DATABASE_URL"])


# -- the parent -----------------------------------------------------------------------------------

COLUMNS = [
    ("endpoint", lambda r: r["endpoint"]),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("queries", lambda r: str(r["queries"])),
    ("plan", lambda r: r["plan"]),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    add_filled_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.tiny:
        args.issues, args.repeat, args.database = 500, 3, "sqlite"
    if args.measure:
        print(json.dumps(measure(args.issues, args.repeat)))
        return
    names = ["given"] if args.database_url else database_names(args.database)
    for name in names:
        with database_to_measure(name, args.database_url) as database_url:
            if database_url is None:
                continue
            print(
                f"{name}: {args.issues:,} Sentry issues and {args.issues:,} customer issues ...",
                flush=True,
            )
            head, *rows = run_measuring_child(
                __file__, database_url, "--issues", str(args.issues), "--repeat", str(args.repeat)
            )
            print(f"{name}: filled in {head['fill_s']:.0f} s; measured with {head['load']}")
            print_table(COLUMNS, rows)
            print()
    print(load_average())


if __name__ == "__main__":
    main()
