"""The ticket list (columns, filters, other organizations, queries), the inbox's product filter and
the product page's links to each list of the product."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchyard.automation.tests.factories import TrackerConnectionFactory, TrackerProjectFactory
from switchyard.monitoring.tests.factories import SentryConnectionFactory, SentryIssueFactory
from switchyard.products.tests.factories import ProductFactory
from switchyard.trackers.models import PriorityMapping
from switchyard.web.tests.factories import CustomerIssueFactory, TicketFactory, link

pytestmark = pytest.mark.django_db


def four_tickets(pay, web, ops) -> dict:
    return {
        "PAY-1": TicketFactory(
            tracker_project=pay, key="PAY-1", summary="Card declined twice", priority="High"
        ),
        "PAY-2": TicketFactory(
            tracker_project=pay,
            key="PAY-2",
            summary="Refund rounding",
            status="Done",
            status_category="done",
            priority="Low",
        ),
        "WEB-1": TicketFactory(
            tracker_project=web,
            key="WEB-1",
            summary="Slow search",
            status="In Progress",
            status_category="in_progress",
            priority="Medium",
        ),
        "OPS-1": TicketFactory(
            tracker_project=ops, key="OPS-1", summary="Rotate the keys", priority="High"
        ),
    }


def their_product_and_ticket(theirs, tickets: dict) -> tuple:
    """Another organization's product and tracker project, with a ticket added to ``tickets``."""
    their_product = ProductFactory(organization=theirs, name="Their shop")
    their_project = TrackerProjectFactory(
        connection=TrackerConnectionFactory(organization=theirs),
        key="OUT",
        name="Their project",
        product=their_product,
    )
    tickets["OUT-1"] = TicketFactory(tracker_project=their_project, key="OUT-1", summary="Theirs")
    link(tickets["OUT-1"], CustomerIssueFactory(organization=theirs, title="Their customer issue"))
    return their_product, their_project


@pytest.fixture
def world(org, people):
    """Platform > Checkout; PAY on Checkout, WEB on Platform, OPS on no product; four tickets, one
    tracking a Sentry issue and a customer issue. Another organization has its own product and
    project with one ticket."""
    platform = ProductFactory(organization=org, name="Platform")
    checkout = ProductFactory(parent=platform, name="Checkout")
    jira = TrackerConnectionFactory(organization=org)
    pay, web, ops = (
        TrackerProjectFactory(connection=jira, key=key, name=name, product=product)
        for key, name, product in [
            ("PAY", "Payments", checkout),
            ("WEB", "Storefront", platform),
            ("OPS", "Operations", None),
        ]
    )
    # OPS names its priorities otherwise: its "High" ticket is not a high one here.
    for project, high, low in [(pay, "High", "Low"), (web, "High", "Low"), (ops, "P1", "P4")]:
        PriorityMapping.objects.create(
            tracker_project=project, priority="high", remote_priority=high
        )
        PriorityMapping.objects.create(tracker_project=project, priority="low", remote_priority=low)
    tickets = four_tickets(pay, web, ops)
    sentry_issue = SentryIssueFactory(
        project__connection=SentryConnectionFactory(organization=org),
        short_id="SHOP-7",
        permalink="https://sentry.test/organizations/acme/issues/7/",
    )
    customer_issue = CustomerIssueFactory(organization=org, title="My card was declined")
    link(tickets["PAY-1"], sentry_issue)
    link(tickets["PAY-1"], customer_issue)
    their_product, their_project = their_product_and_ticket(
        people["outsider"].organization, tickets
    )
    return {
        "platform": platform,
        "checkout": checkout,
        "pay": pay,
        "web": web,
        "tickets": tickets,
        "sentry_issue": sentry_issue,
        "customer_issue": customer_issue,
        "their_product": their_product,
        "their_project": their_project,
    }


def keys(client, query="", **headers) -> list[str]:
    response = client.get(f"/tickets/?{query}", headers=headers)
    assert response.status_code == 200
    return re.findall(
        r'<tr data-testid="ticket-\d+">\s*<td class="mono"><a [^>]*>([A-Z]+-\d+)<',
        response.content.decode(),
    )


def test_each_ticket_with_its_tracker_status_priority_project_product_and_sources(
    signed_in, people, world
):
    html = signed_in(people["employee"]).get("/tickets/").content.decode()
    pay_1, sentry_issue = world["tickets"]["PAY-1"], world["sentry_issue"]
    row = html[html.index(f'data-testid="ticket-{pay_1.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f'<a href="{pay_1.url}" target="_blank" rel="noopener">PAY-1</a>' in row
    assert "Card declined twice" in row
    assert '<span class="pill st-todo" title="To do">To Do</span>' in row
    assert '<span class="pill pr-high" title="High">High</span>' in row
    assert f"project={world['pay'].pk}" in row and "Payments" in row
    assert f'href="/products/{world["checkout"].pk}/">Checkout</a>' in row
    assert 'href="/sentry/?q=SHOP-7">SHOP-7</a>' in row and sentry_issue.permalink in row
    customer_issue = world["customer_issue"]
    assert f'href="/inbox/issues/{customer_issue.pk}/">{customer_issue.issue_number}</a>' in row
    done = html[html.index(f'data-testid="ticket-{world["tickets"]["PAY-2"].pk}"') :]
    assert '<span class="pill st-done" title="Done">Done</span>' in done[: done.index("</tr>")]
    ops = html[html.index(f'data-testid="ticket-{world["tickets"]["OPS-1"].pk}"') :]
    assert 'title="High in the tracker, mapped to no priority here">—<' in ops[: ops.index("</tr>")]
    assert "OUT-1" not in html and "Their customer issue" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"PAY-1", "PAY-2", "WEB-1", "OPS-1"}),
        ("product={checkout}", {"PAY-1", "PAY-2"}),
        ("product={platform}", {"PAY-1", "PAY-2", "WEB-1"}),
        ("project={web}", {"WEB-1"}),
        ("status=open", {"PAY-1", "WEB-1", "OPS-1"}),
        ("status=closed", {"PAY-2"}),
        ("priority=high", {"PAY-1"}),
        ("priority=low", {"PAY-2"}),
        ("source=yes", {"PAY-1"}),
        ("source=no", {"PAY-2", "WEB-1", "OPS-1"}),
        ("q=pay-2", {"PAY-2"}),
        ("q=SEARCH", {"WEB-1"}),
        ("product={platform}&status=open&source=no", {"WEB-1"}),
    ],
)
def test_each_filter_narrows_the_list(signed_in, people, world, query, expected):
    ids = {name: world[name].pk for name in ("checkout", "platform", "web")}
    assert set(keys(signed_in(people["vendor"]), query.format(**ids))) == expected


def test_ordering_and_the_htmx_partial(signed_in, people, world):
    client = signed_in(people["admin"])
    assert keys(client, "ordering=key") == ["OPS-1", "PAY-1", "PAY-2", "WEB-1"]
    assert keys(client, "ordering=remote_created_at") == ["PAY-1", "PAY-2", "WEB-1", "OPS-1"]
    assert "Select a valid choice" in client.get("/tickets/?ordering=-key").content.decode()
    html = client.get("/tickets/?status=closed", headers={"HX-Request": "true"}).content.decode()
    assert html.startswith('<div id="results">') and "PAY-2" in html and "<h1>" not in html


def test_another_organizations_rows_and_choices_never_show(signed_in, people, world):
    client = signed_in(people["admin"])
    html = client.get("/tickets/").content.decode()
    assert "Their shop" not in html and "Their project" not in html
    for query in (f"product={world['their_product'].pk}", f"project={world['their_project'].pk}"):
        html = client.get(f"/tickets/?{query}").content.decode()
        assert "Select a valid choice" in html
        assert "OUT-1" not in html and "Their" not in html
    outsider = signed_in(people["outsider"])
    assert keys(outsider) == ["OUT-1"]
    assert keys(outsider, f"product={world['checkout'].pk}") == ["OUT-1"]  # ignored, with an error


def test_customers_are_refused_and_anonymous_people_sign_in(client, signed_in, people, world):
    assert client.get("/tickets/")["Location"].startswith("/login/")
    response = signed_in(people["customer"]).get("/tickets/")
    assert response.status_code == 403
    assert "PAY-1" not in response.content.decode()


def test_the_list_costs_the_same_queries_at_any_page_size(signed_in, people, world):
    org = people["admin"].organization
    sentry = SentryConnectionFactory(organization=org)
    for _ in range(60):
        ticket = TicketFactory(tracker_project=world["pay"], priority="High")
        link(ticket, SentryIssueFactory(project__connection=sentry))
        link(ticket, CustomerIssueFactory(organization=org))
    client = signed_in(people["employee"])

    def queries(size):
        with CaptureQueriesContext(connection) as context:
            assert len(keys(client, f"page_size={size}&product={world['platform'].pk}")) == size
        return len(context)

    assert queries(5) == queries(50) <= 12


def test_the_inbox_filters_by_product_and_its_sub_products(signed_in, people, world):
    client = signed_in(people["employee"])
    mine = world["customer_issue"]
    unlinked = CustomerIssueFactory(
        organization=people["admin"].organization, title="No ticket yet"
    )

    def titles(query):
        html = client.get(f"/inbox/?{query}").content.decode()
        return {t for t in (mine.title, unlinked.title, "Their customer issue") if t in html}

    assert titles("") == {mine.title, unlinked.title}
    assert titles(f"product={world['checkout'].pk}") == {mine.title}
    assert titles(f"product={world['platform'].pk}") == {mine.title}
    web_only = ProductFactory(parent=world["platform"], name="Mobile")
    assert titles(f"product={web_only.pk}") == set()
    html = client.get(f"/inbox/?product={world['their_product'].pk}").content.decode()
    assert "Select a valid choice" in html and "Their" not in html


def test_the_product_page_links_to_each_list_of_the_product(signed_in, people, world):
    checkout, pay = world["checkout"], world["pay"]
    html = signed_in(people["admin"]).get(f"/products/{checkout.pk}/").content.decode()
    lists = html[html.index('data-testid="product-lists"') :]
    lists = lists[: lists.index("</div>")]
    for url in (
        f"/sentry/?product={checkout.pk}&amp;status=unresolved",
        f"/tickets/?product={checkout.pk}",
        f"/inbox/?product={checkout.pk}",
    ):
        assert f'href="{url}"' in lists
    project = html[html.index(f'data-testid="tracker-project-{pay.pk}"') :]
    assert f'href="/tickets/?project={pay.pk}"' in project[: project.index("</p>")]
