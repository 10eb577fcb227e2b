"""Connectors kept per process and connection, so that their HTTP clients are built once.

Building an HTTP client (its connection pool and TLS setup) costs far more than a webhook or an
outbox delivery needs; a connector is therefore reused for as long as its connection's settings
stay the same. The key holds a fingerprint of the settings and credentials, so a changed
connection gets a new connector (and the old one ages out of the bounded cache).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from switchyard.core.http import client_context
from switchyard.sync.models import Connection

MAX_CACHED = 256
Connector = TypeVar("Connector")

_cache: OrderedDict[Hashable, object] = OrderedDict()
_lock = threading.Lock()


def settings_fingerprint(connection: Connection) -> str:
    """A digest of what a connector is built from; it changes when any of it does."""
    parts = (
        connection.kind,
        connection.base_url,
        connection.remote_organization,
        connection.account_email,
        connection.api_token,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cached_connector(connection: Connection, build: Callable[[Connection], Connector]) -> Connector:
    """The connector ``build`` makes for ``connection``, made once per process and settings."""
    if connection.pk is None:
        return build(connection)
    key = (
        connection.pk,
        build,
        settings_fingerprint(connection),
        client_context(connection.base_url),
    )
    with _lock:
        if (connector := _cache.get(key)) is not None:
            _cache.move_to_end(key)
            return connector  # type: ignore[return-value]
    connector = build(connection)
    with _lock:
        _cache[key] = connector
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return connector
