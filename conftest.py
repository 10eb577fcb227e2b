"""Fixtures shared by every app's tests."""

from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

# Fake remotes and a person acting in them, for the tracker and customer-issue suites.
pytest_plugins = ["switchyard.trackers.tests.fixtures"]


def pytest_configure(config):
    """The static files' directory, which `collectstatic` makes in a deployment, exists (WhiteNoise
    warns about a missing one), and passwords hash quickly."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Deployments keep Django's PBKDF2 (a second of CPU per password on purpose); the suite makes
    # hundreds of accounts, and what it checks of passwords (set, checked, never stored in clear)
    # holds for any hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """An APIClient authenticated with a real API token, issued as a login issues it."""
    from switchyard.accounts.services import token_issue

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
        return client

    return make
