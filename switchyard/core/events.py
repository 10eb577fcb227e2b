"""The event bus: domain services publish typed events; subscribers in higher apps react.

Events are delivered after the publishing transaction commits (never for a rolled-back change).
Subscribers should be quick: record follow-up work (an outbox entry, a task) and return.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event: Any) -> None:
    """Hand ``event`` to its subscribers once the current transaction commits."""
    handlers = list(_subscribers.get(type(event), ()))
    if handlers:
        transaction.on_commit(lambda: _deliver(event, handlers), robust=False)


def _deliver(event: Any, handlers: list[Callable[[Any], None]]) -> None:
    for handler in handlers:
        with transaction.atomic():
            handler(event)
