"""What the trackers app announces on the event bus (``core.events``); subscribers live in higher
apps and are listed in docs/architecture.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkTicketCreated:
    """The ticket of a link created through the outbox exists in the tracker."""

    link_id: int


@dataclass(frozen=True)
class LinkTicketFailed:
    """Creating the ticket of a link failed for good; ``message`` is the tracker's own words."""

    link_id: int
    message: str


@dataclass(frozen=True)
class TicketCreatedRemotely:
    """A ticket Switchyard did not make appeared in a tracker."""

    ticket_id: int


@dataclass(frozen=True)
class TicketsChanged:
    """Tickets came in new or changed (a pull's stored batch, a webhook), or a full pull found them
    gone."""

    connection_id: int
    external_ids: tuple[str, ...]
