"""Jira Cloud admin webhooks: signature check and parsing, as pure functions.

Jira signs the raw body with the webhook's secret: ``X-Hub-Signature: sha256=<hex HMAC-SHA256>``.
https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
"""

from __future__ import annotations

import hashlib
import hmac
import json

from switchyard.trackers.connectors.jira.mapping import JiraWebhookEvent, webhook_event_from_json

SIGNATURE_HEADER = "X-Hub-Signature"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"


class InvalidWebhook(ValueError):
    """A webhook body that is not JSON or not shaped like a Jira issue or comment event."""


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the body's signature with ``secret`` (constant-time compare)."""
    if not secret or not header:
        return False
    algorithm, _, digest = header.strip().partition("=")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode())


def parse_webhook(body: bytes) -> JiraWebhookEvent:
    """The event of an issue or comment webhook body; InvalidWebhook when unreadable."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWebhook(f"webhook body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidWebhook("webhook body is not a JSON object")
    try:
        return webhook_event_from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidWebhook(f"unexpected webhook shape: {exc!r}") from exc
