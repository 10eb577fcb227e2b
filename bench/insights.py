"""Benchmark: the insights dashboards over one large organization.

    .venv/bin/python bench/insights.py [--scale 1.0] [--requests 50]

At scale 1: 1,000,000 Sentry issues, 200,000 tickets and 100,000 customer issues over 90 days and
200 products (20 top-level ones with 9 sub-products each). A throw-away database on the local
PostgreSQL is migrated and filled with bulk inserts; ``rebuild_insights``' service then counts
every row (the path a first sync takes, in batches of 1,000), and each dashboard endpoint is
requested ``--requests`` times through Django's test client. It prints the fill and rebuild
times, p50 and p99 per endpoint, the tables each endpoint read, and the load average (other work
on the machine shows in the figures). Then, unless ``--pull-issues 0``, it runs
``bench/pull_sentry.py`` over that many issues with rollup maintenance off (``bare``) and on
(``rollups``) and prints its tables: the pull rate, with and without the work it queued, that
work run after the pull in the measuring process and then by a task worker beside the pull. The suite
runs ``run()`` at a tiny size (bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from itertools import islice
from pathlib import Path
from statistics import median, quantiles
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCALE_1 = {"issues": 1_000_000, "tickets": 200_000, "customer_issues": 100_000}
TOP, CHILDREN, DAYS = 20, 9, 90
SOURCE_TABLES = ("monitoring_sentryissue", 'trackers_ticket"', "support_customerissue")


def _bulk(model, rows, batch: int = 5000) -> None:
    """Insert an iterable of rows in batches, never holding more than a batch in memory."""
    rows = iter(rows)
    while chunk := list(islice(rows, batch)):
        model.objects.bulk_create(chunk)


def _products(organization, rng: random.Random) -> list:
    """TOP products with CHILDREN sub-products each, owned by ten teams."""
    from switchyard.accounts.models import Team
    from switchyard.products.services import product_create

    teams = [
        Team.objects.create(organization=organization, name=f"Team {n}", slug=f"team-{n}")
        for n in range(10)
    ]
    products = []
    for n in range(TOP):
        parent = product_create(
            organization=organization, name=f"Product {n}", priority=rng.choice(PRIORITIES)
        )
        products.append(parent)
        for m in range(CHILDREN):
            products.append(
                product_create(
                    organization=organization,
                    name=f"Product {n}.{m}",
                    parent=parent,
                    priority=rng.choice(PRIORITIES),
                )
            )
    for product in products:
        product.owning_team = rng.choice(teams)
        product.save(update_fields=["owning_team"])
    return products


def _connections(organization) -> tuple[Any, Any]:
    """A Sentry and a Jira connection."""
    from switchyard.sync.models import Connection

    sentry = Connection.objects.create(
        organization=organization,
        kind="sentry",
        name="Sentry",
        base_url="https://sentry.test",
        remote_organization="acme",
        api_token="token",
    )
    jira = Connection.objects.create(
        organization=organization,
        kind="jira",
        name="Jira",
        base_url="https://jira.test",
        remote_organization="acme",
        api_token="token",
    )
    return sentry, jira


def _projects(sentry, jira, products) -> tuple[list[int], list[int]]:
    """One Sentry project and one tracker project (with priority mappings) per product."""
    from switchyard.monitoring.models import SentryProject
    from switchyard.trackers.models import PriorityMapping, TrackerProject

    _bulk(
        SentryProject,
        [
            SentryProject(
                connection=sentry,
                external_id=str(p.pk),
                slug=f"p{p.pk}",
                name=p.name,
                sentry_organization="acme",
                product=p,
            )
            for p in products
        ],
    )
    _bulk(
        TrackerProject,
        [
            TrackerProject(
                connection=jira, external_id=str(p.pk), key=f"P{p.pk}", name=p.name, product=p
            )
            for p in products
        ],
    )
    sentry_projects = list(
        SentryProject.objects.filter(connection=sentry).values_list("pk", flat=True)
    )
    tracker_projects = list(
        TrackerProject.objects.filter(connection=jira).values_list("pk", flat=True)
    )
    _bulk(
        PriorityMapping,
        [
            PriorityMapping(tracker_project_id=project, priority=p, remote_priority=p.title())
            for project in tracker_projects
            for p in ("urgent", "high", "medium", "low")
        ],
    )
    return sentry_projects, tracker_projects


def _sentry_issues(sentry, projects: list[int], count: int, rng: random.Random, moment) -> None:
    from switchyard.monitoring.models import SentryIssue

    _bulk(
        SentryIssue,
        (
            SentryIssue(
                connection=sentry,
                project_id=rng.choice(projects),
                external_id=str(n),
                short_id=f"S-{n}",
                title=f"Error {n}",
                level=rng.choice(LEVELS),
                status="unresolved" if rng.random() < 0.3 else "resolved",
                event_count=rng.randrange(1, 500),
                user_count=rng.randrange(0, 50),
                first_seen=(seen := moment()),
                last_seen=seen,
            )
            for n in range(count)
        ),
    )


def _tickets(jira, projects: list[int], count: int, rng: random.Random, moment) -> None:
    from switchyard.trackers.models import Ticket

    def ticket_rows():
        for n in range(count):
            created = moment()
            category = rng.choice(["todo", "in_progress", "done", "done", "canceled"])
            yield (
                Ticket(
                    connection=jira,
                    tracker_project_id=rng.choice(projects),
                    external_id=str(n),
                    key=f"T-{n}",
                    url="https://jira.test/browse/T",
                    summary=f"Ticket {n}",
                    status=category,
                    status_category=category,
                    priority=rng.choice(["Urgent", "High", "Medium", "Low"]),
                    assignee_email=f"person{rng.randrange(40)}@example.com",
                    remote_created_at=created,
                    remote_updated_at=created,
                    resolved_at=created + timedelta(hours=rng.randrange(1, 400))
                    if category in ("done", "canceled")
                    else None,
                )
            )

    _bulk(Ticket, ticket_rows())


def _links(sentry, jira, tickets: int, rng: random.Random) -> None:
    """Links from the first tenth of the tickets to as many Sentry issues."""
    from django.contrib.contenttypes.models import ContentType

    from switchyard.monitoring.models import SentryIssue
    from switchyard.trackers.models import Ticket, TicketLink

    issue_ids = list(
        SentryIssue.objects.filter(connection=sentry).values_list("pk", flat=True)[: tickets // 10]
    )
    sentry_type = ContentType.objects.get_for_model(SentryIssue)
    _bulk(
        TicketLink,
        [
            TicketLink(
                ticket_id=ticket,
                tracker_project_id=project,
                source_type=sentry_type,
                source_id=issue,
                created_via=rng.choice(["manual", "bulk", "rule"]),
            )
            for (ticket, project), issue in zip(
                Ticket.objects.filter(connection=jira).values_list("pk", "tracker_project_id")[
                    : len(issue_ids)
                ],
                issue_ids,
                strict=False,
            )
        ],
    )


def _customer_issues(organization, tag: str, count: int, rng: random.Random, moment) -> None:
    from switchyard.support.models import CustomerIssue

    created_at = CustomerIssue._meta.get_field("created_at")
    created_at.auto_now_add = False  # the fill dates them over the 90 days
    try:
        _bulk(
            CustomerIssue,
            [
                CustomerIssue(
                    issue_number=f"ISS-{tag}-{n}",
                    title="Late",
                    description="Late",
                    organization=organization,
                    priority=rng.choice(["low", "medium", "high", "urgent"]),
                    status=rng.choice(["open", "in_progress", "resolved", "closed"]),
                    created_at=moment(),
                )
                for n in range(count)
            ],
        )
    finally:
        created_at.auto_now_add = True


def fill(*, issues: int, tickets: int, customer_issues: int, seed: int = 7) -> dict[str, Any]:
    """One organization with products, projects, issues, tickets, links and customer issues."""
    from django.utils import timezone

    from switchyard.accounts.models import Organization, User

    rng = random.Random(seed)
    now = timezone.now()
    tag = f"{seed}-{time.time_ns()}"
    organization = Organization.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    products = _products(organization, rng)
    sentry, jira = _connections(organization)
    sentry_projects, tracker_projects = _projects(sentry, jira, products)

    def moment() -> Any:
        return now - timedelta(seconds=rng.randrange(DAYS * 86400))

    started = time.perf_counter()
    _sentry_issues(sentry, sentry_projects, issues, rng, moment)
    _tickets(jira, tracker_projects, tickets, rng, moment)
    _links(sentry, jira, tickets, rng)
    _customer_issues(organization, tag, customer_issues, rng, moment)
    admin = User.objects.create_user(
        username=f"bench-{tag}", password="bench", role="admin", organization=organization
    )
    return {
        "organization": organization,
        "admin": admin,
        "top": products[0],
        "leaf": products[1],
        "fill_s": time.perf_counter() - started,
    }


LEVELS = ["fatal", "error", "error", "warning", "info"]
PRIORITIES = ["critical", "high", "medium", "low"]


def measure(*, admin, top, leaf, requests: int) -> list[dict[str, Any]]:
    """p50 and p99 of each dashboard endpoint, and which source tables it read."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(admin)
    # As a server process does once loaded (config/wsgi.py): what lives on (here, with what the
    # fill left) is kept out of the garbage collector's full collections.
    gc.collect()
    gc.freeze()
    urls = [
        "/api/insights/",
        "/api/insights/?from={d90}&interval=week",
        f"/api/insights/products/{top.pk}/",
        f"/api/insights/products/{leaf.pk}/?from={{d90}}&interval=week",
        "/api/insights/teams/",
        "/api/insights/automation/",
    ]
    from django.utils import timezone

    d90 = (timezone.now() - timedelta(days=DAYS - 1)).date().isoformat()
    rows = []
    for template in urls:
        url = template.format(d90=d90)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, secure=True).status_code == 200, url
        # Read at once: the log is cleared when the next request starts.
        queries = list(captured)
        read = sorted({t.strip('"') for q in queries for t in SOURCE_TABLES if t in q["sql"]})
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url, secure=True)
            timings.append((time.perf_counter() - started) * 1000)
        p99 = quantiles(timings, n=100, method="inclusive")[98] if len(timings) > 1 else timings[0]
        rows.append(
            {
                "url": url,
                "p50_ms": median(timings),
                "p99_ms": p99,
                "queries": len(queries),
                "source_tables": read,
            }
        )
    return rows


def _settle() -> None:
    """Statistics, and the visibility map index-only scans need, as autovacuum would leave them
    by then (VACUUM cannot run inside a transaction, as in the suite's tiny run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def run(*, issues: int, tickets: int, customer_issues: int, requests: int) -> dict[str, Any]:
    """Fill, count everything into insights, measure; returns the figures."""
    from switchyard.insights.services import insights_rebuild

    world = fill(issues=issues, tickets=tickets, customer_issues=customer_issues)
    started = time.perf_counter()
    insights_rebuild()
    rebuild_s = time.perf_counter() - started
    _settle()
    endpoints = measure(
        admin=world["admin"], top=world["top"], leaf=world["leaf"], requests=requests
    )
    return {
        "sizes": {"issues": issues, "tickets": tickets, "customer_issues": customer_issues},
        "fill_s": world["fill_s"],
        "rebuild_s": rebuild_s,
        "endpoints": endpoints,
        "load_average": os.getloadavg(),
    }


def report(result: dict[str, Any]) -> None:
    sizes = result["sizes"]
    print(
        f"{sizes['issues']:,} Sentry issues, {sizes['tickets']:,} tickets, "
        f"{sizes['customer_issues']:,} customer issues, {TOP * (CHILDREN + 1)} products, {DAYS} days"
    )
    rows = sum(sizes.values())
    print(
        f"fill {result['fill_s']:.1f} s; rebuild {result['rebuild_s']:.1f} s ({rows / result['rebuild_s']:,.0f} items/s)"
    )
    print(f"{'endpoint':<58} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8}  source tables read")
    for row in result["endpoints"]:
        tables = ", ".join(row["source_tables"]) or "none"
        print(
            f"{row['url']:<58} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['queries']:>8}  {tables}"
        )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in result["load_average"]))


def pull_rates(issues: int) -> None:
    """The pull rate with rollup maintenance off against on (bench/pull_sentry.py's tables): its
    follow-up run after the pull in one process, then by a task worker beside it."""
    for workers, how in [(0, "after the pull"), (1, "by a task worker beside the pull")]:
        print(
            f"\npull of {issues:,} Sentry issues, rollup maintenance off (bare) and on (rollups), "
            f"follow-up {how}:"
        )
        command = [sys.executable, str(ROOT / "bench" / "pull_sentry.py"), "--issues", str(issues)]
        command += ["--database", "postgres", "--variants", "bare,rollups"]
        subprocess.run([*command, "--workers", str(workers)], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the sizes of the docstring")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pull-issues", type=int, default=100_000, help="0: no pull rates")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from benchlib import CHILD_ENV, postgres_database

    with postgres_database() as url:
        if url is None:
            return
        os.environ.update(
            CHILD_ENV, DATABASE_URL=url, SECURE_SSL_REDIRECT="false", ALLOWED_HOSTS="testserver"
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        sizes = {name: max(1, int(n * args.scale)) for name, n in SCALE_1.items()}
        report(run(**sizes, requests=args.requests))
        from django.db import connections

        connections.close_all()
    if args.pull_issues:
        pull_rates(args.pull_issues)


if __name__ == "__main__":
    main()
