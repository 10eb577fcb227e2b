"""An item seen for the first time counts its first sight from the columns kept on it, summed by
the database: new on the UTC day it opened; resolved on the day it closed, with the whole seconds
in between (never negative, to the microsecond); its events on the day it was first observed.
A move re-files all of it and a deletion withdraws all of it."""

from datetime import UTC, datetime, timedelta

import pytest

from switchyard.insights.models import DailyRollup, OpenCount, Source, TrackedItem
from switchyard.insights.rollups import COUNTERS
from switchyard.insights.services import insights_rebuild
from switchyard.insights.tests.world import World, rollup_snapshot
from switchyard.monitoring.tests.factories import SentryIssueFactory
from switchyard.trackers.models import Ticket

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 3, 1, 23, 30, 0, 900_000, tzinfo=UTC)


def closed_ticket(world: World, resolved_at: datetime | None) -> Ticket:
    return world.ticket(
        0,
        "high",
        observed=False,
        status="Done",
        status_category="done",
        remote_created_at=OPENED,
        remote_updated_at=OPENED,
        resolved_at=resolved_at,
    )


def counted(world: World, product_key: int) -> dict:
    """Rollup rows under one product: (source, bucket, day) -> counters by name."""
    return {
        key[1:]: dict(zip(COUNTERS, counts, strict=True))
        for key, counts in rollup_snapshot(world.organization).items()
        if key[0] == product_key
    }


def test_a_first_sight_counts_its_days_and_whole_seconds_and_moves_and_goes_whole():
    world = World(start=datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    world.map_tracker_project(0, 0)
    product = world.products[0].pk
    # 3 h 0.4 s after it opened, less its 0.9 s: 10,799.5 s, counted as 10,799.
    late = closed_ticket(world, OPENED + timedelta(hours=3, microseconds=-500_000))
    skewed = closed_ticket(world, OPENED - timedelta(minutes=5))  # resolved "before" created
    undated = closed_ticket(world, None)  # closed, no resolution time: closed when observed
    world.observe(Source.TICKET, [late.pk, skewed.pk, undated.pk])

    opened_day, next_day = OPENED.date(), OPENED.date() + timedelta(days=1)
    rows = counted(world, product)
    assert rows[("ticket", "high", opened_day)] == {
        **dict.fromkeys(COUNTERS, 0),
        "new": 3,
        "resolved": 1,  # the skewed one, closed on the day it opened
        "open_change": 2,
        "resolve_seconds": 0,
    }
    assert rows[("ticket", "high", next_day)]["resolve_seconds"] == 10_799
    undated_seconds = int((world.now - OPENED).total_seconds())
    assert rows[("ticket", "high", world.now.date())]["resolve_seconds"] == undated_seconds
    assert sum(row["open_change"] for row in rows.values()) == 0
    assert not OpenCount.objects.filter(organization=world.organization).exists()
    assert TrackedItem.objects.get(item_id=undated.pk).first_closed_at == world.now

    issue = SentryIssueFactory(
        project=world.sentry_projects[0], level="error", first_seen=OPENED, event_count=7
    )
    world.observe(Source.SENTRY, [issue.pk])
    sentry = counted(world, 0)
    assert sentry[("sentry", "error", opened_day)]["new"] == 1
    assert sentry[("sentry", "error", world.now.date())]["events"] == 7

    kept = rollup_snapshot(world.organization)
    insights_rebuild()
    assert rollup_snapshot(world.organization) == kept

    world.map_tracker_project(0, 1)
    assert counted(world, product) == {}
    moved = counted(world, world.products[1].pk)
    assert moved == rows

    Ticket.objects.filter(pk__in=[late.pk, skewed.pk, undated.pk]).update(is_deleted=True)
    world.observe(Source.TICKET, [late.pk, skewed.pk, undated.pk])
    world.sentry_set(issue.pk, is_deleted=True)
    assert not DailyRollup.objects.filter(organization=world.organization).exists()
