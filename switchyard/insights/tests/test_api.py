"""The dashboards over HTTP: figures, CSV, the health score's parts, permissions, isolation,
empty organizations and bad input."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from switchyard.accounts.tests.factories import AdminFactory, TeamFactory, UserFactory
from switchyard.insights.models import Source
from switchyard.insights.tests.world import World
from switchyard.products.services import product_create, product_update

pytestmark = pytest.mark.django_db
ENDPOINTS = ["/api/insights/", "/api/insights/teams/", "/api/insights/automation/"]


@pytest.fixture
def world():
    world = World(start=timezone.now() - timedelta(days=5))
    world.map_sentry_project(0, 0)
    world.map_tracker_project(0, 0)
    fatal = world.sentry_issue(0, "fatal", events=40)
    world.sentry_issue(0, "error")
    world.tick(24)
    ticket = world.ticket(0, "urgent")
    world.tick(24)
    world.sentry_set(fatal.pk, status="resolved")
    world.tick(24)
    world.sentry_set(fatal.pk, status="unresolved")  # a regression
    world.ticket_set(ticket.pk, "done")
    return world


def admin_of(world):
    return AdminFactory(organization=world.organization)


def test_a_window_opening_after_the_history_starts_carries_the_backlog_open_at_its_start(
    client_for, world
):
    # Both issues opened five days ago; the fatal one was resolved three days ago, reopened two.
    product = world.products[0]
    start = (timezone.now() - timedelta(days=2)).date()  # the day of the reopening
    body = (
        client_for(admin_of(world))
        .get(f"/api/insights/products/{product.pk}/", {"from": start.isoformat()})
        .json()
    )
    sentry = [row for row in body["series"] if row["source"] == Source.SENTRY]
    assert [row["open_at_end"] for row in sentry] == [2, 2, 2]


def test_the_product_dashboard_has_trends_health_and_open_items(client_for, world):
    product = world.products[0]
    body = client_for(admin_of(world)).get(f"/api/insights/products/{product.pk}/").json()
    sentry = [row for row in body["series"] if row["source"] == Source.SENTRY]
    assert len(sentry) == 30 and sum(row["new"] for row in sentry) == 2
    assert (sum(r["resolved"] for r in sentry), sum(r["reopened"] for r in sentry)) == (1, 1)
    assert sentry[-1]["open_at_end"] == 2
    assert sum(row["events"] for row in sentry) == 45
    tickets = [row for row in body["series"] if row["source"] == Source.TICKET]
    closed = [row for row in tickets if row["resolved"]]
    assert len(closed) == 1 and closed[0]["mean_hours_to_resolve"] == 48.0
    assert {(r["source"], r["bucket"]): r["open"] for r in body["open_now"]} == {
        ("sentry", "fatal"): 1,
        ("sentry", "error"): 1,
    }
    (health,) = body["health"]
    # fatal 10 x (1 + 3/100) + error 5 x (1 + 3/100) = 15.45 -> 7.7; one regression -> 3;
    # net new this week 2 + 1 - 1 - 1 = 1 -> 1.
    assert health["weighted_unresolved"] == 15.4 or health["weighted_unresolved"] == 15.5
    assert (health["regressions_7d"], health["net_new_7d"]) == (1, 1)
    assert health["penalty_regressions"] == 3 and health["penalty_trend"] == 1
    assert health["score"] == round(100 - 15.45 / 2 - 3 - 1)


def test_a_parent_combines_its_sub_products_by_priority(client_for, world):
    parent = product_create(organization=world.organization, name="Platform", priority="high")
    for product, priority in zip(world.products, ["critical", "low"], strict=True):
        product.refresh_from_db()
        parent.refresh_from_db()
        product_update(product=product, parent=parent, priority=priority)
    body = client_for(admin_of(world)).get(f"/api/insights/products/{parent.pk}/").json()
    scores = {row["product"]: row for row in body["health"]}
    first, second = world.products
    assert scores[second.pk]["score"] == 100
    expected = round((4 * scores[first.pk]["score"] + 1 * 100) / 5)
    assert scores[parent.pk]["score"] == expected
    overview = client_for(admin_of(world)).get("/api/insights/").json()
    assert [row["product"] for row in overview["products"]] == [parent.pk]


def test_every_table_comes_as_csv(client_for, world):
    api = client_for(admin_of(world))
    product = world.products[0]
    response = api.get(f"/api/insights/products/{product.pk}/?format=csv&interval=week")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["source"] for row in rows} == set(Source.values)
    assert sum(int(row["new"]) for row in rows if row["source"] == "sentry") == 2
    health = api.get(
        f"/api/insights/products/{product.pk}/?table=health", HTTP_ACCEPT="text/csv"
    ).content.decode()
    assert health.splitlines()[0].startswith("product,full_path,parent,priority,score")
    for url in ENDPOINTS:
        assert api.get(url, {"format": "csv"}).status_code == 200


def test_teams_and_automation(client_for, world):
    api = client_for(admin_of(world))
    teams = api.get("/api/insights/teams/").json()
    assert [(r["source"], r["open"], r["closed"]) for r in teams["assignees"]] == [("ticket", 0, 1)]
    assert [(r["product"], r["open"], r["closed"]) for r in teams["products"]] == [
        (world.products[0].pk, 0, 1)
    ]
    rules = api.get("/api/insights/automation/?interval=week").json()["rules"]
    assert rules == []


def test_empty_organizations_get_zeros_not_errors(client_for):
    api = client_for(AdminFactory())
    for url in ENDPOINTS:
        assert api.get(url).status_code == 200
        assert api.get(url, {"format": "csv"}).status_code == 200
    body = api.get("/api/insights/").json()
    assert body["products"] == [] and body["movers"] == []
    assert all(
        row["open_at_end"] == 0 and row["mean_hours_to_resolve"] is None for row in body["series"]
    )
    lonely = product_create(organization=AdminFactory().organization, name="Empty")
    admin = AdminFactory(organization=lonely.organization)
    body = client_for(admin).get(f"/api/insights/products/{lonely.pk}/").json()
    assert body["health"][0]["score"] == 100 and body["resolution"] == []
    assert api.get(f"/api/insights/products/{lonely.pk}/").status_code == 404


def test_another_organization_sees_none_of_it(client_for, world):
    stranger = client_for(AdminFactory())
    assert stranger.get(f"/api/insights/products/{world.products[0].pk}/").status_code == 404
    team = TeamFactory(organization=world.organization)
    assert client_for(admin_of(world)).get(f"/api/insights/teams/{team.pk}/").status_code == 200
    assert stranger.get(f"/api/insights/teams/{team.pk}/").status_code == 404
    customer = client_for(UserFactory(role="customer"))
    assert customer.get(f"/api/insights/teams/{team.pk}/").status_code == 403
    bad = client_for(admin_of(world)).get(f"/api/insights/teams/{team.pk}/", {"interval": "hour"})
    assert bad.status_code == 400 and "interval" in bad.json()
    series = stranger.get("/api/insights/").json()["series"]
    assert sum(row["new"] for row in series) == 0


def test_only_staff_of_the_organization_read_insights(client_for, api_client, world):
    for url in ENDPOINTS:
        assert api_client.get(url).status_code == 401
        assert client_for(UserFactory(role="customer")).get(url).status_code == 403
        assert (
            client_for(UserFactory(organization=world.organization, role="employee"))
            .get(url)
            .status_code
            == 200
        )


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"interval": "month"}, "interval"),
        ({"format": "csv", "table": "nope"}, "table"),
        ({"format": "csv", "from": "2026-02-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, world, query, field):
    response = client_for(admin_of(world)).get("/api/insights/", query)
    assert response.status_code == 400
    assert field in response.json()  # JSON even when CSV was asked for


def test_resolution_times_of_tickets_made_from_sentry_issues(client_for, world):
    from django.contrib.contenttypes.models import ContentType

    from switchyard.insights.services import link_observe
    from switchyard.monitoring.models import SentryIssue
    from switchyard.trackers.models import TicketLink

    issue = SentryIssue.objects.filter(project=world.sentry_projects[0]).order_by("pk").first()
    world.tick(6)
    ticket = world.ticket(0, "high")  # 3 days and 6 hours after the issue was first seen
    link = TicketLink.objects.create(
        ticket=ticket,
        tracker_project=ticket.tracker_project,
        source_type=ContentType.objects.get_for_model(SentryIssue),
        source_id=issue.pk,
        created_via=TicketLink.CreatedVia.BULK,
    )
    assert link_observe(link_id=link.pk) and not link_observe(link_id=link.pk)  # counted once
    world.tick(10)
    world.ticket_set(ticket.pk, "done")
    body = client_for(admin_of(world)).get(f"/api/insights/products/{world.products[0].pk}/").json()
    rows = {(r["group"], r["measure"]): r for r in body["resolution"]}
    assert rows[("product", "to_ticket")]["median_hours"] == 78.0
    assert rows[("product", "to_ticket_closed")]["p90_hours"] == 88.0
    assert rows[("product", "to_issue_resolved")]["pairs"] == 0  # the issue is open again
    assert sum(r["tickets_bulk"] for r in body["series"]) == 1


def test_the_score_is_recorded_once_a_day_by_the_scheduler(client_for, world):
    from freezegun import freeze_time

    from switchyard.sync.scheduler import schedule_due_work

    product = world.products[0]
    today = timezone.now()
    for moment in [today, today + timedelta(minutes=5), today + timedelta(days=1)]:
        with freeze_time(moment):
            schedule_due_work()
    with freeze_time(today + timedelta(days=1)):
        body = client_for(admin_of(world)).get(f"/api/insights/products/{product.pk}/").json()
    history = body["health_history"]
    assert [row["day"] for row in history] == [
        today.date().isoformat(),
        (today + timedelta(days=1)).date().isoformat(),
    ]
    assert history[-1]["score"] == body["health"][0]["score"]
