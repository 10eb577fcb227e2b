"""A fake Sentry answering in-process for every client built for https://sentry.test."""

import pytest

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.core import http
from switchyard.fakes.sentry import FakeSentry
from switchyard.sync.models import Connection

SENTRY_URL = "https://sentry.test"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(http, "pause", lambda seconds: None)


@pytest.fixture
def fake_sentry():
    fake = FakeSentry.seeded(issues=30, projects=4, seed=7)
    http.mount_transport(SENTRY_URL, fake.transport())
    yield fake
    http.mount_transport(SENTRY_URL, None)


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def sentry_connection(admin, fake_sentry) -> Connection:
    return Connection.objects.create(
        organization=admin.organization,
        kind="sentry",
        name="Sentry",
        base_url=SENTRY_URL,
        remote_organization="acme",
        api_token=fake_sentry.token,
        webhook_secret="sentry-client-secret",
    )
