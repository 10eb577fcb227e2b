"""The outbox operations of trackers (see operations.py for their names): each delivers one queued
change to the tracker and stores what it answers."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from switchyard.core import events
from switchyard.core.exceptions import DomainError, RemoteError
from switchyard.sync.models import OutboxEntry
from switchyard.sync.outbox import max_attempts
from switchyard.trackers import mappings
from switchyard.trackers.connectors.base import (
    NewTicket,
    RemoteTicket,
    StatusNotReachable,
    TicketChange,
)
from switchyard.trackers.connectors.registry import connector_for
from switchyard.trackers.events import LinkTicketCreated, LinkTicketFailed
from switchyard.trackers.models import Ticket, TicketLink
from switchyard.trackers.services.operations import entry_link, mark_link_failing, mark_link_ok
from switchyard.trackers.services.store import store_tickets
from switchyard.trackers.sources import source_for


def deliver_create_ticket(entry: OutboxEntry) -> dict:
    """Create the ticket, unless an earlier attempt did (the idempotency key finds it)."""
    if (link := entry_link(entry)) is None:
        return {"skipped": "link removed"}
    if link.ticket_id:
        return {"ticket": link.ticket.key}
    try:
        remote = _find_or_create(entry, link)
    except RemoteError as error:
        mark_link_failing(link.pk, error.message)
        if not error.retryable or entry.attempts >= max_attempts():
            events.publish(
                LinkTicketFailed(link_id=link.pk, message=_refusal(error)),
                organization_id=entry.connection.organization_id,
            )
        raise
    with transaction.atomic():
        events.publish(
            LinkTicketCreated(link_id=link.pk), organization_id=entry.connection.organization_id
        )
        store_tickets(entry.connection, [remote], announce_new=False)
        ticket = Ticket.objects.get(connection=entry.connection, external_id=remote.external_id)
        link.ticket = ticket
        link.sync_state = TicketLink.SyncState.OK
        link.last_synced_at = timezone.now()
        link.last_error = ""
        link.save(update_fields=["ticket", "sync_state", "last_synced_at", "last_error"])
        if link.source is not None:
            source_for(type(link.source)).on_linked(link.source, ticket=ticket)
    return {"ticket": ticket.key, "url": ticket.url}


def _find_or_create(entry: OutboxEntry, link: TicketLink) -> RemoteTicket:
    """The ticket an earlier attempt of this entry created, else a new one."""
    project = link.tracker_project
    connector = connector_for(entry.connection)
    key = str(entry.idempotency_key)
    return connector.find_created(key) or connector.create_ticket(
        NewTicket(
            project_external_id=project.external_id,
            project_key=project.key,
            summary=entry.payload["summary"],
            description=entry.payload["description"],
            issue_type=entry.payload.get("issue_type") or project.default_issue_type,
            priority=mappings.remote_priority(project, entry.payload["priority"]),
            labels=tuple(entry.payload["labels"]),
            assignee_email=entry.payload.get("assignee_email", ""),
        ),
        idempotency_key=key,
    )


def _refusal(error: RemoteError) -> str:
    """The remote's reason in its own words: its field errors, else the start of its answer."""
    details = getattr(error, "field_errors", None) or {}
    said = "; ".join(f"{name}: {text}" for name, text in details.items()) or error.body[:500]
    return f"{error.message}: {said}" if said else error.message


def deliver_move_ticket(entry: OutboxEntry) -> dict:
    """Move the linked ticket into the category; a workflow that does not allow it fails visibly."""
    if (link := entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    category = entry.payload["category"]
    connector = connector_for(entry.connection)
    targets = mappings.status_targets(link.tracker_project, category)
    try:
        remote = connector.move_to(link.ticket.external_id, targets, category)
        if entry.payload.get("comment"):
            connector.add_comment(
                link.ticket.external_id,
                entry.payload["comment"],
                idempotency_key=str(uuid.uuid5(entry.idempotency_key, "comment")),
            )
    except StatusNotReachable as error:
        mark_link_failing(link.pk, str(error))
        raise DomainError(str(error)) from error
    except RemoteError as error:
        mark_link_failing(link.pk, error.message)
        raise
    with transaction.atomic():
        store_tickets(entry.connection, [remote])
        mark_link_ok(link)
    return {"status": remote.status}


def deliver_update_ticket(entry: OutboxEntry) -> dict:
    if (link := entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    priority = entry.payload.get("priority")
    change = TicketChange(
        summary=entry.payload.get("summary"),
        description=entry.payload.get("description"),
        priority=mappings.remote_priority(link.tracker_project, priority) if priority else None,
    )
    remote = connector_for(entry.connection).update_ticket(link.ticket.external_id, change)
    store_tickets(entry.connection, [remote])
    return {"updated": link.ticket.key}


def deliver_comment(entry: OutboxEntry) -> dict:
    if (link := entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    comment = connector_for(entry.connection).add_comment(
        link.ticket.external_id, entry.payload["text"], idempotency_key=str(entry.idempotency_key)
    )
    return {"comment": comment.external_id if comment else ""}


def deliver_assign(entry: OutboxEntry) -> dict:
    if (link := entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    remote = connector_for(entry.connection).assign(
        link.ticket.external_id, entry.payload["email"] or None
    )
    store_tickets(entry.connection, [remote])
    return {"assignee": remote.assignee_email}
