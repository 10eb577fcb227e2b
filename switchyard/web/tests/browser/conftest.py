"""Headless Debian Chromium through Selenium against Django's live server.

Without Chromium the browser tests are skipped on a developer's machine and fail under CI=true.
A failing test leaves a screenshot and the page's HTML in var/browser-failures/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from switchyard.accounts.tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FAILURES = Path(settings.BASE_DIR) / "var" / "browser-failures"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_paths():
    if CHROMIUM and CHROMEDRIVER:
        return CHROMIUM, CHROMEDRIVER
    message = (
        "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class Browser:
    """A Chromium window on the live server, with the few gestures the tests need."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait_for(self, selector: str, timeout: float = 10):
        return WebDriverWait(self.driver, timeout).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector))
        )

    def wait_until(self, condition, timeout: float = 10):
        """Wait for ``condition()``; parts of the page that htmx swaps meanwhile are looked up again."""
        wait = WebDriverWait(
            self.driver,
            timeout,
            ignored_exceptions=[StaleElementReferenceException, NoSuchElementException],
        )
        return wait.until(lambda driver: condition())

    def fill(self, selector: str, text: str) -> None:
        field = self.find(selector)
        field.clear()
        field.send_keys(text)

    def choose(self, selector: str, label: str) -> None:
        Select(self.find(selector)).select_by_visible_text(label)

    def submit(self, form_selector: str) -> None:
        """Press the form's submit button and wait for the next page."""
        # A mark on the old window, not a reference to its <html>: while Chromium swaps documents,
        # asking an old node whether it is stale can fail with "does not belong to the document".
        self.driver.execute_script("window.leavingPage = true")
        self.find(f"{form_selector} [type=submit], {form_selector} button").click()
        self.wait_until(
            lambda: self.driver.execute_script(
                "return window.leavingPage === undefined && document.readyState === 'complete'"
            )
        )

    @property
    def text(self) -> str:
        return self.find("body").text

    def sign_in(self, user) -> None:
        if self.find_all("form[action='/logout/'] button"):
            self.submit("form[action='/logout/']")
        self.open("/login/")
        self.fill("#id_username", user.username)
        self.fill("#id_password", PASSWORD)
        self.submit("main form")

    def screenshot(self, name: str) -> Path:
        """Keep a picture of the page (var/screenshots/), to look at the layout."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def screenshots(self, name: str) -> None:
        """Pictures of the page at 1280 px and at a phone's width (``<name>-phone``)."""
        size = self.driver.get_window_size()
        self.screenshot(name)
        self.driver.set_window_size(390, 844)
        self.screenshot(f"{name}-phone")
        self.driver.set_window_size(size["width"], size["height"])


@pytest.fixture
def browser(request, chromium_paths, live_server):
    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    yield Browser(driver, live_server.url)
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        stem = FAILURES / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        driver.save_screenshot(f"{stem}.png")
        Path(f"{stem}.html").write_text(driver.page_source)
    driver.quit()
