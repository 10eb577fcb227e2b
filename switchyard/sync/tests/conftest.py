"""An in-memory remote kind registered in place of a real one, for engine tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import pytest

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.core.exceptions import WebhookInvalid
from switchyard.sync import registry
from switchyard.sync.models import Connection
from switchyard.sync.registry import KindHandlers, VerifiedWebhook


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class MemoryRemote:
    """A remote whose calls are recorded and can be made to fail."""

    delivered: list[tuple[str, dict]] = field(default_factory=list)
    applied: list[dict] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    pages: list[int] = field(default_factory=lambda: [3, 2])

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def pull(self, connection: Connection, recorder) -> None:
        recorder.add_scope("things")
        for size in self.pages:
            self._maybe_fail()
            recorder.count(created=size)

    def test_connection(self, connection: Connection) -> str:
        self._maybe_fail()
        return "bot@example.com"

    def verify(self, connection: Connection, headers, body: bytes) -> VerifiedWebhook:
        given = headers.get("X-Test-Signature", "")
        if not hmac.compare_digest(given, sign(connection.webhook_secret, body)):
            raise WebhookInvalid("Bad signature.")
        payload = json.loads(body)
        return VerifiedWebhook(
            delivery_id=headers.get("X-Test-Delivery", ""), event_type=payload["event"]
        )

    def apply(self, delivery) -> bool:
        payload = json.loads(delivery.body)
        if payload["event"] != "thing.updated":
            return False
        self.applied.append(payload)
        return True

    def deliver(self, entry) -> dict:
        self._maybe_fail()
        self.delivered.append((entry.ordering_key, entry.payload))
        return {"remote_id": f"R-{len(self.delivered)}"}


@pytest.fixture
def remote(monkeypatch) -> MemoryRemote:
    memory = MemoryRemote()
    monkeypatch.setitem(
        registry._kinds,
        "jira",
        KindHandlers(
            pull=memory.pull,
            test_connection=memory.test_connection,
            verify_webhook=memory.verify,
            apply_webhook=memory.apply,
        ),
    )
    monkeypatch.setitem(registry._operations, "test.push", memory.deliver)
    return memory


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def connection(admin) -> Connection:
    return Connection.objects.create(
        organization=admin.organization,
        kind="jira",
        name="Jira",
        base_url="https://acme.atlassian.net",
        account_email="bot@example.com",
        api_token="secret-token",
        webhook_secret="hook-secret",
    )
