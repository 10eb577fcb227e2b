"""Resolution spans follow the link, its ticket and its Sentry issue as they change, and equal
what a rebuild recomputes at each step."""

import pytest

from switchyard.insights.models import Source
from switchyard.insights.services import insights_rebuild
from switchyard.insights.tests.world import World, span_snapshot
from switchyard.monitoring.models import SentryIssue
from switchyard.trackers.models import TicketLink

pytestmark = pytest.mark.django_db

HOUR = 3600


def kept_and_rebuilt(world: World) -> dict:
    kept = span_snapshot(world.organization)
    insights_rebuild()
    assert span_snapshot(world.organization) == kept
    return {link: figures[2:] for link, figures in kept.items()}


def test_a_span_follows_its_ticket_and_issue_and_goes_with_them():
    world = World()
    world.map_sentry_project(0, 0)
    world.map_tracker_project(0, 1)
    issue = world.sentry_issue(0, "error")
    world.tick(5)
    ticket = world.ticket(0, "high")
    world.tick(1)
    world.link(ticket.pk, issue.pk, "manual")
    link = TicketLink.objects.get()
    assert kept_and_rebuilt(world) == {link.pk: (5 * HOUR, None, None)}

    world.tick(10)
    world.ticket_set(ticket.pk, "done")
    assert kept_and_rebuilt(world) == {link.pk: (5 * HOUR, 16 * HOUR, None)}

    world.tick(4)
    world.sentry_set(issue.pk, status="resolved")
    assert kept_and_rebuilt(world) == {link.pk: (5 * HOUR, 16 * HOUR, 20 * HOUR)}

    world.ticket_set(ticket.pk, "todo")  # reopened: no close to measure
    world.map_tracker_project(0, 0)  # the ticket moves to the issue's product
    products = {link: figures[0] for link, figures in span_snapshot(world.organization).items()}
    assert products == {link.pk: world.products[0].pk}
    assert kept_and_rebuilt(world) == {link.pk: (5 * HOUR, None, 20 * HOUR)}

    world.sentry_set(issue.pk, is_deleted=True)  # no longer tracked: no span
    assert kept_and_rebuilt(world) == {}
    world.sentry_set(issue.pk, is_deleted=False)
    assert kept_and_rebuilt(world) == {link.pk: (5 * HOUR, None, 20 * HOUR)}

    link.delete()
    assert span_snapshot(world.organization) == {}


def test_a_link_observed_before_its_issue_gets_its_span_when_the_issue_is():
    world = World()
    issue = world.sentry_issue(0, "error")
    world.tick(2)
    ticket = world.ticket(0, "low")
    SentryIssue.objects.filter(pk=issue.pk).update(is_deleted=True)
    world.observe(Source.SENTRY, [issue.pk])
    world.link(ticket.pk, issue.pk, "rule")
    assert span_snapshot(world.organization) == {}
    world.sentry_set(issue.pk, is_deleted=False)
    assert kept_and_rebuilt(world) == {TicketLink.objects.get().pk: (2 * HOUR, None, None)}
