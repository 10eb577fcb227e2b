"""A FakeSentry and a SentryClient bound to it, shared by the Sentry client tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchyard.fakes.sentry import PROFILES, FakeSentry
from switchyard.monitoring.connectors.sentry.client import SentryClient

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUES_PATH = r"/organizations/acme/issues/$"


@pytest.fixture
def fake(sentry_profile: str) -> FakeSentry:
    return PROFILES[sentry_profile].seeded(issues=25, projects=3, seed=7, clock=lambda: NOW)


@pytest.fixture
def waits() -> list[float]:
    return []


def make_client(fake: FakeSentry, waits: list[float] | None = None, **kwargs) -> SentryClient:
    recorder = waits if waits is not None else []
    return SentryClient(
        "https://sentry.example",
        token=kwargs.pop("token", fake.token),
        organization=kwargs.pop("organization", "acme"),
        transport=fake.transport(),
        sleep=recorder.append,
        **kwargs,
    )


@pytest.fixture
def client(fake: FakeSentry, waits: list[float]) -> SentryClient:
    return make_client(fake, waits)


def expected_order(fake: FakeSentry, **filters) -> list[str]:
    issues = [
        i for i in fake.issues.values() if all(getattr(i, k) == v for k, v in filters.items())
    ]
    return [str(i.id) for i in sorted(issues, key=lambda i: (-i.last_seen, -i.id))]
