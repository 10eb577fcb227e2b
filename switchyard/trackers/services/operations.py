"""The outbox operations trackers register, how their entries about a link are queued and
ordered, and the sync state a link shows for them."""

from __future__ import annotations

from django.utils import timezone

from switchyard.sync.models import OutboxEntry
from switchyard.sync.outbox import outbox_add, outbox_add_many
from switchyard.trackers.models import TicketLink

CREATE_TICKET = "tracker.create_ticket"
MOVE_TICKET = "tracker.move_ticket"
UPDATE_TICKET = "tracker.update_ticket"
COMMENT_TICKET = "tracker.comment"
ASSIGN_TICKET = "tracker.assign"


def link_ordering_key(link: TicketLink) -> str:
    return ordering_key_of(link.pk)


def ordering_key_of(link_id: int) -> str:
    return f"ticket-link:{link_id}"


def queue_for_link(link: TicketLink, operation_name: str, payload: dict) -> None:
    """Queue an operation on the link's ticket, behind the earlier ones on the same link."""
    outbox_add(
        connection=link.tracker_project.connection,
        operation_name=operation_name,
        ordering_key=link_ordering_key(link),
        payload={"link": link.pk, **payload},
    )


def queue_for_new_links(connection, operation_name: str, payloads: dict[int, dict]) -> None:
    """Queue one operation per link (``payloads`` by link id) on links made together, all of one
    connection: one insert, one delivery task (links just made have nothing queued before)."""
    outbox_add_many(
        connection=connection,
        operation_name=operation_name,
        entries=[
            (ordering_key_of(link_id), {"link": link_id, **payload})
            for link_id, payload in payloads.items()
        ],
    )


def entry_link(entry: OutboxEntry) -> TicketLink | None:
    """The link an outbox entry is about, with its ticket and project (None if unlinked meanwhile)."""
    return (
        TicketLink.objects.select_related("ticket", "tracker_project__connection")
        .filter(pk=entry.payload["link"])
        .first()
    )


def mark_link_ok(link: TicketLink) -> None:
    TicketLink.objects.filter(pk=link.pk).update(
        sync_state=TicketLink.SyncState.OK, last_synced_at=timezone.now(), last_error=""
    )


def mark_link_failing(link_id: int, error: str) -> None:
    TicketLink.objects.filter(pk=link_id).update(
        sync_state=TicketLink.SyncState.FAILING,
        last_error=error[:2000],
        last_error_at=timezone.now(),
    )
