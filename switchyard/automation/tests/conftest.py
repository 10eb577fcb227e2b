"""An empty fake Sentry (one project) whose webhooks are recorded, for rules to watch issues arrive."""

import pytest

from switchyard.core import http
from switchyard.fakes.sentry import FakeSentry
from switchyard.trackers.tests.fixtures import PERSON, SENTRY_URL

SENTRY_SECRET = "sentry-secret"  # the tracker fixture's Sentry connection's webhook secret


@pytest.fixture
def fake_sentry():
    fake = FakeSentry.seeded(issues=0, projects=1, seed=3)
    fake.add_member("Dana Developer", PERSON)
    fake.subscribe_webhooks(None, SENTRY_SECRET)
    http.mount_transport(SENTRY_URL, fake.transport())
    yield fake
    http.mount_transport(SENTRY_URL, None)


@pytest.fixture
def time_machine_hour():
    """Move the clock ``hours`` ahead of when the test started (and keep it ticking)."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    start = timezone.now()
    frozen = []

    def travel(hours: float) -> None:
        if frozen:
            frozen.pop().stop()
        frozen.append(freeze_time(start + timedelta(hours=hours), tick=True))
        frozen[-1].start()

    yield travel
    for clock in frozen:
        clock.stop()
