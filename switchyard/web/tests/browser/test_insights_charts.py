"""The insights charts in a real Chromium: drawn on their canvases, their numbers in tables."""

import pytest

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.web.tests.test_insights_pages import world  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = (390, 844)


def drawn_charts(browser) -> list[str]:
    """The keys of the charts Chart.js drew (it sizes a canvas it draws on)."""
    return browser.driver.execute_script(
        "return [...document.querySelectorAll('canvas[data-drawn]')]"
        ".filter(c => c.width > 0 && c.height > 0)"
        ".map(c => c.closest('figure').dataset.testid)"
    )


def test_the_dashboard_and_a_products_charts(browser, world):  # noqa: F811
    browser.sign_in(AdminFactory(organization=world.organization))
    browser.find("nav a[href='/insights/']").click()
    browser.wait_for("canvas[data-drawn]")
    assert {"chart-health", "chart-movers", "chart-org-flow", "chart-org-backlog"} <= set(
        drawn_charts(browser)
    )
    figure = browser.find("[data-testid=chart-org-flow]")
    figure.find_element("css selector", "summary").click()
    table = figure.find_element("css selector", "table")
    assert table.is_displayed() and len(table.find_elements("css selector", "tbody tr")) == 30
    browser.screenshot("insights-dashboard")
    browser.driver.set_window_size(*PHONE)
    browser.screenshot("insights-dashboard-phone")

    browser.driver.set_window_size(1280, 900)
    product = world.products[0]
    browser.open(f"/products/{product.pk}/")
    browser.wait_for("[data-testid=charts] canvas[data-drawn]")  # loaded after the page
    assert not browser.find_all("[data-testid=charts-loading]")
    assert {"chart-product-flow", "chart-product-open", "chart-product-events"} <= set(
        drawn_charts(browser)
    )
    figure = browser.find("[data-testid=chart-product-open]")
    figure.find_element("css selector", "summary").click()
    assert "Sentry issues: error" in figure.find_element("css selector", "table").text
    browser.screenshot("insights-product")
    browser.driver.set_window_size(*PHONE)
    browser.screenshot("insights-product-phone")

    browser.open(f"/insights/teams/{world.team.pk}/")
    browser.wait_for("canvas[data-drawn]")
    assert "chart-workload-people" in drawn_charts(browser)
    browser.screenshot("insights-team-phone")
