"""Webhook deliveries the way Jira Cloud admin webhooks send them, signed with a shared secret.

Headers: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`` and a unique
``X-Atlassian-Webhook-Identifier`` per delivery.
Reference: https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from typing import Any

import httpx


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Builds, records and (best effort, in a background thread) POSTs webhook deliveries."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.secret: str | None = None
        self.sent: list[tuple[dict[str, str], bytes]] = []
        self.errors: list[str] = []
        self.responses: list[int] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def subscribed(self) -> bool:
        return self.secret is not None

    def subscribe(self, url: str | None, secret: str) -> None:
        self.url = url
        self.secret = secret

    def build(
        self, payload: dict[str, Any], *, secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Serialize and sign one delivery (with ``secret`` or the subscribed one)."""
        key = secret if secret is not None else self.secret
        if key is None:
            raise ValueError("no webhook secret: subscribe_webhooks() first or pass secret=")
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Atlassian-Webhook-Flow": "Primary",
            "X-Hub-Signature": sign(key, body),
        }
        return headers, body

    def send(self, payload: dict[str, Any]) -> None:
        headers, body = self.build(payload)
        with self._lock:
            self.sent.append((headers, body))
        if self.url:
            thread = threading.Thread(
                target=self._post, args=(self.url, headers, body), daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _post(self, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=5.0)
        except Exception as exc:  # noqa: BLE001 - best effort: a receiver failure never breaks the fake
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            self.responses.append(response.status_code)

    def wait(self, timeout: float = 5.0) -> None:
        """Wait for the deliveries in flight (tests call this before asserting)."""
        for thread in list(self._threads):
            thread.join(timeout)
