"""Adding a connection against a fake served over HTTP, and linking an existing ticket."""

import pytest

from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection
from switchyard.trackers.models import TicketLink

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_admin_adds_a_connection_tested_against_the_remote(browser, admin):
    fake = FakeSentry.seeded(issues=3, projects=1)
    with fake.serve() as url:
        browser.sign_in(admin)
        browser.find("nav a[href='/sync/']").click()
        browser.wait_for("a[href='/sync/connections/new/']").click()
        browser.wait_for("[data-testid=connection-form]")
        assert browser.find("[data-testid=kinds] [aria-current=page]").text == "Sentry"
        browser.fill("#id_name", "Production Sentry")
        browser.fill("#id_base_url", url)
        browser.fill("#id_remote_organization", "acme")
        browser.fill("#id_api_token", "not-the-token")
        browser.submit("[data-testid=connection-form]")

        assert "nothing was saved" in browser.find("#id_api_token-error").text
        assert browser.find("#id_name").get_attribute("value") == "Production Sentry"
        assert not Connection.objects.exists()
        browser.screenshots("connection-add-refused")

        browser.fill("#id_api_token", fake.token)
        browser.submit("[data-testid=connection-form]")
        connection = Connection.objects.get()
        assert connection.base_url == url and connection.last_ok_at is not None
        assert browser.find("#webhook-secret").get_attribute("value") == connection.webhook_secret
        assert (
            browser.find("#webhook-url")
            .get_attribute("value")
            .endswith(f"/api/webhooks/sentry/{connection.uuid}/")
        )
        browser.screenshots("connection-added")
    assert any(request.path.startswith("/api/0/") for request in fake.requests)

    browser.find("[data-testid=webhook] a.btn-primary").click()
    browser.wait_for(f"[data-testid=connection-{connection.pk}]")
    assert connection.webhook_secret not in browser.driver.page_source


@pytest.mark.parametrize("tracker", ["jira"], indirect=True)
def test_an_admin_links_selected_issues_to_an_existing_ticket(browser, admin, tracker):
    key = tracker.create_remote_ticket("Checkout times out under load")
    chosen = list(SentryIssue.objects.filter(status="unresolved").order_by("pk")[:2])

    browser.sign_in(admin)
    browser.open("/sentry/?status=unresolved")
    browser.wait_for("[data-testid=selection]")
    assert not browser.find("input[name=ticket]").is_displayed()
    for issue in chosen:
        browser.find(f"input[name=issues][value='{issue.pk}']").click()
    browser.choose("select[name=action]", "Link the ticket")
    assert not browser.find("select[name=tracker_project]").is_displayed()
    browser.fill("input[name=ticket]", "PAY-99999")
    browser.screenshots("sentry-link")
    browser.submit("[data-testid=selection]")
    assert "No tracker of this organization knows PAY-99999." in browser.text
    assert not TicketLink.objects.exists()

    for issue in chosen:
        browser.find(f"input[name=issues][value='{issue.pk}']").click()
    browser.choose("select[name=action]", "Link the ticket")
    browser.fill("input[name=ticket]", key)
    browser.submit("[data-testid=selection]")
    assert f"{key} linked to 2 issues." in browser.text
    for issue in chosen:
        assert key in browser.find(f"[data-testid=tickets-{issue.pk}]").text
    assert TicketLink.objects.filter(ticket__key=key, created_via="linked").count() == 2
