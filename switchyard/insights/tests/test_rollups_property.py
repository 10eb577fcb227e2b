"""Any sequence of creates, resolves, reopens, moves and deletions: the rollups kept up as each
change happens equal those a rebuild recomputes, as do the daily totals (per product and for the
organization, each the sum of its daily rows), and their open counts equal the live rows', as do
the stored open counts (per product and project, with the events and users of the open items)
and workload counts (per product and assignee) before and after a rebuild; so do the resolution
spans of tickets made from Sentry issues."""

from collections import Counter, defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchyard.insights.facts import facts
from switchyard.insights.models import DailyRollup, DailyTotal, OpenCount, Source, WorkloadCount
from switchyard.insights.rollups import COUNTERS
from switchyard.insights.services import insights_rebuild
from switchyard.insights.tests.world import (
    LEVELS,
    PRIORITIES,
    World,
    rollup_snapshot,
    span_snapshot,
)
from switchyard.monitoring.models import SentryIssue
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import Ticket, TicketLink

pytestmark = pytest.mark.django_db

index = st.integers(min_value=0, max_value=50)
link = st.tuples(st.just("link"), st.tuples(index, index), st.sampled_from(["manual", "rule"]))
operation = st.one_of(
    st.tuples(st.just("sentry_new"), st.integers(0, 1), st.sampled_from(LEVELS)),
    st.tuples(
        st.just("sentry_status"), index, st.sampled_from(["resolved", "unresolved", "ignored"])
    ),
    st.tuples(st.just("sentry_events"), index, st.integers(0, 500)),
    st.tuples(st.just("sentry_level"), index, st.sampled_from(LEVELS)),
    st.tuples(st.just("sentry_delete"), index, st.booleans()),
    st.tuples(st.just("ticket_new"), st.integers(0, 1), st.sampled_from(PRIORITIES)),
    st.tuples(st.just("ticket_move"), index, st.sampled_from(["todo", "done", "canceled"])),
    st.tuples(st.just("ticket_delete"), index, st.booleans()),
    st.tuples(st.just("ticket_assign"), index, st.sampled_from(["", "ana@example.com", "bo@x.io"])),
    st.tuples(st.just("customer_new"), index, st.sampled_from(PRIORITIES)),
    st.tuples(st.just("customer_status"), index, st.sampled_from(["open", "resolved", "closed"])),
    st.tuples(st.just("customer_delete"), index, st.just(None)),
    st.tuples(st.just("map_sentry"), st.integers(0, 1), st.sampled_from([0, 1, None])),
    st.tuples(st.just("map_tracker"), st.integers(0, 1), st.sampled_from([0, 1, None])),
    link,
    link,  # weighted: a span needs a link, then changes of its ticket and issue
    link,
    st.tuples(st.just("link_delete"), index, st.just(None)),
)
steps = st.lists(st.tuples(operation, st.integers(0, 40)), max_size=40)


def _pick(ids: list[int], n: int) -> int | None:
    return ids[n % len(ids)] if ids else None


def _sentry_change(world: World, pk: int, name: str, b) -> None:
    if name == "sentry_status":
        world.sentry_set(pk, status=b)
    elif name == "sentry_events":
        count = SentryIssue.objects.get(pk=pk).event_count
        world.sentry_set(pk, event_count=count + b)
    elif name == "sentry_level":
        world.sentry_set(pk, level=b)
    else:
        world.sentry_set(pk, is_deleted=b)


def _change(world: World, ids: dict[str, list[int]], name: str, a, b) -> None:
    """A change of an existing item (none when there is no item of that source yet)."""
    source = name.split("_")[0]
    pk = _pick(ids[source], a)
    if pk is None:
        return
    if source == "sentry":
        _sentry_change(world, pk, name, b)
    elif name == "ticket_move":
        world.ticket_set(pk, b)
    elif name == "ticket_assign":
        Ticket.objects.filter(pk=pk).update(assignee_email=b)
        world.observe(Source.TICKET, [pk])
    elif source == "ticket":
        Ticket.objects.filter(pk=pk).update(is_deleted=b)
        world.observe(Source.TICKET, [pk])
    elif name == "customer_status":
        world.customer_set(pk, b)
    else:
        CustomerIssue.objects.filter(pk=pk).delete()
        ids[source].remove(pk)
        world.observe(Source.CUSTOMER, [pk])


def run(world: World, ops) -> None:
    ids: dict[str, list[int]] = {"sentry": [], "ticket": [], "customer": []}
    for (name, a, b), hours in ops:
        world.tick(hours)
        if name == "sentry_new":
            ids["sentry"].append(world.sentry_issue(a, b).pk)
        elif name == "ticket_new":
            ids["ticket"].append(world.ticket(a, b).pk)
        elif name == "customer_new":
            ids["customer"].append(world.customer_issue(b).pk)
        elif name == "map_sentry":
            world.map_sentry_project(a, b)
        elif name == "map_tracker":
            world.map_tracker_project(a, b)
        elif name == "link":
            if ids["ticket"] and ids["sentry"]:
                world.link(_pick(ids["ticket"], a[0]), _pick(ids["sentry"], a[1]), b)
        elif name == "link_delete":
            if pk := _pick(links(world), a):
                TicketLink.objects.filter(pk=pk).delete()
        else:
            _change(world, ids, name, a, b)


def links(world: World) -> list[int]:
    return list(
        TicketLink.objects.filter(tracker_project__in=world.tracker_projects)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def totals_kept(organization) -> dict:
    """Every stored daily total, by (whole, product, source, day)."""
    return {
        (row["whole"], row["product_key"], row["source"], row["day"]): tuple(
            row[c] for c in COUNTERS
        )
        for row in DailyTotal.objects.filter(organization=organization).values(
            "whole", "product_key", "source", "day", *COUNTERS
        )
    }


def totals_of_daily_rows(organization) -> dict:
    """The daily rows summed per product and for the whole organization, by source and day."""
    totals = defaultdict(lambda: [0] * len(COUNTERS))
    for row in DailyRollup.objects.filter(organization=organization).values(
        "product_key", "source", "day", *COUNTERS
    ):
        for key in [
            (False, row["product_key"], row["source"], row["day"]),
            (True, 0, row["source"], row["day"]),
        ]:
            totals[key] = [a + row[c] for a, c in zip(totals[key], COUNTERS, strict=True)]
    return {key: tuple(values) for key, values in totals.items() if any(values)}


def open_from_rollups(organization) -> Counter:
    totals = Counter()
    for product, source, bucket, change in DailyRollup.objects.filter(
        organization=organization
    ).values_list("product_key", "source", "bucket", "open_change"):
        totals[(product, source, bucket)] += change
    return +totals


def open_from_sources() -> Counter:
    live = {
        Source.SENTRY: SentryIssue.objects.values_list("pk", flat=True),
        Source.TICKET: Ticket.objects.values_list("pk", flat=True),
        Source.CUSTOMER: CustomerIssue.objects.values_list("pk", flat=True),
    }
    totals = Counter()
    for source, ids in live.items():
        for fact in facts(source, list(ids)).values():
            totals[(fact.product_key, source, fact.bucket)] += fact.is_open
    return +totals


def open_counts_kept(organization) -> dict:
    return {
        (product, container, source, bucket): (n, events, users)
        for product, container, source, bucket, n, events, users in OpenCount.objects.filter(
            organization=organization
        ).values_list("product_key", "container_key", "source", "bucket", "open", "events", "users")
    }


def open_counts_of_sources() -> dict:
    totals = defaultdict(lambda: (0, 0, 0))
    for source, model in [
        (Source.SENTRY, SentryIssue),
        (Source.TICKET, Ticket),
        (Source.CUSTOMER, CustomerIssue),
    ]:
        for fact in facts(source, list(model.objects.values_list("pk", flat=True))).values():
            if fact.is_open:
                key = (fact.product_key, fact.container_key, source, fact.bucket)
                n, events, users = totals[key]
                totals[key] = (
                    n + 1,
                    events + fact.events,
                    users + fact.users,
                )
    return dict(totals)


def workload_kept(organization) -> dict:
    return {
        (product, source, assignee): n
        for product, source, assignee, n in WorkloadCount.objects.filter(
            organization=organization
        ).values_list("product_key", "source", "assignee", "open")
    }


def workload_of_sources() -> dict:
    totals = Counter()
    for source, model in [(Source.TICKET, Ticket), (Source.CUSTOMER, CustomerIssue)]:
        for fact in facts(source, list(model.objects.values_list("pk", flat=True))).values():
            totals[(fact.product_key, source, fact.assignee)] += fact.is_open
    return dict(+totals)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=steps)
def test_incremental_rollups_equal_rebuilt_ones(ops):
    with transaction.atomic():
        world = World()
        run(world, ops)
        incremental = rollup_snapshot(world.organization)
        spans = span_snapshot(world.organization)
        kept_totals = totals_kept(world.organization)
        assert kept_totals == totals_of_daily_rows(world.organization)
        assert open_from_rollups(world.organization) == open_from_sources()
        assert open_counts_kept(world.organization) == open_counts_of_sources()
        assert workload_kept(world.organization) == workload_of_sources()
        insights_rebuild()
        assert rollup_snapshot(world.organization) == incremental
        assert span_snapshot(world.organization) == spans
        assert totals_kept(world.organization) == kept_totals
        assert open_counts_kept(world.organization) == open_counts_of_sources()
        assert workload_kept(world.organization) == workload_of_sources()
        transaction.set_rollback(True)
