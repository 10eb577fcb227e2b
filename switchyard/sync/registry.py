"""What the engine runs, registered by the domain apps in their ``AppConfig.ready()``.

The engine knows how to pull a connection, deliver an outbox entry and apply a webhook delivery;
what those mean for a kind of remote comes from the handlers registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

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


class ConnectionNeeds(Protocol):
    """What a connection of one kind cannot work without, beyond a name and a base URL, and the
    base URL it gets when none is given ("" when there is no common one); a connector class
    declares both."""

    required_fields: tuple[str, ...]
    default_base_url: str


_kinds: dict[str, KindHandlers] = {}
_needs: dict[str, ConnectionNeeds] = {}
_operations: dict[str, Callable[[OutboxEntry], dict[str, Any]]] = {}
_periodic: list[Callable[[], None]] = []


def register_kind(kind: str, handlers: KindHandlers, *, needs: ConnectionNeeds) -> None:
    _kinds[kind] = handlers
    _needs[kind] = needs


def registered_kinds() -> list[str]:
    """The kinds of remote the engine can work with, in the order they were registered."""
    return list(_kinds)


def kind_handlers(kind: str) -> KindHandlers:
    try:
        return _kinds[kind]
    except KeyError:
        raise LookupError(f"No sync handlers are registered for {kind!r} connections.") from None


def connection_needs(kind: str) -> ConnectionNeeds:
    try:
        return _needs[kind]
    except KeyError:
        raise LookupError(f"No {kind!r} connections are registered.") from None


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
