"""Webhooks as Linear sends them: ``EntityWebhookPayload`` bodies, signed, POSTed in the background.

https://linear.app/developers/webhooks: headers ``Linear-Delivery`` (a UUID), ``Linear-Event``
(the entity type) and ``Linear-Signature`` (hex HMAC-SHA256 of the body with the secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from switchyard.fakes.linear.schema import iso

ORGANIZATION_ID = "8a2b6f0e-4c1d-4f5e-9a3b-1c2d3e4f5a6b"
WEBHOOK_ID = "3f1c9d2e-7b6a-4e5d-8c9b-0a1b2c3d4e5f"


class WebhookSender:
    """Subscription, signing and best-effort delivery of the fake's webhooks."""

    def __init__(self) -> None:
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self.subscribed = False
        self.sent_webhooks: list[tuple[dict[str, str], bytes]] = []
        self.webhook_errors: list[str] = []
        self._senders: list[threading.Thread] = []

    def subscribe_webhooks(self, url: str | None, secret: str) -> None:
        """Emit a signed delivery for every change; POST it to ``url`` when there is one."""
        self.webhook_url, self.webhook_secret, self.subscribed = url, secret, True

    def build_webhook(
        self,
        kind: str,
        action: str,
        data: dict[str, Any],
        updated_from: dict[str, Any] | None = None,
        *,
        secret: str | None = None,
        actor: dict[str, Any] | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed delivery (headers, body) of ``kind`` (Issue, Comment) without sending it."""
        payload: dict[str, Any] = {
            "action": action,
            "actor": actor,
            "createdAt": iso(datetime.now(UTC)),
            "data": data,
            "organizationId": ORGANIZATION_ID,
            "type": kind,
            "url": data.get("url"),
            "webhookId": WEBHOOK_ID,
            "webhookTimestamp": int(time.time() * 1000),
        }
        if action == "update":
            payload["updatedFrom"] = updated_from or {}
        if actor is None:
            del payload["actor"]
        body = json.dumps(payload).encode()
        key = (self.webhook_secret if secret is None else secret).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Linear-Webhook",
            "Linear-Delivery": str(uuid.uuid4()),
            "Linear-Event": kind,
            "Linear-Signature": hmac.new(key, body, hashlib.sha256).hexdigest(),
        }
        return headers, body

    def emit(
        self,
        kind: str,
        action: str,
        data: dict[str, Any],
        updated_from: dict[str, Any] | None = None,
        *,
        actor: dict[str, Any] | None = None,
    ) -> None:
        """Record, and send when a URL is set, one delivery (no-op until subscribed)."""
        if not self.subscribed:
            return
        headers, body = self.build_webhook(kind, action, data, updated_from, actor=actor)
        self.sent_webhooks.append((headers, body))
        if self.webhook_url:
            sender = threading.Thread(
                target=self._send, args=(self.webhook_url, headers, body), daemon=True
            )
            self._senders.append(sender)
            sender.start()

    def flush_webhooks(self, timeout: float = 5.0) -> None:
        """Wait for the deliveries in flight (tests call it before asserting on the receiver)."""
        deadline = time.monotonic() + timeout
        for sender in list(self._senders):
            sender.join(max(0.0, deadline - time.monotonic()))
        self._senders = [sender for sender in self._senders if sender.is_alive()]

    def _send(self, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=5)
            if response.status_code >= 300:
                self.webhook_errors.append(f"{url} answered {response.status_code}")
        except Exception as error:  # best effort, like Linear's delivery: record and go on
            self.webhook_errors.append(repr(error))
