"""One organization filled at scale, quickly: what bench/api.py and bench/web.py measure.

A root product with 20 areas of 9 parts each (200 descendants), 36 Sentry projects on the parts, a
tracker project per area, then the Sentry issues, customer issues and tickets of a ``Scale``
(tickets are linked, every other one to a Sentry issue, every fourth to a customer issue).
PostgreSQL gets the rows through ``COPY``, each large table in parts stored by processes side by
side, into tables whose secondary indexes are dropped first and built once afterwards (far cheaper
than keeping each up to date row by row, the trigram ones above all), with foreign keys not
checked row by row (the fill only makes valid references); SQLite through ``bulk_create``. Insights'
record of each item (what its subscribers would have written) is filled from the rows with one
``INSERT ... SELECT`` per source (``insights.services.items_first_seen``), and the open counts the product pages read recomputed from it.
``facts()`` finds what an earlier fill made, so that a database filled once can be measured again
after a change.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

WORDS = ["TypeError", "KeyError", "PaymentError", "TimeoutError", "ValueError", "checkout"]
SLUG = "bench"
PARTS = 3  # processes per large table


@dataclass(frozen=True)
class Scale:
    sentry_issues: int
    customer_issues: int
    tickets: int = 0


def fill(scale: Scale) -> dict[str, Any]:
    """The organization, its people, products, projects, issues and tickets; ``facts()``."""
    from django.db import connection

    from switchyard.monitoring.models import SentryIssue
    from switchyard.support.models import CustomerIssue
    from switchyard.trackers.models import Ticket, TicketLink

    with indexes_built_afterwards(SentryIssue, CustomerIssue, Ticket, TicketLink):
        side_by_side(_parts(scale))
        _link_tickets(scale)
    _track_items()
    with connection.cursor() as cursor:
        # As autovacuum would by then: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return facts()


def _parts(scale: Scale) -> list[tuple]:
    """(model, row maker, numbers) for each table, in parts that can be stored side by side."""
    from django.utils import timezone

    from switchyard.monitoring.models import SentryIssue
    from switchyard.support.models import CustomerIssue
    from switchyard.trackers.models import Ticket

    now = timezone.now()
    organization, customer = _people()
    areas, parts = _product_tree(organization)
    sentry_projects, tracker_projects = _projects(organization, areas, parts)
    tables = [
        (
            SentryIssue,
            partial(_sentry_issue, projects=sentry_projects, now=now),
            scale.sentry_issues,
        ),
        (
            CustomerIssue,
            partial(_customer_issue, organization=organization, customer=customer, now=now),
            scale.customer_issues,
        ),
        (Ticket, partial(_ticket, projects=tracker_projects, now=now), scale.tickets),
    ]
    return [
        (model, make, range(start, min(count, start + -(-count // PARTS))))
        for model, make, count in tables
        for start in range(0, count, -(-count // PARTS) or 1)
    ]


def side_by_side(parts: list[tuple]) -> None:
    """PostgreSQL: store each part in a forked process of its own (on a shared machine each gets
    its share of the cores); SQLite, a single writer: one after another."""
    import multiprocessing

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        for part in parts:
            _store_part(*part)
        return
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_store_part, args=part) for part in parts]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    if failed := [p.exitcode for p in processes if p.exitcode]:
        raise RuntimeError(f"filling failed in {len(failed)} processes: {failed}")


def _store_part(model, make, numbers: range) -> None:
    rng = random.Random(numbers.start)
    store(model, (make(rng, n) for n in numbers))


def facts() -> dict[str, Any] | None:
    """What the measured pages need from a filled database; None if it was not filled."""
    from django.contrib.auth import get_user_model

    from switchyard.accounts.models import Organization
    from switchyard.products.models import Product
    from switchyard.support.models import CustomerIssue

    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None:
        return None
    customer_issues = CustomerIssue.objects.filter(organization=organization).count()
    return {
        "employee": get_user_model().objects.get(username="employee"),
        "root": Product.objects.get(organization=organization, depth=1).pk,
        "deep_page": max(2, customer_issues // 50 // 5),
    }


def _people():
    from django.contrib.auth import get_user_model

    from switchyard.accounts.models import Organization, Role

    organization = Organization.objects.create(name="Bench", slug=SLUG)
    users = get_user_model().objects
    users.create_user(
        username="employee", password="x", organization=organization, role=Role.EMPLOYEE
    )
    customer = users.create_user(username="customer", password="x", role=Role.CUSTOMER)
    return organization, customer


def _product_tree(organization):
    from switchyard.products.services import product_create

    root = product_create(organization=organization, name="Root")
    areas = [
        product_create(organization=organization, name=f"Area {a}", parent=root) for a in range(20)
    ]
    parts = [
        product_create(organization=organization, name=f"Part {a}.{p}", parent=area)
        for a, area in enumerate(areas)
        for p in range(9)
    ]
    return areas, parts


def _projects(organization, areas, parts):
    from switchyard.monitoring.models import SentryProject
    from switchyard.sync.services import connection_create
    from switchyard.trackers.models import TrackerProject

    def remote(kind: str):
        return connection_create(
            organization=organization,
            kind=kind,
            name=kind.title(),
            base_url=f"https://{kind}.example",
            remote_organization="acme",
            account_email="bench@example.com",
            api_token="unused",
            sync_enabled=False,
        )

    sentry, jira = remote("sentry"), remote("jira")
    sentry_projects = SentryProject.objects.bulk_create(
        SentryProject(
            connection=sentry,
            external_id=str(n),
            slug=f"project-{n}",
            name=f"Project {n}",
            platform="python",
            sentry_organization="acme",
            product=parts[n * 5],
        )
        for n in range(36)
    )
    tracker_projects = TrackerProject.objects.bulk_create(
        TrackerProject(
            connection=jira, external_id=str(n), key=f"A{n}", name=area.name, product=area
        )
        for n, area in enumerate(areas)
    )
    return sentry_projects, tracker_projects


def _sentry_issue(rng: random.Random, n: int, *, projects, now):
    from switchyard.monitoring.models import SentryIssue

    seen = now - timedelta(minutes=rng.randrange(500_000))
    return SentryIssue(
        connection_id=projects[0].connection_id,
        project=projects[n % len(projects)],
        external_id=str(n),
        short_id=f"P{n % len(projects)}-{n}",
        title=f"{rng.choice(WORDS)}: thing {n} went wrong in module {rng.randrange(999)}",
        culprit=f"app.module{rng.randrange(500)}.handler",
        level=rng.choice(["error", "error", "warning", "fatal", "info"]),
        status=rng.choice(["unresolved", "unresolved", "resolved", "ignored"]),
        event_count=rng.randrange(1, 10_000),
        user_count=rng.randrange(1, 500),
        first_seen=seen - timedelta(days=rng.randrange(30)),
        last_seen=seen,
        synced_at=now,
    )


def _customer_issue(rng: random.Random, n: int, *, organization, customer, now):
    from switchyard.support.models import CustomerIssue

    created = now - timedelta(minutes=rng.randrange(500_000))
    return CustomerIssue(
        issue_number=f"ISS-2026-{n:07d}",
        title=f"{rng.choice(WORDS)} when paying order {n}",
        description=f"Customer {n % 977} reports a problem with {rng.choice(WORDS)} "
        "on the payment page; it happened twice this week.",
        organization=organization,
        status=rng.choice(["open", "open", "in_progress", "resolved", "closed"]),
        priority=rng.choice(["low", "medium", "high", "urgent"]),
        category=rng.choice(["general", "delivery", "quality", "billing"]),
        is_client_issue=True,
        raised_by_customer=customer,
        created_at=created,
        updated_at=created,
    )


def _ticket(rng: random.Random, n: int, *, projects, now):
    from switchyard.trackers.models import Ticket

    project = projects[n % len(projects)]
    created = now - timedelta(minutes=rng.randrange(200_000))
    category = rng.choice(["todo", "in_progress", "done", "done", "canceled"])
    return Ticket(
        connection_id=project.connection_id,
        tracker_project=project,
        external_id=str(n),
        key=f"{project.key}-{n}",
        url=f"https://jira.example/browse/{project.key}-{n}",
        summary=f"{rng.choice(WORDS)} in checkout step {n % 40}",
        status=category,
        status_category=category,
        priority=rng.choice(["Highest", "High", "Medium", "Low"]),
        remote_created_at=created,
        remote_updated_at=created,
        resolved_at=created + timedelta(hours=4) if category in ("done", "canceled") else None,
        synced_at=now,
    )


def _link_tickets(scale: Scale) -> None:
    """Every other ticket to a Sentry issue (spread over them), every fourth to a customer issue."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from switchyard.monitoring.models import SentryIssue
    from switchyard.support.models import CustomerIssue
    from switchyard.trackers.models import Ticket, TicketLink

    now = timezone.now()

    def first_id(model) -> int:
        return model.objects.order_by("pk").values_list("pk", flat=True).first() or 0

    sentry_type, customer_type = (
        ContentType.objects.get_for_model(m) for m in (SentryIssue, CustomerIssue)
    )
    first_sentry, first_customer = first_id(SentryIssue), first_id(CustomerIssue)
    tickets = list(Ticket.objects.order_by("pk").values_list("pk", "tracker_project_id"))

    def links() -> Iterator[TicketLink]:
        for n, (ticket, project) in enumerate(tickets):
            if n % 2 == 0 and scale.sentry_issues:
                source_type, source_id = sentry_type, first_sentry + n * 7 % scale.sentry_issues
            elif n % 4 == 1 and n // 4 < scale.customer_issues:
                source_type, source_id = customer_type, first_customer + n // 4
            else:
                continue
            yield TicketLink(
                ticket_id=ticket,
                tracker_project_id=project,
                source_type=source_type,
                source_id=source_id,
                sync_state=TicketLink.SyncState.OK,
                created_at=now,
            )

    store(TicketLink, links())


def _track_items() -> None:
    """Insights' record of every item, as observing each would make it, then the open counts."""
    from django.utils import timezone

    from switchyard.insights import facts, open_counts, services
    from switchyard.insights.models import Source

    now = timezone.now()
    for source in Source.values:
        services.items_first_seen(source=source, rows=facts.live(source), now=now)
    open_counts.recompute()


@contextlib.contextmanager
def indexes_built_afterwards(*models) -> Iterator[None]:
    """PostgreSQL: drop the secondary indexes of these tables (not those behind constraints) for
    the block that fills them, then build them again."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        definitions = cursor.fetchall()
        for name, _ in definitions:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in definitions:
                cursor.execute(definition)


def store(model, rows: Iterable, batch: int = 10_000) -> None:
    """PostgreSQL: ``COPY`` in batches, foreign keys not checked row by row (the fill makes only
    valid references); SQLite: ``bulk_create``."""
    from django.db import connection, transaction

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    chunk: list = []

    def flush() -> None:
        if connection.vendor != "postgresql":
            model.objects.bulk_create(chunk)
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
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
