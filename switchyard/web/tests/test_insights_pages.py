"""Insights pages: the organization dashboard, a product's charts and a team's, each chart with
its numbers as a table; who may open them; empty organizations; bad input."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)
from switchyard.insights.models import Source
from switchyard.insights.tests.world import World
from switchyard.products.services import product_create
from switchyard.trackers.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two products of one team: Sentry issues (one resolved) and tickets (one closed, assigned)."""
    world = World(start=timezone.now() - timedelta(days=4))
    world.team = TeamFactory(organization=world.organization, name="Payments")
    for product in world.products:
        product.owning_team = world.team
        product.save(update_fields=["owning_team"])
    world.map_sentry_project(0, 0)
    world.map_tracker_project(0, 1)
    first = world.sentry_issue(0, "fatal", events=40)
    world.sentry_issue(0, "error")
    world.tick(24)
    ticket = world.ticket(0, "high")
    Ticket.objects.filter(pk=ticket.pk).update(assignee_email="dev@example.com")
    world.ticket(0, "low")
    world.tick(24)
    world.sentry_set(first.pk, status="resolved")
    world.ticket_set(ticket.pk, "done")
    return world


def chart_data(html: str, key: str) -> dict:
    """The JSON a chart is drawn from (its <script type="application/json">)."""
    match = re.search(
        rf'<script id="chart-data-{key}" type="application/json">(.*?)</script>', html
    )
    assert match, f"no data for chart {key}"
    return json.loads(match.group(1))


def table_of(html: str, key: str) -> list[list[str]]:
    """The rows of the table under a chart: its label, then one cell per data set."""
    start = html.index(f'data-testid="chart-{key}"')
    body = html[html.index("<tbody>", start) : html.index("</tbody>", start)]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_dashboard_draws_health_movers_and_trends_from_the_api_figures(client, world):
    admin = AdminFactory(organization=world.organization)
    client.force_login(admin)
    html = client.get("/insights/").content.decode()
    api = client.get("/api/insights/").json()

    health = chart_data(html, "health")
    assert health["labels"] == [row["full_path"] for row in api["products"]]
    assert health["datasets"][0]["data"] == [row["score"] for row in api["products"]]
    assert table_of(html, "health") == [
        [row["full_path"], str(row["score"])] for row in api["products"]
    ]
    movers = chart_data(html, "movers")
    assert movers["datasets"][0]["data"] == [row["open_change_7d"] for row in api["movers"]]

    flow = chart_data(html, "org-flow")
    sentry = [row for row in api["series"] if row["source"] == Source.SENTRY]
    assert len(flow["labels"]) == 30
    new, resolved = flow["datasets"][0], flow["datasets"][1]
    assert new["label"] == "Sentry issues: new" and sum(new["data"]) == 2
    assert new["data"] == [row["new"] for row in sentry]
    assert resolved["data"] == [row["resolved"] for row in sentry] and sum(resolved["data"]) == 1
    rows = table_of(html, "org-flow")
    assert len(rows) == 30 and sum(int(row[1]) for row in rows) == 2
    backlog = chart_data(html, "org-backlog")
    assert backlog["datasets"][0]["data"][-1] == 1  # one Sentry issue still open
    assert f'href="/insights/teams/{world.team.pk}/"' in html
    # Drawn by the static script from that JSON: no inline script on the page.
    assert "/static/web/charts.js" in html and "/static/insights/vendor/chart.umd.min.js" in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)


def test_a_longer_window_by_week(client, world):
    client.force_login(AdminFactory(organization=world.organization))
    html = client.get("/insights/", {"days": 90}).content.decode()
    labels = chart_data(html, "org-flow")["labels"]
    assert 13 <= len(labels) <= 14 and labels[0].startswith("week of")
    daily = client.get("/insights/", {"days": 7, "interval": "day"}).content.decode()
    assert len(chart_data(daily, "org-flow")["labels"]) == 7


def test_bad_input_names_the_field(client, world):
    client.force_login(AdminFactory(organization=world.organization))
    response = client.get("/insights/", {"days": 13})
    assert response.status_code == 400 and "days" in response.content.decode()
    response = client.get(f"/insights/teams/{world.team.pk}/", {"interval": "hour"})
    assert response.status_code == 400 and "interval" in response.content.decode()


def test_a_product_page_loads_its_charts_and_their_tables(client, world):
    client.force_login(UserFactory(organization=world.organization))
    product = world.products[0]
    page = client.get(f"/products/{product.pk}/").content.decode()
    charts_url = f"/insights/products/{product.pk}/charts/"
    assert f'hx-get="{charts_url}"' in page and "/static/web/charts.js" in page
    html = client.get(charts_url).content.decode()
    api = client.get(f"/api/insights/products/{product.pk}/").json()
    assert 'data-testid="charts"' in html
    open_now = chart_data(html, "product-open")
    assert dict(zip(open_now["labels"], open_now["datasets"][0]["data"], strict=True)) == {
        "Sentry issues: error": 1
    }
    assert table_of(html, "product-open") == [["Sentry issues: error", "1"]]
    events = chart_data(html, "product-events")["datasets"][0]["data"]
    assert events == [r["events"] for r in api["series"] if r["source"] == Source.SENTRY]
    assert sum(events) == 45
    assert f"/api/insights/products/{product.pk}/?format=csv" in html
    weekly = client.get(charts_url, {"days": 90}).content.decode()
    assert chart_data(weekly, "product-flow")["labels"][0].startswith("week of")


def test_a_team_page_shows_workload_per_assignee_and_product(client, world):
    client.force_login(UserFactory(organization=world.organization))
    html = client.get(f"/insights/teams/{world.team.pk}/").content.decode()
    people = chart_data(html, "workload-people")
    assert people["labels"] == ["(nobody)", "dev@example.com"]
    assert [d["data"] for d in people["datasets"]] == [[1, 0], [0, 1]]  # open, closed
    assert table_of(html, "workload-people") == [
        ["(nobody)", "1", "0"],
        ["dev@example.com", "0", "1"],
    ]
    products = chart_data(html, "workload-products")
    world.products[1].refresh_from_db()
    assert products["labels"] == [world.products[1].full_path]
    flow = chart_data(html, "team-flow")
    assert sum(flow["datasets"][0]["data"]) == 2  # the Sentry issues of the team's products


def test_empty_organizations_get_pages_not_errors(client):
    admin = AdminFactory()
    client.force_login(admin)
    html = client.get("/insights/").content.decode()
    assert 'data-testid="no-products"' in html and "Nothing to show for this period." in html
    lonely = product_create(organization=admin.organization, name="Empty")
    assert client.get(f"/products/{lonely.pk}/").status_code == 200
    response = client.get(f"/insights/products/{lonely.pk}/charts/")
    assert (
        response.status_code == 200
        and "Nothing to show for this period." in response.content.decode()
    )
    team = TeamFactory(organization=admin.organization)
    response = client.get(f"/insights/teams/{team.pk}/")
    assert (
        response.status_code == 200
        and "Nothing to show for this period." in response.content.decode()
    )


@pytest.mark.parametrize(
    "who, dashboard, other",
    [
        ("anonymous", 302, 302),
        ("customer", 403, 403),
        ("vendor", 200, 200),
        ("employee", 200, 200),
        ("admin", 200, 200),
        ("outsider", 200, 404),
    ],
)
def test_who_may_open_the_insights_pages(client, world, who, dashboard, other):
    people = {
        "customer": lambda: CustomerFactory(),
        "vendor": lambda: UserFactory(organization=world.organization, role=Role.VENDOR),
        "employee": lambda: UserFactory(organization=world.organization),
        "admin": lambda: AdminFactory(organization=world.organization),
        "outsider": lambda: AdminFactory(organization=OrganizationFactory()),
    }
    if who != "anonymous":
        client.force_login(people[who]())
    assert client.get("/insights/").status_code == dashboard
    assert client.get(f"/insights/teams/{world.team.pk}/").status_code == other
    assert client.get(f"/insights/products/{world.products[0].pk}/charts/").status_code == other


def test_the_navigation_links_insights_for_staff_only(client, world):
    client.force_login(UserFactory(organization=world.organization))
    assert 'href="/insights/"' in client.get("/products/").content.decode()
    client.force_login(CustomerFactory())
    assert 'href="/insights/"' not in client.get("/portal/").content.decode()
