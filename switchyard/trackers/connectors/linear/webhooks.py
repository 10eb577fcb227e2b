"""Linear webhooks: signature and freshness checks, and parsing (pure functions).

https://linear.app/developers/webhooks — ``Linear-Signature`` is the hex HMAC-SHA256 of the raw
body with the webhook's signing secret; the body's ``webhookTimestamp`` (milliseconds) must be
within a minute of now, against replays. ``Linear-Delivery`` identifies the delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "Linear-Signature"
DELIVERY_HEADER = "Linear-Delivery"
EVENT_HEADER = "Linear-Event"
MAX_AGE_SECONDS = 60


class InvalidWebhook(ValueError):
    """A webhook that failed verification or is not shaped as Linear documents."""


@dataclass(frozen=True, slots=True)
class LinearWebhook:
    action: str  # create | update | remove
    type: str  # Issue | Comment | ...
    data: Mapping[str, Any]
    updated_from: Mapping[str, Any]


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(
    secret: str, body: bytes, header: str | None, *, now: float | None = None
) -> Mapping[str, Any]:
    """The decoded body of a delivery whose signature and timestamp check out; else InvalidWebhook."""
    if (
        not secret
        or not header
        or not hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())
    ):
        raise InvalidWebhook("Missing or wrong Linear-Signature.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidWebhook(f"Body is not JSON: {exc}") from exc
    stamp = data.get("webhookTimestamp") if isinstance(data, Mapping) else None
    if (
        not isinstance(stamp, int | float)
        or abs((now or time.time()) - stamp / 1000) > MAX_AGE_SECONDS
    ):
        raise InvalidWebhook("webhookTimestamp is missing or more than a minute away from now.")
    return data


def parse(data: Mapping[str, Any]) -> LinearWebhook:
    try:
        return LinearWebhook(
            action=str(data["action"]),
            type=str(data["type"]),
            data=data["data"],
            updated_from=data.get("updatedFrom") or {},
        )
    except (KeyError, TypeError) as exc:
        raise InvalidWebhook(f"Unexpected webhook shape: {exc!r}") from exc
