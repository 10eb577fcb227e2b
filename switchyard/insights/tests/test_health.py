"""The health score's overdue tickets, and the series of the organization and of a product tree
(read from the daily totals) as the product tree and the projects' mapping change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.insights.models import Source
from switchyard.insights.tests.world import World
from switchyard.products.services import product_create, product_update

pytestmark = pytest.mark.django_db


def _tickets_aged(world: World, project: int, ages: dict[str, list[int]]) -> list:
    """Tickets of each priority opened that many days ago (oldest first)."""
    made = []
    start = world.now
    for priority, days in ages.items():
        for age in days:
            world.now = timezone.now() - timedelta(days=age, hours=1)
            made.append(world.ticket(project, priority))
    world.now = start
    return made


def test_tickets_older_than_their_priority_allows_are_overdue(client_for):
    world = World()
    world.map_tracker_project(0, 0)
    world.map_tracker_project(1, 1)
    # urgent: 2 days allowed; high: 7; low: 90.
    _tickets_aged(world, 0, {"urgent": [1, 3, 10], "high": [6, 8], "low": [30, 95]})
    closed = _tickets_aged(world, 0, {"urgent": [20]})[0]
    world.now = timezone.now()
    world.ticket_set(closed.pk, "done")
    _tickets_aged(world, 1, {"high": [9]})
    admin = AdminFactory(organization=world.organization)
    first, second = world.products
    body = client_for(admin).get(f"/api/insights/products/{first.pk}/").json()
    (health,) = body["health"]
    assert health["overdue_tickets"] == 4  # urgent 3 and 10 days, high 8, low 95
    assert health["penalty_overdue"] == 8
    overview = client_for(admin).get("/api/insights/").json()
    overdue = {row["product"]: row["overdue_tickets"] for row in overview["products"]}
    assert overdue == {first.pk: 4, second.pk: 1}


def _new_per_source(rows: list[dict]) -> dict[str, int]:
    totals = dict.fromkeys(Source.values, 0)
    for row in rows:
        totals[row["source"]] += row["new"]
    return totals


def test_a_product_trees_series_follow_moves_in_the_tree_and_of_projects(client_for):
    world = World(start=timezone.now() - timedelta(days=3))
    world.map_sentry_project(0, 0)
    world.map_tracker_project(0, 1)
    world.sentry_issue(0, "fatal")
    world.sentry_issue(0, "error")
    world.sentry_issue(1, "error")  # a project mapped to no product
    world.tick(5)
    world.ticket(0, "urgent")
    world.customer_issue("high")
    client = client_for(AdminFactory(organization=world.organization))
    parent = product_create(organization=world.organization, name="Platform", priority="high")
    first, second = world.products
    first.refresh_from_db()
    product_update(product=first, parent=parent, priority="low")

    def tree() -> dict[str, int]:
        body = client.get(f"/api/insights/products/{parent.pk}/").json()
        return _new_per_source(body["series"])

    organization = _new_per_source(client.get("/api/insights/").json()["series"])
    assert organization == {"sentry": 3, "ticket": 1, "customer": 1}
    assert tree() == {"sentry": 2, "ticket": 0, "customer": 0}
    second.refresh_from_db()
    parent.refresh_from_db()
    product_update(product=second, parent=parent, priority="low")
    assert tree() == {"sentry": 2, "ticket": 1, "customer": 0}
    world.map_sentry_project(1, 1)  # the unmapped project's issue joins the tree
    assert tree() == {"sentry": 3, "ticket": 1, "customer": 0}
    world.map_sentry_project(0, None)  # and two leave it
    assert tree() == {"sentry": 1, "ticket": 1, "customer": 0}
    organization = _new_per_source(client.get("/api/insights/").json()["series"])
    assert organization == {"sentry": 3, "ticket": 1, "customer": 1}
