"""Rollup maintenance per stored batch: the number of queries does not grow with the batch
(moves to another product included)."""

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from switchyard.insights.models import DailyRollup, Source
from switchyard.insights.tests.world import World
from switchyard.monitoring.models import SentryIssue
from switchyard.monitoring.tests.factories import SentryIssueFactory

pytestmark = pytest.mark.django_db


def _queries(world: World, ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as captured:
        world.observe(Source.SENTRY, ids)
    return len(captured)


def _observe_batches(size: int) -> tuple[int, int, dict]:
    """Observe ``size`` new issues, then the same issues moved to a product, half of them
    resolved and all with new events; returns both query counts and the rollups' totals."""
    world = World()
    issues = [
        SentryIssueFactory(
            project=world.sentry_projects[0], level=level, event_count=3, first_seen=world.now
        )
        for level in ["error", "warning"] * (size // 2)
    ]
    ids = [issue.pk for issue in issues]
    first = _queries(world, ids)
    world.tick(2)
    world.sentry_projects[0].product = world.products[0]
    world.sentry_projects[0].save(update_fields=["product"])
    SentryIssue.objects.filter(pk__in=ids[::2]).update(status="resolved")
    SentryIssue.objects.filter(pk__in=ids).update(event_count=7)
    second = _queries(world, ids)
    fields = ["new", "resolved", "open_change", "events"]
    totals = DailyRollup.objects.filter(organization_id=world.organization.pk).aggregate(
        **{f: Sum(f, default=0) for f in fields}
    )
    return first, second, totals


def test_a_batch_of_40_costs_the_queries_of_a_batch_of_10():
    # 40: SQLite's limit of 999 parameters splits a longer multi-row insert of items or
    # transitions into several statements (PostgreSQL sends a stored batch's in one).
    small_new, small_changed, small = _observe_batches(10)
    large_new, large_changed, large = _observe_batches(40)
    assert small == {"new": 10, "resolved": 5, "open_change": 5, "events": 70}
    assert large == {"new": 40, "resolved": 20, "open_change": 20, "events": 280}
    assert (large_new, large_changed) == (small_new, small_changed)
