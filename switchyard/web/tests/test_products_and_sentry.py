"""Products (tree, figures rolled up, product page) and Sentry issues (filters, selection actions)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.products.tests.factories import ProductFactory
from switchyard.trackers.models import TicketLink
from switchyard.trackers.services import ticket_create_for_source
from switchyard.web.tests.factories import CustomerIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapped(tracker, admin):
    """Platform > Checkout; one Sentry project on each, the tracker project on Checkout."""
    platform = ProductFactory(organization=admin.organization, name="Platform")
    checkout = ProductFactory(parent=platform, name="Checkout")
    first, second = SentryProject.objects.order_by("slug")
    first.product, second.product = platform, checkout
    first.save(), second.save()
    tracker.project.product = checkout
    tracker.project.save()
    return {"platform": platform, "checkout": checkout, "projects": (first, second)}


def unresolved(project=None):
    issues = SentryIssue.objects.filter(status="unresolved", is_deleted=False)
    return issues.filter(project=project) if project else issues


def test_the_tree_rolls_figures_up_through_sub_products(client, admin, tracker, mapped):
    client.force_login(admin)
    first, second = mapped["projects"]
    issue = CustomerIssueFactory(organization=admin.organization)
    ticket_create_for_source(source=issue, tracker_project=tracker.project)
    # Projects mapped by saving them, and the events of the pull and the ticket not delivered (the
    # test's transaction never commits): insights counts the rows again, as after an upgrade.
    call_command("rebuild_insights", stdout=open("/dev/null", "w"))
    html = client.get("/products/").content.decode()
    platform, checkout = mapped["platform"], mapped["checkout"]

    def figures(product):
        start = html.index(f'data-testid="figures-{product.pk}"')
        return html[start : html.index("</span>\n    </span>", start)]

    assert f"<b>{unresolved(second).count()}</b> unresolved" in figures(checkout)
    assert f"<b>{unresolved().count()}</b> unresolved" in figures(platform)
    assert "<b>1</b> customer issues" in figures(platform)
    assert "<b>1</b> customer issues" in figures(checkout)


def test_the_product_page(client, admin, tracker, mapped):
    client.force_login(admin)
    checkout = mapped["checkout"]
    html = client.get(f"/products/{checkout.pk}/").content.decode()
    assert mapped["projects"][1].name in html and mapped["projects"][0].name not in html
    assert tracker.project.name in html
    assert f"/sentry/?product={checkout.pk}" in html


def test_products_permissions_and_other_organizations(signed_in, people, admin, tracker, mapped):
    url = f"/products/{mapped['checkout'].pk}/"
    assert signed_in(people["customer"]).get("/products/").status_code == 403
    assert signed_in(people["customer"]).get(url).status_code == 403
    assert signed_in(people["outsider"]).get(url).status_code == 404
    assert "Checkout" not in signed_in(people["outsider"]).get("/products/").content.decode()
    for role in ("employee", "vendor"):
        person = people[role]
        person.organization = admin.organization
        person.save()
        assert signed_in(person).get(url).status_code == 200


def test_sentry_filters(client, admin, tracker, mapped):
    client.force_login(admin)
    first, second = mapped["projects"]
    html = client.get(f"/sentry/?product={mapped['checkout'].pk}&page_size=200").content.decode()
    assert all(issue.short_id in html for issue in SentryIssue.objects.filter(project=second))
    assert not any(
        issue.short_id + "<" in html for issue in SentryIssue.objects.filter(project=first)
    )
    level = unresolved().first().level
    html = client.get(f"/sentry/?level={level}&status=unresolved&page_size=200").content.decode()
    assert html.count('name="issues"') == unresolved().filter(level=level).count()
    html = client.get("/sentry/?ticket=yes").content.decode()
    assert "No Sentry issues match" in html
    html = client.get("/sentry/?last_seen=bogus").content.decode()
    assert "Select a valid choice" in html


def test_create_tickets_for_selected_issues_then_again(
    client, admin, tracker, mapped, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    checkout = mapped["checkout"]
    html = client.get(f"/sentry/?product={checkout.pk}").content.decode()
    assert f'<option value="{tracker.project.pk}" selected>' in html  # the product's project
    chosen = list(unresolved(mapped["projects"][1])[:3])
    data = {
        "issues": [i.pk for i in chosen],
        "action": "tickets",
        "tracker_project": tracker.project.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sentry/selection/", data, follow=True)
    assert "3 tickets created in" in response.content.decode()
    links = TicketLink.objects.filter(source_type__model="sentryissue", ticket__isnull=False)
    assert links.count() == 3
    response = client.post("/sentry/selection/", data, follow=True)
    assert "3 already had a ticket there" in response.content.decode()
    html = client.get("/sentry/?ticket=yes").content.decode()
    assert all(link.ticket.key in html for link in links)


def test_resolve_and_ignore_selected(client, admin, tracker, mapped):
    client.force_login(admin)
    first, second = unresolved()[:2]
    client.post("/sentry/selection/", {"issues": [first.pk], "action": "resolved"})
    client.post("/sentry/selection/", {"issues": [second.pk], "action": "ignored"})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == ("resolved", "ignored")


def test_selection_bad_input_writes_nothing(signed_in, people, admin, tracker, mapped):
    client = signed_in(admin)
    issue = unresolved().first()
    for data, message in [
        ({"issues": [issue.pk], "action": "tickets"}, "Choose the tracker project"),
        ({"issues": [issue.pk], "action": "explode"}, "valid choice"),
        ({"action": "resolved"}, "This field is required."),
        ({"issues": [issue.pk], "action": "tickets", "tracker_project": 999999}, "valid choice"),
    ]:
        assert message in client.post("/sentry/selection/", data, follow=True).content.decode()
    outsider = signed_in(people["outsider"])
    outsider.post("/sentry/selection/", {"issues": [issue.pk], "action": "resolved"})
    issue.refresh_from_db()
    assert issue.status == "unresolved" and not TicketLink.objects.exists()
    assert signed_in(people["customer"]).get("/sentry/").status_code == 403


def test_lists_cost_the_same_queries_at_any_page_size(client, admin, tracker, mapped):
    client.force_login(admin)
    for issue in unresolved()[:5]:
        ticket_create_for_source(source=issue, tracker_project=tracker.project)
        CustomerIssueFactory(organization=admin.organization)
    for customer_issue in admin.organization.customer_issues.all():
        ticket_create_for_source(source=customer_issue, tracker_project=tracker.project)

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    product = f"/products/{mapped['checkout'].pk}/"
    sentry = "/sentry/?status=unresolved"
    assert queries(f"{sentry}&page_size=1") == queries(f"{sentry}&page_size=200") <= 10
    assert queries(f"{product}?page_size=1") == queries(f"{product}?page_size=200") <= 20
    assert queries("/products/") <= 8


def test_the_product_page_counts_the_tickets_rules_made_this_week(
    signed_in, admin, people, tracker, mapped
):
    platform, checkout = mapped["platform"], mapped["checkout"]
    issues = list(unresolved(mapped["projects"][1])[:3])
    for issue in issues[:2]:
        ticket_create_for_source(source=issue, tracker_project=tracker.project, via="rule")
    ticket_create_for_source(source=issues[2], tracker_project=tracker.project)

    def automation(user, product):
        html = signed_in(user).get(f"/products/{product.pk}/").content.decode()
        start = html.index('data-testid="automation"')
        return html[start : html.index("</div>", start)]

    assert "<b>2</b><span>tickets auto-created this week" in automation(admin, checkout)
    assert "<b>2</b>" in automation(admin, platform)  # rolled up from its sub-product
    assert "/admin/automation/automationrule/" in automation(admin, checkout)
    employee = people["employee"]
    employee.organization = admin.organization
    employee.save()
    seen = automation(employee, checkout)
    assert "<b>2</b>" in seen and "/admin/" not in seen  # the rules live in the admin
