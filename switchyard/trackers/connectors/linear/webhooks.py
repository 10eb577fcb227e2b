"""Linear webhooks: signature and freshness checks, and parsing into records (pure functions).

https://linear.app/developers/webhooks#securing-webhooks: ``Linear-Signature`` is the hex
HMAC-SHA256 of the raw body with the webhook's signing secret, and the body's
``webhookTimestamp`` (milliseconds since the epoch) must be within a minute of now, against
replays. ``Linear-Delivery`` identifies the delivery and ``Linear-Event`` names the entity type.
The body is Linear's ``EntityWebhookPayload``: ``action``, ``type``, ``data``, ``updatedFrom``,
``url``, ``createdAt``, ``organizationId``, ``webhookTimestamp``, ``webhookId``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from switchyard.trackers.connectors.linear.mapping import (
    LinearComment,
    LinearIssue,
    LinearShapeError,
    comment_from_webhook,
    issue_from_webhook,
)

SIGNATURE_HEADER = "Linear-Signature"
DELIVERY_HEADER = "Linear-Delivery"
EVENT_HEADER = "Linear-Event"
MAX_AGE_SECONDS = 60
ACTIONS = frozenset({"create", "update", "remove"})


class InvalidWebhook(ValueError):
    """A webhook that failed verification or is not shaped as Linear documents."""


class MalformedWebhook(InvalidWebhook):
    """A correctly signed body that is not a JSON object."""


@dataclass(frozen=True, slots=True)
class LinearWebhook:
    """One verified delivery; ``issue`` or ``comment`` is set for those entity types.

    ``updated_from`` holds the previous values of the fields an update changed
    (``{"stateId": ..., "updatedAt": ...}``); ``data`` is the raw entity, kept for entity
    types without a record here.
    """

    action: str  # create | update | remove
    type: str  # Issue | Comment | ...
    data: Mapping[str, Any]
    updated_from: Mapping[str, Any]
    issue: LinearIssue | None = None
    comment: LinearComment | None = None
    webhook_id: str = ""


def signature(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` that Linear sends in ``Linear-Signature``."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(
    secret: str, body: bytes, header: str | None, *, now: float | None = None
) -> Mapping[str, Any]:
    """The decoded body of a delivery whose signature and timestamp check out; else InvalidWebhook."""
    if not secret or not header:
        raise InvalidWebhook("Missing Linear-Signature, or no signing secret.")
    expected = signature(secret, body).encode()
    if not hmac.compare_digest(expected, header.strip().encode("utf-8", "replace")):
        raise InvalidWebhook("Wrong Linear-Signature.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhook(f"Body is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise MalformedWebhook("Body is not a JSON object.")
    stamp = data.get("webhookTimestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise InvalidWebhook("webhookTimestamp is missing.")
    current = time.time() if now is None else now
    if abs(current - stamp / 1000) > MAX_AGE_SECONDS:
        raise InvalidWebhook("webhookTimestamp is more than a minute away from now.")
    return data


def parse(data: Mapping[str, Any]) -> LinearWebhook:
    """A delivery's body as a LinearWebhook; Issue and Comment data become records."""
    try:
        action, kind, entity = data["action"], data["type"], data["data"]
    except (KeyError, TypeError) as exc:
        raise InvalidWebhook(f"Unexpected webhook shape: missing {exc}") from exc
    updated_from = data.get("updatedFrom") or {}
    if (
        action not in ACTIONS
        or not isinstance(kind, str)
        or not isinstance(entity, Mapping)
        or not isinstance(updated_from, Mapping)
    ):
        raise InvalidWebhook(f"Unexpected webhook shape: {action!r} {kind!r}")
    try:
        issue = issue_from_webhook(entity) if kind == "Issue" else None
        comment = (
            comment_from_webhook(entity) if kind == "Comment" and entity.get("issueId") else None
        )
    except LinearShapeError as exc:
        raise InvalidWebhook(f"Unexpected {kind} webhook data: {exc}") from exc
    return LinearWebhook(
        action=action,
        type=kind,
        data=entity,
        updated_from=updated_from,
        issue=issue,
        comment=comment,
        webhook_id=str(data.get("webhookId") or ""),
    )


def verify_and_parse(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> LinearWebhook:
    """Verify a delivery from its headers and raw body, then parse it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return parse(verify(secret, body, lowered.get(SIGNATURE_HEADER.lower()), now=now))
