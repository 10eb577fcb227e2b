"""The event bus: domain services publish typed events; subscribers in higher apps react.

Delivery is durable. ``publish`` records one delivery per subscriber through the store that the
sync engine registers at start-up (``use_store``), inside the publishing transaction: a rolled-back
change publishes nothing, and a committed one cannot lose its follow-up work. The store runs each
delivery after commit (``run_subscriber``) and retries it with backoff when the subscriber raises.
Events are frozen dataclasses of plain JSON values; subscribers should be quick and idempotent (a
retry runs them again): record follow-up work (an outbox entry, a task) and return.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
_together: dict[str, int] = {}  # subscriber name -> how many waiting deliveries it takes at once


class EventStore(Protocol):
    def __call__(
        self,
        *,
        subscriber: str,
        event_type: str,
        payload: dict[str, Any],
        organization_id: int | None,
    ) -> None:
        """Record one delivery in the current transaction; run it after commit."""


_store: EventStore | None = None


def use_store(store: EventStore) -> None:
    """Where deliveries are recorded (the sync engine registers its table at start-up)."""
    global _store
    _store = store


def subscribe(event_type: type, handler: Callable[[Any], None], *, together: int = 1) -> None:
    """``handler`` is called with each event; with ``together`` above 1, with a list of up to
    that many events of this type, the deliveries waiting for it taken at once (a subscriber that
    falls behind a pull's batches catches up in fewer, larger steps)."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)
    if together > 1:
        _together[_name(handler)] = together


def taken_together(subscriber: str) -> int:
    """How many waiting deliveries ``subscriber`` takes in one call (1: one event per call)."""
    return _together.get(subscriber, 1)


def publish(event: Any, *, organization_id: int | None) -> None:
    """Record a delivery of ``event`` to each of its subscribers, to run once this commits.

    ``organization_id`` is the tenant whose change it is: a delivery that fails is shown to that
    organization's admins only.
    """
    handlers = _subscribers.get(type(event), ())
    if not handlers:
        return
    if _store is None:
        raise RuntimeError("No event store registered: is switchyard.sync installed?")
    payload = dataclasses.asdict(event)
    for handler in handlers:
        _store(
            subscriber=_name(handler),
            event_type=_name(type(event)),
            payload=payload,
            organization_id=organization_id,
        )


def run_subscriber(*, subscriber: str, event_type: str, payloads: list[dict[str, Any]]) -> None:
    """Run recorded deliveries (one, or up to ``taken_together`` of one type) in one transaction;
    raises whatever the subscriber raises."""
    event_class = next((cls for cls in _subscribers if _name(cls) == event_type), None)
    handler = next((h for h in _subscribers.get(event_class, ()) if _name(h) == subscriber), None)
    if handler is None:
        raise LookupError(f"{subscriber} no longer subscribes to {event_type}")
    found = [event_class(**payload) for payload in payloads]
    with transaction.atomic():
        if taken_together(subscriber) > 1:
            handler(found)
        else:
            (event,) = found
            handler(event)


def _name(thing: Any) -> str:
    return f"{thing.__module__}.{thing.__qualname__}"
