"""A fake Sentry answering in-process for every client built for https://sentry.test.

Every test using ``fake_sentry`` runs against both behaviour profiles of the fake (sentry.io and
GlitchTip); a test about one of them says so with ``only_sentry`` or ``only_glitchtip``.
"""

import pytest

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.core import http
from switchyard.fakes.sentry import PROFILES
from switchyard.sync.models import Connection

SENTRY_URL = "https://sentry.test"
only_sentry = pytest.mark.parametrize("sentry_profile", ["sentry"])
only_glitchtip = pytest.mark.parametrize("sentry_profile", ["glitchtip"])


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(http, "pause", lambda seconds: None)


@pytest.fixture(params=sorted(PROFILES))
def sentry_profile(request) -> str:
    return request.param


@pytest.fixture
def fake_sentry(sentry_profile):
    fake = PROFILES[sentry_profile].seeded(issues=30, projects=4, seed=7)
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
