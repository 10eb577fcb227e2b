"""Benchmark: the web app's staff pages over a large database.

    .venv/bin/python bench/web.py          # 1,000,000 Sentry issues, 200,000 tickets, 100,000 customer issues
    .venv/bin/python bench/web.py --database-url postgresql://postgres@127.0.0.1:5432/web_bench
    .venv/bin/python bench/web.py --tiny   # seconds, on SQLite: the suite runs this

The child migrates the database and fills it as bench/api.py does (``bulkfill.py``: a root
product over 200 descendants, ``COPY`` on PostgreSQL) unless ``--database-url`` names one filled
by an earlier run, then asks each page ``--requests`` times in a row, warm, through Django's test
client as a signed-in employee (DEBUG off), and prints p50 / p99 and the queries of one request.
"""

from __future__ import annotations

import argparse
import json
import os
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

PAGES = [
    "/inbox/",
    "/inbox/?status=open&ordering=-created_at",
    "/inbox/?q=checkout",
    "/products/",
    "/products/{root}/",
    "/sentry/",
    "/sentry/?status=unresolved&level=error",
    "/sentry/?product={root}&ticket=no",
    "/tickets/",
    "/tickets/?product={root}&status=open&ordering=-remote_created_at",
    "/tickets/?q=checkout",
]
COLUMNS = [
    ("page", lambda r: r["endpoint"]),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("queries", lambda r: str(r["queries"])),
]


def measure(scale: bulkfill.Scale, requests: int) -> list[dict[str, Any]]:
    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)
    start = time.perf_counter()
    facts = bulkfill.facts() or bulkfill.fill(scale)
    fill_s = time.perf_counter() - start
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(facts["employee"])
    rows = [timed_gets(client, page.format(**facts), requests) for page in PAGES]
    for row in rows:
        del row["sql"]
    return [{"fill_s": fill_s, "load": load_average()}, *rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentry-issues", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--customer-issues", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    add_filled_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.tiny:
        args.sentry_issues, args.tickets, args.customer_issues = 500, 100, 300
        args.requests, args.database = 3, "sqlite"
    scale = bulkfill.Scale(args.sentry_issues, args.customer_issues, args.tickets)
    if args.measure:
        print(json.dumps(measure(scale, args.requests)))
        return
    sizes = [f"--{name.replace('_', '-')}={value}" for name, value in vars(scale).items()]
    for name in ["given"] if args.database_url else database_names(args.database):
        with database_to_measure(name, args.database_url) as database_url:
            if database_url is None:
                continue
            print(f"{name}: {', '.join(sizes)} ...", flush=True)
            head, *rows = run_measuring_child(
                __file__, database_url, *sizes, "--requests", str(args.requests)
            )
            print(f"{name}: filled in {head['fill_s']:.0f} s; measured with {head['load']}")
            print_table(COLUMNS, rows)
            print()
    print(load_average())


if __name__ == "__main__":
    main()
