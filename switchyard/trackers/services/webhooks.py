"""Tracker webhooks: verified on arrival, applied later from the inbox."""

from __future__ import annotations

from django.db import transaction

from switchyard.sync.models import Connection, WebhookDelivery
from switchyard.sync.registry import VerifiedWebhook
from switchyard.trackers.connectors.base import RemoteComment
from switchyard.trackers.connectors.registry import connector_for
from switchyard.trackers.models import Ticket, TicketComment
from switchyard.trackers.selectors import links_of_ticket
from switchyard.trackers.services.store import store_tickets
from switchyard.trackers.sources import source_for


def tracker_verify_webhook(connection: Connection, headers, body: bytes) -> VerifiedWebhook:
    delivery_id, event_type = connector_for(connection).verify_webhook(
        headers, body, connection.webhook_secret
    )
    return VerifiedWebhook(delivery_id=delivery_id, event_type=event_type)


def tracker_apply_webhook(delivery: WebhookDelivery) -> bool:
    """Apply a ticket or comment webhook; others are stored and ignored."""
    connection = delivery.connection
    event = connector_for(connection).parse_webhook(delivery.event_type, delivery.body.encode())
    if event is None:
        return False
    if event.ticket is not None:
        store_tickets(connection, [event.ticket])
    if event.comment is not None and not event.comment.by_this_connection:
        ticket = Ticket.objects.filter(
            connection=connection, external_id=event.ticket_external_id
        ).first()
        if ticket is not None:
            _copy_comment_to_sources(ticket, event.comment)
    return True


def _copy_comment_to_sources(ticket: Ticket, comment: RemoteComment) -> None:
    """A comment written in the tracker goes to what the ticket tracks, once."""
    for link in links_of_ticket(ticket=ticket, active=True):
        source = link.source
        if source is None:
            continue
        with transaction.atomic():
            _, created = TicketComment.objects.get_or_create(
                link=link,
                direction=TicketComment.Direction.TO_SOURCE,
                origin_external_id=comment.external_id,
                defaults={"text": comment.body},
            )
            if created:
                author = comment.author_email or "someone"
                text = f"{ticket.key} comment by {author}:\n\n{comment.body}"
                source_for(type(source)).add_comment(
                    source, text=text, origin=ticket.connection, external_id=comment.external_id
                )
