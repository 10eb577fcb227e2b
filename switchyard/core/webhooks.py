"""What every provider's webhook intake shares."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def delivery_id(headers: Mapping[str, str], header: str, body: bytes) -> str:
    """The provider's id of a delivery, from ``header``; when a delivery comes without one, the
    hash of its body stands in, so that a redelivered body is still stored only once."""
    return headers.get(header) or hashlib.sha256(body).hexdigest()
