"""Benchmark: the busiest list and figure endpoints over a large database.

    .venv/bin/python bench/api.py [--issues 200000] [--database postgres]
    .venv/bin/python bench/api.py --tiny          # seconds, on SQLite: the suite runs this

For each database the script re-invokes itself (``--measure``) with DATABASE_URL set: the child
migrates a fresh database and fills it quickly (PostgreSQL: ``COPY``; SQLite: ``bulk_create``)
with ``--issues`` Sentry issues over 36 projects mapped onto a product tree of a root and 200
descendants, and as many customer issues of one organization; it vacuums and analyzes the tables, then asks
each endpoint (in-process through Django's test client, as a signed-in employee; DEBUG off) a
few times warm and prints p50 / p99. For every endpoint it also prints what PostgreSQL plans for
the page's query: ``index`` when no sequential scan reads a large table and no sort spans it.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from benchlib import (
    DATABASES,
    ROOT,
    child_env,
    database_names,
    load_average,
    median,
    percentile,
    print_table,
    setup_django,
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


WORDS = ["TypeError", "KeyError", "PaymentError", "TimeoutError", "ValueError", "checkout"]


def _product_leaves(organization) -> tuple[Any, list]:
    """A root, 20 areas under it and 9 parts under each area; the root and the parts."""
    from switchyard.products.services import product_create

    root = product_create(organization=organization, name="Root")
    areas = [
        product_create(organization=organization, name=f"Area {a}", parent=root) for a in range(20)
    ]
    leaves = [
        product_create(organization=organization, name=f"Part {a}.{p}", parent=area)
        for a, area in enumerate(areas)
        for p in range(9)
    ]
    return root, leaves


def _sentry_projects(organization, leaves: list) -> tuple[Any, list]:
    """A Sentry connection with 36 projects, each mapped onto a part."""
    from switchyard.monitoring.models import SentryProject
    from switchyard.sync.services import connection_create

    sentry = connection_create(
        organization=organization,
        kind="sentry",
        name="Sentry",
        base_url="https://sentry.example",
        remote_organization="acme",
        api_token="unused",
        sync_enabled=False,
    )
    projects = SentryProject.objects.bulk_create(
        SentryProject(
            connection=sentry,
            external_id=str(n),
            slug=f"project-{n}",
            name=f"Project {n}",
            platform="python",
            sentry_organization="acme",
            product=leaves[n * 5],
        )
        for n in range(36)
    )
    return sentry, projects


def _sentry_issues(sentry, projects: list, now, count: int):
    from switchyard.monitoring.models import SentryIssue

    for n in range(count):
        seen = now - timedelta(minutes=random.randrange(500_000))
        yield SentryIssue(
            connection=sentry,
            project=projects[n % 36],
            external_id=str(n),
            short_id=f"P{n % 36}-{n}",
            title=f"{random.choice(WORDS)}: thing {n} went wrong in module {random.randrange(999)}",
            culprit=f"app.module{random.randrange(500)}.handler",
            level=random.choice(["error", "error", "warning", "fatal", "info"]),
            status=random.choice(["unresolved", "unresolved", "resolved", "ignored"]),
            event_count=random.randrange(1, 10_000),
            user_count=random.randrange(1, 500),
            first_seen=seen - timedelta(days=random.randrange(30)),
            last_seen=seen,
            synced_at=now,
        )


def _customer_issues(organization, customer, now, count: int):
    from switchyard.support.models import CustomerIssue

    for n in range(count):
        created = now - timedelta(minutes=random.randrange(500_000))
        yield CustomerIssue(
            issue_number=f"ISS-2026-{n:07d}",
            title=f"{random.choice(WORDS)} when paying order {n}",
            description=f"Customer {n % 977} reports a problem with {random.choice(WORDS)} "
            "on the payment page; it happened twice this week.",
            organization=organization,
            status=random.choice(["open", "open", "in_progress", "resolved", "closed"]),
            priority=random.choice(["low", "medium", "high", "urgent"]),
            category=random.choice(["general", "delivery", "quality", "billing"]),
            is_client_issue=True,
            raised_by_customer=customer,
            created_at=created,
            updated_at=created,
        )


def fill(issues: int) -> dict[str, Any]:
    """The organization, its people, products, projects and issues; what the endpoints need."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from switchyard.accounts.models import Organization, Role
    from switchyard.monitoring.models import SentryIssue
    from switchyard.support.models import CustomerIssue

    random.seed(7)
    organization = Organization.objects.create(name="Bench", slug="bench")
    employee = get_user_model().objects.create_user(
        username="employee", password="x", organization=organization, role=Role.EMPLOYEE
    )
    customer = get_user_model().objects.create_user(
        username="customer", password="x", role=Role.CUSTOMER
    )
    root, leaves = _product_leaves(organization)
    sentry, projects = _sentry_projects(organization, leaves)
    now = timezone.now()
    store(SentryIssue, _sentry_issues(sentry, projects, now, issues))
    store(CustomerIssue, _customer_issues(organization, customer, now, issues))
    with connection.cursor() as cursor:
        # As autovacuum would by then: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"employee": employee, "root": root.pk, "deep_page": max(2, issues // 50 // 5)}


def store(model, rows, batch: int = 10_000) -> None:
    """PostgreSQL: COPY in batches; SQLite: bulk_create."""
    from django.db import connection, transaction

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    chunk: list = []

    def flush() -> None:
        if connection.vendor != "postgresql":
            model.objects.bulk_create(chunk)
        else:
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(
                    f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
                ) as copy:
                    for row in chunk:
                        copy.write_row(
                            [
                                f.get_db_prep_save(getattr(row, f.attname), connection)
                                for f in fields
                            ]
                        )
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()


def plan_of(sql: str, params) -> str:
    """``index`` or what reads a large table the slow way, from PostgreSQL's plan."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return "-"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    slow: list[str] = []

    def walk(node: dict, under_limit: bool) -> None:
        kind, relation = node["Node Type"], node.get("Relation Name", "")
        if kind == "Seq Scan" and relation in LARGE_TABLES:
            slow.append(f"seq scan {relation}")
        if kind in ("Sort", "Incremental Sort") and node.get("Plan Rows", 0) > 10_000:
            slow.append(f"sort of {node['Plan Rows']:,} rows")
        for child in node.get("Plans", []):
            walk(child, under_limit or kind == "Limit")

    walk(plan[0]["Plan"], False)
    return ", ".join(slow) or "index"


def measure(issues: int, repeat: int) -> list[dict[str, Any]]:
    setup_django_from_env()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", interactive=False, verbosity=0)
    start = time.perf_counter()
    facts = fill(issues)
    fill_s = time.perf_counter() - start
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(facts["employee"])
    rows = []
    for template in ENDPOINTS:
        url = template.format(**facts)
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(repeat):
            begin = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - begin)
        assert response.status_code == 200, (url, response.content[:300])
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        largest = [q["sql"] for q in captured if any(t in q["sql"] for t in LARGE_TABLES)]
        plans = sorted(
            {plan_of(sql, None) for sql in largest if sql.lstrip().upper().startswith("SELECT")}
        )
        rows.append(
            {
                "endpoint": url,
                "p50_ms": median(times) * 1000,
                "p99_ms": percentile(times, 0.99) * 1000,
                "queries": len(captured),
                "plan": "; ".join(p for p in plans if p != "index") or (plans[0] if plans else "-"),
            }
        )
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
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--tiny", action="store_true", help="a few hundred rows on SQLite")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.issues, args.repeat, args.database = 500, 3, "sqlite"
    if args.measure:
        print(json.dumps(measure(args.issues, args.repeat)))
        return
    for name in database_names(args.database):
        with DATABASES[name]() as database_url:
            if database_url is None:
                continue
            print(
                f"{name}: filling {args.issues:,} Sentry issues and {args.issues:,} customer issues ...",
                flush=True,
            )
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    "--issues",
                    str(args.issues),
                    "--repeat",
                    str(args.repeat),
                ],
                cwd=ROOT,
                env=child_env(database_url),
                stdout=subprocess.PIPE,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"the measurement failed (exit status {done.returncode})")
            head, *rows = json.loads(done.stdout.splitlines()[-1])
            print(f"{name}: filled in {head['fill_s']:.0f} s; measured with {head['load']}")
            print_table(COLUMNS, rows)
            print()
    print(load_average())


if __name__ == "__main__":
    main()
