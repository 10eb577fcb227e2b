"""Migration 0010 counts each item's "new" from the item instead of a transition: the rollups a
rebuild recomputes stay what they were, and going back restores the transitions alone summing to
them."""

from importlib import import_module

import pytest
from django.apps import apps

from switchyard.insights import rollups
from switchyard.insights.models import Source, TrackedItem, Transition
from switchyard.insights.tests.world import World, rollup_snapshot
from switchyard.monitoring.tests.factories import SentryIssueFactory

pytestmark = pytest.mark.django_db

migration = import_module("switchyard.insights.migrations.0010_first_sight_on_items")


def transitions_summed(organization) -> dict:
    """The rollup rows the stored transitions alone sum to (what the code before counted)."""
    change = rollups.Change()
    change.add(Transition.objects.filter(organization=organization), 1)
    return {
        (product_key, source, bucket, day): tuple(counts[c] for c in rollups.COUNTERS)
        for (_, product_key, source, bucket, day), counts in change.totals.items()
    }


def test_folding_new_into_the_items_keeps_the_rollups_and_unfolding_restores_them():
    world = World()
    world.map_sentry_project(0, 0)
    issue = world.sentry_issue(0, "error", events=5)
    world.sentry_issue(1, "fatal", events=3)
    world.tick(30)
    world.sentry_set(issue.pk, status="resolved", event_count=9)
    ticket = world.ticket(0, "high")
    world.tick(30)
    world.ticket_set(ticket.pk, "done")
    world.customer_issue("urgent")
    resolved_when_first_seen = SentryIssueFactory(
        project=world.sentry_projects[1], level="warning", status="resolved", event_count=2
    )
    world.observe(Source.SENTRY, [resolved_when_first_seen.pk])
    kept = rollup_snapshot(world.organization)
    assert not Transition.objects.filter(kind="new").exists()
    first = TrackedItem.objects.get(item_id=resolved_when_first_seen.pk, source=Source.SENTRY)
    assert (first.first_closed_at, first.first_events) == (world.now, 2)

    migration.unfold_first_sights(apps, None)
    TrackedItem.objects.update(first_closed_at=None, first_events=0, observed_on=None)
    assert Transition.objects.filter(kind="new").count() == TrackedItem.objects.count() == 5
    assert Transition.objects.filter(kind="resolved", seconds=0).exists()
    assert transitions_summed(world.organization) == kept

    migration.fold_new_into_items(apps, None)
    assert not Transition.objects.filter(kind="new").exists()
    rollups.recompute()
    assert rollup_snapshot(world.organization) == kept
    sentry_new = {
        key: counts for key, counts in kept.items() if key[1] == Source.SENTRY and counts[0]
    }
    assert sum(counts[0] for counts in sentry_new.values()) == 3
