"""The web app's daily journeys, driven in a real Chromium."""

import pytest

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import (
    CustomerFactory,
    OrderFactory,
    UserFactory,
    VendorFactory,
)
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.products.tests.factories import ProductFactory
from switchyard.support import services as support
from switchyard.support.models import CustomerIssue, SupportSettings
from switchyard.sync.models import OutboxEntry
from switchyard.trackers.models import TicketLink
from switchyard.trackers.services import ticket_create_for_source
from switchyard.trackers.tests.fixtures import ticket_key_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_customer_raises_an_issue_comments_and_reads_the_answer(browser, admin):
    org = admin.organization
    other = UserFactory(role=Role.ADMIN).organization
    customer = CustomerFactory(first_name="Cory", last_name="Customer")
    OrderFactory(organization=org, customer=customer, number="1042")
    OrderFactory(organization=other, customer=customer, number="7777")
    VendorFactory(organization=org, name="Swift Couriers")
    employee = UserFactory(organization=org, first_name="Eli", last_name="Employee")

    browser.sign_in(customer)
    assert "Customer" in browser.find("[data-testid=role]").text
    browser.find("a.btn-primary").click()
    browser.wait_for("#id_organization")
    browser.choose("#id_organization", org.name)
    # The order list follows the organization (htmx swaps the vendor and order fields).
    browser.wait_until(lambda: "Order 1042" in browser.find("#id_order").text)
    assert "7777" not in browser.find("#id_order").text
    browser.fill("#id_title", "Order 1042 arrived damaged")
    browser.fill("#id_description", "The box was crushed.")
    browser.choose("#id_priority", "High")
    browser.choose("#id_category", "Delivery")
    browser.choose("#id_vendor", "Swift Couriers")
    browser.choose("#id_order", browser.find("#id_order option:last-child").text)
    browser.screenshot("portal-raise")
    browser.submit("main form")
    issue = CustomerIssue.objects.get()
    assert f"{issue.issue_number} raised" in browser.text
    assert issue.order.number == "1042" and issue.priority == "high"

    browser.fill("#id_text", "Can you send a new one?")
    browser.submit("main form.card form, section form")
    assert "Can you send a new one?" in browser.find("[data-testid=timeline]").text

    browser.sign_in(employee)
    browser.open(f"/inbox/issues/{issue.pk}/")
    assert "Can you send a new one?" in browser.text
    browser.fill("#id_text", "A replacement is on its way.")
    browser.submit("form:has(input[value=comment])")

    browser.sign_in(customer)
    browser.open("/portal/")
    assert issue.issue_number in browser.text
    browser.find(f"a[href='/portal/issues/{issue.pk}/']").click()
    browser.wait_for("[data-testid=timeline]")
    timeline = browser.find("[data-testid=timeline]").text
    assert "A replacement is on its way." in timeline and "Eli Employee" in timeline
    browser.screenshot("portal-issue")


@pytest.mark.parametrize("tracker", ["linear"], indirect=True)
def test_a_vendor_triages_the_inbox_and_linear_follows(browser, admin, tracker):
    org = admin.organization
    settings = SupportSettings.objects.create(organization=org)
    tracker.use_for_support(settings, tracker.project)
    vendor = UserFactory(
        organization=org,
        role=Role.VENDOR,
        vendor=VendorFactory(organization=org),
        first_name="Val",
        last_name="Vendor",
    )
    customer = CustomerFactory()
    urgent = support.issue_raise(
        customer=customer,
        organization=org,
        title="Payment taken twice",
        description="Charged two times.",
        priority="high",
        category="billing",
    ).issue
    support.issue_raise(
        customer=customer,
        organization=org,
        title="Wrong colour",
        description="Ordered blue.",
        priority="low",
        category="quality",
    )
    key = ticket_key_of(urgent.pk)

    browser.sign_in(vendor)
    browser.open("/inbox/")
    assert "Wrong colour" in browser.text and "Payment taken twice" in browser.text
    browser.choose("select[name=priority]", "High")
    browser.wait_until(lambda: "Wrong colour" not in browser.find("#results").text)
    assert "priority=high" in browser.driver.current_url  # a filtered view can be shared
    browser.choose("select[name=assignee]", "Unassigned")
    browser.wait_until(lambda: "assignee=unassigned" in browser.driver.current_url)
    browser.screenshot("inbox")
    browser.find(f"a[href='/inbox/issues/{urgent.pk}/']").click()
    browser.wait_for("[data-testid=assignee]")

    browser.choose("#id_employee", "Val Vendor (Vendor)")
    browser.submit("form:has(input[value=assign])")
    assert browser.find("[data-testid=assignee]").text == "Val Vendor"

    browser.fill("#id_resolution_notes", "Refunded the second charge.")
    browser.submit("form:has(input[value=resolve])")
    assert browser.find("[data-testid=status]").text == "Resolved"
    assert tracker.remote(key)["closed"] is True
    browser.screenshot("inbox-issue")

    browser.submit("form:has(input[value=reopen])")
    assert browser.find("[data-testid=status]").text == "In progress"
    remote = tracker.remote(key)
    assert remote["closed"] is False and remote["status"] == "In Progress"
    urgent.refresh_from_db()
    assert urgent.assigned_to == vendor and urgent.status == "in_progress"


@pytest.mark.parametrize("tracker", ["jira"], indirect=True)
def test_an_admin_creates_tickets_from_three_sentry_issues_of_a_product(browser, admin, tracker):
    checkout = ProductFactory(organization=admin.organization, name="Checkout")
    project = SentryProject.objects.order_by("slug").first()
    project.product = checkout
    project.save()
    tracker.project.product = checkout
    tracker.project.save()
    chosen = list(SentryIssue.objects.filter(project=project, status="unresolved")[:3])

    browser.sign_in(admin)
    browser.open("/products/")
    browser.find(f"a[href='/products/{checkout.pk}/']").click()
    browser.wait_for(".stats")
    browser.screenshot("product")
    browser.find(f"a.btn-primary[href*='product={checkout.pk}']").click()
    browser.wait_for("[data-testid=selection]")
    for issue in chosen:
        browser.find(f"input[name=issues][value='{issue.pk}']").click()
    assert browser.find("select[name=tracker_project] option:checked").text.startswith("PAY")
    browser.submit("[data-testid=selection]")
    assert "3 tickets created in PAY" in browser.text
    for issue in chosen:
        link = TicketLink.objects.get(source_type__model="sentryissue", source_id=issue.pk)
        assert link.ticket.key in browser.find(f"[data-testid=tickets-{issue.pk}]").text
    browser.screenshot("sentry-issues")
    browser.open(f"/products/{checkout.pk}/")
    browser.find("[data-testid=product-lists] a[href*='/tickets/']").click()
    browser.wait_for("[data-testid=filters]")
    for issue in chosen:
        link = TicketLink.objects.get(source_type__model="sentryissue", source_id=issue.pk)
        assert issue.short_id in browser.find(f"[data-testid=sources-{link.ticket_id}]").text
    browser.screenshots("tickets")


@pytest.mark.parametrize("tracker", ["jira"], indirect=True)
def test_an_admin_retries_a_failed_change(browser, admin, tracker, settings):
    settings.SYNC_OUTBOX_MAX_ATTEMPTS = 1
    for _ in range(3):
        tracker.fail_creates()
    issue = SentryIssue.objects.filter(status="unresolved").first()
    link = ticket_create_for_source(source=issue, tracker_project=tracker.project)
    entry = OutboxEntry.objects.get(operation="tracker.create_ticket")
    assert entry.status == "failed"

    browser.sign_in(admin)
    browser.find("nav a[href='/sync/']").click()
    browser.wait_for(f"[data-testid=outbox-{entry.pk}]")
    assert "Failing" in browser.find(f"[data-testid=connection-{tracker.connection.pk}]").text
    browser.screenshot("sync-health")
    browser.submit(f"[data-testid=outbox-{entry.pk}] form:first-child")
    assert f"Change #{entry.pk} retried: now delivered." in browser.text
    assert not browser.find_all(f"[data-testid=outbox-{entry.pk}]")
    link.refresh_from_db()
    assert link.ticket is not None and tracker.count("PAY") >= 2
