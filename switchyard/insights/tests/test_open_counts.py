"""The product tree, page and stats, and the Sentry project list, read the open counts insights
stores; they follow every change of the items (resolved, reopened, new, more events, mapped to
another product, gone) as the counted rows would, and the tree costs the same queries for 5
products as for 50."""

import re
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.automation.tests.test_done_when import add_issues, pull
from switchyard.insights.models import OpenCount, Source
from switchyard.insights.tests.world import World
from switchyard.monitoring.models import IssueLevel, SentryIssue, SentryProject
from switchyard.products.models import Product
from switchyard.products.selectors import product_subtree
from switchyard.products.services import product_create
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import TicketLink

pytestmark = pytest.mark.django_db


def counted(product: Product) -> dict:
    """The product stats' figures as counted from the live issue rows of the subtree."""
    issues = SentryIssue.objects.filter(
        project__product__in=product_subtree(product=product),
        status="unresolved",
        is_deleted=False,
    )
    by_level = dict(issues.values_list("level").annotate(n=Count("*")).order_by())
    sums = issues.aggregate(
        events=Sum("event_count", default=0), users=Sum("user_count", default=0)
    )
    return {
        "unresolved_issues": sum(by_level.values()),
        "unresolved_by_level": {level: by_level.get(level, 0) for level in IssueLevel.values},
        "events": sums["events"],
        "users_affected": sums["users"],
    }


def counted_per_project() -> dict:
    """Each Sentry project's unresolved issues and their events, counted from the live rows."""
    totals = {project: (0, 0) for project in SentryProject.objects.values_list("pk", flat=True)}
    for project, n, events in (
        SentryIssue.objects.filter(status="unresolved", is_deleted=False)
        .values_list("project")
        .annotate(n=Count("*"), events=Sum("event_count"))
        .order_by()
    ):
        totals[project] = (n, events)
    return totals


def served_per_project(api, ordering: str = "slug") -> list[tuple[int, int, int]]:
    body = api.get(f"/api/sentry/projects/?ordering={ordering}&page_size=100").json()
    return [
        (row["id"], row["unresolved_issues"], row["unresolved_events"]) for row in body["results"]
    ]


def served(api, product: Product) -> dict:
    body = api.get(f"/api/products/{product.pk}/stats/").json()
    return {key: body[key] for key in counted(product)}


def tree_unresolved(client, product: Product) -> int:
    html = client.get("/products/").content.decode()
    start = html.index(f'data-testid="figures-{product.pk}"')
    return int(re.search(r"<b>(\d+)</b> unresolved", html[start:]).group(1))


def map_project(api, capture, project, product) -> None:
    with capture(execute=True):
        response = api.post(
            f"/api/products/{product.pk}/sentry-projects/",
            {"project_ids": [project.pk], "on_conflict": "move"},
            format="json",
        )
    assert response.status_code == 200, response.json()


def mapped_products(api, capture, fake_sentry, admin) -> dict:
    """Two Sentry projects pulled: the first on Platform, the second on Checkout below it; Search
    has none yet."""
    second_id = fake_sentry.add_project("search-api")
    for n, level in enumerate(["fatal", "error", "error", "warning", "info"]):
        fake_sentry.add_issue(second_id, level=level, count=n + 2, user_count=n)
    add_issues(fake_sentry, total=4, matching=0)  # errors in the first project
    pull(capture)
    platform = product_create(organization=admin.organization, name="Platform")
    checkout = product_create(organization=admin.organization, name="Checkout", parent=platform)
    search = product_create(organization=admin.organization, name="Search")
    first = SentryProject.objects.exclude(slug="search-api").get()
    second = SentryProject.objects.get(slug="search-api")
    map_project(api, capture, first, platform)
    map_project(api, capture, second, checkout)
    return {
        "platform": platform,
        "checkout": checkout,
        "search": search,
        "second": second,
        "second_id": second_id,
    }


def test_the_figures_follow_every_change_of_the_issues(
    client, client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    api = client_for(admin)
    client.force_login(admin)
    world = mapped_products(api, capture, fake_sentry, admin)
    platform, checkout, second = world["platform"], world["checkout"], world["second"]

    def check() -> None:
        for product in (platform, checkout, world["search"]):
            assert served(api, product) == counted(product)
        assert tree_unresolved(client, platform) == counted(platform)["unresolved_issues"]
        projects = {pk: (n, events) for pk, n, events in served_per_project(api)}
        assert projects == counted_per_project()

    check()
    assert counted(platform)["unresolved_issues"] > counted(checkout)["unresolved_issues"] > 0

    issue = SentryIssue.objects.filter(project=second, status="unresolved").order_by("pk").first()
    before = served(api, checkout)["unresolved_issues"]
    with capture(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    assert served(api, checkout)["unresolved_issues"] == before - 1
    check()
    with capture(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/unresolve/").status_code == 200
    assert served(api, checkout)["unresolved_issues"] == before
    check()

    added = add_issues(fake_sentry, total=3, matching=0)  # new, in the first project
    fake_sentry.add_issue(world["second_id"], level="fatal")
    pull(capture)
    fake_sentry.record_events(added[0], 40, users=3)
    pull(capture)
    check()

    map_project(api, capture, second, world["search"])  # moved, with its open issues
    assert served(api, checkout)["unresolved_issues"] == 0
    check()

    fake_sentry.delete_issue(added[1])  # gone from Sentry
    with capture(execute=True):
        call_command("sync_sentry", "--force", stdout=StringIO())
    check()


def test_the_project_list_orders_by_the_stored_figures(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    api = client_for(admin)
    world = mapped_products(api, capture, fake_sentry, admin)  # 5 unresolved issues, and 4
    second, platform = world["second"], world["platform"]
    for ordering in ("-unresolved_issues", "unresolved_events"):
        rows = served_per_project(api, ordering)
        figure = 1 if ordering == "-unresolved_issues" else 2
        assert [row[figure] for row in rows] == sorted(
            (row[figure] for row in rows), reverse=ordering.startswith("-")
        )
    assert served_per_project(api, "-unresolved_issues")[0][0] == second.pk

    for issue in SentryIssue.objects.filter(project=second).order_by("pk")[:2]:
        with capture(execute=True):
            assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    first = served_per_project(api, "-unresolved_issues")[0]
    assert first[0] != second.pk
    assert first[1:] == counted_per_project()[first[0]]
    overview = api.get(f"/api/products/{platform.pk}/overview/").json()["sentry_projects"]
    assert {
        row["id"]: (row["unresolved_issues"], row["unresolved_events"]) for row in overview
    } == counted_per_project()


def test_open_tickets_and_customer_issues_follow_their_items(client):
    world = World()
    client.force_login(AdminFactory(organization=world.organization))
    world.map_tracker_project(0, 0)
    tickets = [world.ticket(0, "high") for _ in range(3)]
    issues = [world.customer_issue("low") for _ in range(2)]
    for issue, ticket in zip(issues, tickets, strict=False):  # as a ticket made for each leaves it
        TicketLink.objects.create(
            ticket=ticket,
            tracker_project=world.tracker_projects[0],
            source_type=ContentType.objects.get_for_model(CustomerIssue),
            source_id=issue.pk,
            created_via=TicketLink.CreatedVia.MANUAL,
        )
        world.observe(Source.CUSTOMER, [issue.pk])

    def figures(product: int) -> tuple[int, int]:
        html = client.get("/products/").content.decode()
        start = html.index(f'data-testid="figures-{world.products[product].pk}"')
        part = html[start : html.index("</span>\n    </span>", start)]
        tickets = int(re.search(r"<b>(\d+)</b> open tickets", part).group(1))
        customer = int(re.search(r"<b>(\d+)</b> customer issues", part).group(1))
        return tickets, customer

    assert figures(0) == (3, 2)
    world.ticket_set(tickets[0].pk, "done")
    world.customer_set(issues[0].pk, "resolved")
    assert figures(0) == (2, 1)
    world.ticket_set(tickets[0].pk, "todo")
    world.customer_set(issues[0].pk, "open")
    assert figures(0) == (3, 2)
    world.map_tracker_project(0, 1)  # the tickets move, and the customer issues with them
    assert (figures(0), figures(1)) == ((0, 0), (3, 2))
    CustomerIssue.objects.filter(pk=issues[1].pk).delete()
    world.observe(Source.CUSTOMER, [issues[1].pk])
    assert figures(1) == (3, 1)


def test_the_rebuild_recomputes_the_open_counts(client_for, admin, tracker):
    call_command("rebuild_insights", stdout=StringIO())
    stored = set(OpenCount.objects.values_list("product_key", "source", "bucket", "open", "events"))
    assert stored
    OpenCount.objects.update(open=999)
    OpenCount.objects.create(organization=admin.organization, source="ticket", bucket="x", open=5)
    call_command("rebuild_insights", stdout=StringIO())
    assert (
        set(OpenCount.objects.values_list("product_key", "source", "bucket", "open", "events"))
        == stored
    )


def test_the_tree_costs_the_same_queries_for_5_and_50_products(client):
    world = World()
    client.force_login(AdminFactory(organization=world.organization))
    world.map_sentry_project(0, 0)
    world.sentry_issue(0, "error")

    def queries(total: int) -> int:
        products = list(Product.objects.filter(organization=world.organization))
        while len(products) < total:  # a tree three levels deep, or more
            parent = products[len(products) // 3]
            products.append(
                product_create(organization=world.organization, name="P", parent=parent)
            )
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/products/").status_code == 200
        return len(captured)

    assert queries(5) == queries(50)
