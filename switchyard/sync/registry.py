"""What the engine runs, registered by the domain apps in their ``AppConfig.ready()``.

The engine knows how to pull a connection, deliver an outbox entry and apply a webhook delivery;
what those mean for a kind of remote comes from the handlers registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from switchyard.sync.models import Connection, OutboxEntry, WebhookDelivery
    from switchyard.sync.runs import RunRecorder


@dataclass(frozen=True)
class VerifiedWebhook:
    delivery_id: str
    event_type: str


@dataclass(frozen=True)
class KindHandlers:
    """How the engine works with one kind of remote."""

    pull: Callable[[Connection, RunRecorder], None]
    test_connection: Callable[[Connection], str]
    verify_webhook: Callable[[Connection, Mapping[str, str], bytes], VerifiedWebhook]
    apply_webhook: Callable[[WebhookDelivery], bool]


_kinds: dict[str, KindHandlers] = {}
_operations: dict[str, Callable[[OutboxEntry], dict[str, Any]]] = {}
_periodic: list[Callable[[], None]] = []


def register_kind(kind: str, handlers: KindHandlers) -> None:
    _kinds[kind] = handlers


def registered_kinds() -> list[str]:
    """The kinds of remote the engine can work with, in the order they were registered."""
    return list(_kinds)


def kind_handlers(kind: str) -> KindHandlers:
    try:
        return _kinds[kind]
    except KeyError:
        raise LookupError(f"No sync handlers are registered for {kind!r} connections.") from None


def register_operation(name: str, deliver: Callable[[OutboxEntry], dict[str, Any]]) -> None:
    """Register how an outbox operation is delivered; ``deliver`` returns what the remote gave back."""
    _operations[name] = deliver


def operation(name: str) -> Callable[[OutboxEntry], dict[str, Any]]:
    try:
        return _operations[name]
    except KeyError:
        raise LookupError(f"No outbox operation {name!r} is registered.") from None


def register_periodic(enqueue: Callable[[], None]) -> None:
    """Register work for every scheduler tick; ``enqueue`` should only enqueue a task."""
    if enqueue not in _periodic:
        _periodic.append(enqueue)


def periodic_work() -> list[Callable[[], None]]:
    return list(_periodic)
