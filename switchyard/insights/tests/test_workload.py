"""Workload over HTTP: open now, and closed within the window asked for; items closed before the
window count nothing, reopened ones count as open. A team's endpoint crosses product and assignee;
the organization's has per assignee and per product, each over the team's products."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from switchyard.accounts.tests.factories import AdminFactory, TeamFactory
from switchyard.insights.models import Source
from switchyard.insights.tests.world import World
from switchyard.products.services import product_update
from switchyard.trackers.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = World(start=timezone.now() - timedelta(days=40))
    world.team = TeamFactory(organization=world.organization, name="Payments")
    product_update(product=world.products[0], owning_team=world.team)
    world.map_tracker_project(0, 0)

    def assigned(ticket, who):
        Ticket.objects.filter(pk=ticket.pk).update(assignee_email=who)
        world.observe(Source.TICKET, [ticket.pk])
        return ticket

    old = assigned(world.ticket(0, "high"), "old@example.com")
    reopened = assigned(world.ticket(0, "low"), "dev@example.com")
    old_customer = world.customer_issue("high")
    world.tick(24)  # 39 days ago: all three closed, before the default window
    world.ticket_set(old.pk, "done")
    world.ticket_set(reopened.pk, "done")
    world.customer_set(old_customer.pk, "closed")
    world.tick(30 * 24)  # 9 days ago
    recent = assigned(world.ticket(0, "high"), "dev@example.com")
    assigned(world.ticket(0, "medium"), "dev@example.com")
    recent_customer = world.customer_issue("urgent")
    world.tick(1)
    world.ticket_set(recent.pk, "done")
    world.customer_set(recent_customer.pk, "resolved")
    world.recent_close = world.now.date()
    world.tick(4 * 24)  # 5 days ago
    world.ticket_set(reopened.pk, "todo")
    return world


def get(client_for, world, url, **window):
    return (
        client_for(AdminFactory(organization=world.organization))
        .get(url, {k: v.isoformat() for k, v in window.items()})
        .json()
    )


def workload(client_for, world, **window):
    """The organization's items as a team sees its own (customer issues are on no product)."""
    body = get(client_for, world, "/api/insights/teams/", **window)
    team = get(client_for, world, f"/api/insights/teams/{world.team.pk}/", **window)
    crossed = {
        (row["product"], row["assignee"], row["source"], row["open"], row["closed"])
        for row in team["workload"]
    }
    assert all(row["team"] == "Payments" for row in team["workload"])
    # The organization's two tables are the team's rows summed one way and the other.
    for table, column in [("assignees", 1), ("products", 0)]:
        sums = defaultdict(lambda: [0, 0])
        for row in crossed:
            sums[(row[column], row[2])][0] += row[3]
            sums[(row[column], row[2])][1] += row[4]
        served = {
            (row["assignee" if column else "product"], row["source"]): [row["open"], row["closed"]]
            for row in body[table]
            if row["team"] == "Payments"
        }
        assert served == sums
    loose = [
        (None, row["assignee"], row["source"], row["open"], row["closed"])
        for row in body["assignees"]
        if row["team"] == ""
    ]
    return sorted(loose, key=str) + sorted(crossed, key=str)


def test_workload_counts_open_items_and_items_closed_in_the_window(client_for, world):
    product = world.products[0].pk
    assert workload(client_for, world) == [
        (None, "", "customer", 0, 1),
        (product, "dev@example.com", "ticket", 2, 1),
    ]
    after = world.recent_close + timedelta(days=1)
    assert workload(client_for, world, **{"from": after}) == [
        (product, "dev@example.com", "ticket", 2, 0)
    ]
    assert workload(client_for, world, **{"from": world.recent_close}) == [
        (None, "", "customer", 0, 1),
        (product, "dev@example.com", "ticket", 2, 1),
    ]
    everything = timezone.now().date() - timedelta(days=39)
    assert workload(client_for, world, **{"from": everything}) == [
        (None, "", "customer", 0, 2),
        (product, "dev@example.com", "ticket", 2, 1),
        (product, "old@example.com", "ticket", 0, 1),
    ]
    before = world.recent_close - timedelta(days=1)
    assert workload(client_for, world, **{"from": everything, "to": before}) == [
        (None, "", "customer", 0, 1),
        (product, "dev@example.com", "ticket", 2, 0),  # its closing then was undone since
        (product, "old@example.com", "ticket", 0, 1),
    ]


def test_open_work_follows_its_assignee_and_its_product(client_for, world):
    product = world.products[0].pk
    ticket = Ticket.objects.filter(assignee_email="dev@example.com", priority="Medium").get()
    Ticket.objects.filter(pk=ticket.pk).update(assignee_email="new@example.com")
    world.observe(Source.TICKET, [ticket.pk])
    assert workload(client_for, world) == [
        (None, "", "customer", 0, 1),
        (product, "dev@example.com", "ticket", 1, 1),
        (product, "new@example.com", "ticket", 1, 0),
    ]
    world.map_tracker_project(0, 1)  # another product, of no team
    body = get(client_for, world, "/api/insights/teams/")
    assert [(r["team"], r["assignee"], r["open"], r["closed"]) for r in body["assignees"]] == [
        ("", "", 0, 1),
        ("", "dev@example.com", 1, 1),
        ("", "new@example.com", 1, 0),
    ]
