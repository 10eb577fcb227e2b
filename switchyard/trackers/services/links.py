"""Links between a source (a Sentry issue, a customer issue, ...) and a ticket that already exists:
found by key or URL, fetched from the tracker when not yet pulled."""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from switchyard.core.exceptions import DomainError, RemoteError, ValidationFailed
from switchyard.sync.models import Connection
from switchyard.trackers.connectors.registry import CONNECTORS, connector_for
from switchyard.trackers.models import Ticket, TicketLink, TrackerProject
from switchyard.trackers.selectors import links_of_source
from switchyard.trackers.services.store import store_tickets
from switchyard.trackers.sources import source_for

TICKET_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*-\d+)")


class AlreadyLinked(DomainError):
    code = "already_linked"


def ensure_not_linked(source, project: TrackerProject, *, pending: str) -> None:
    """Refuse a second live link of a source in one tracker project (``pending`` names a link
    whose ticket does not exist yet)."""
    existing = links_of_source(source=source, active=True).filter(tracker_project=project).first()
    if existing is not None:
        label = existing.ticket.key if existing.ticket else pending
        raise AlreadyLinked(f"Already linked to {label} in {project.key}.")


@transaction.atomic
def ticket_link_existing(*, source, key_or_url: str) -> TicketLink:
    """Link an existing ticket, found by key or URL among the organization's tracker connections."""
    key = _parse_key(key_or_url)
    organization_id = source_for(type(source)).organization_id(source)
    ticket = (
        Ticket.objects.filter(connection__organization_id=organization_id, key=key)
        .select_related("tracker_project__connection")
        .first()
    )
    if ticket is None:
        ticket = _fetch_ticket(organization_id, key)
    ensure_not_linked(source, ticket.tracker_project, pending="a ticket")
    return ticket_link_to_source(ticket=ticket, source=source)


def _parse_key(key_or_url: str) -> str:
    match = TICKET_KEY.search(key_or_url.rsplit("/browse/", 1)[-1].split("/issue/", 1)[-1])
    if not match:
        raise ValidationFailed(
            "Bad key.", fields={"ticket": ["Give a ticket key such as PAY-7, or its URL."]}
        )
    return match.group(1).upper()


def _fetch_ticket(organization_id: int, key: str) -> Ticket:
    for connection in Connection.objects.filter(
        organization_id=organization_id, kind__in=list(CONNECTORS), is_enabled=True
    ):
        try:
            remote = connector_for(connection).get_ticket(key)
        except RemoteError:
            continue
        store_tickets(connection, [remote], announce_new=False)
        ticket = Ticket.objects.filter(
            connection=connection, external_id=remote.external_id
        ).first()
        if ticket is not None:
            return ticket
    raise ValidationFailed(
        "Unknown ticket.", fields={"ticket": [f"No tracker of this organization knows {key}."]}
    )


def ticket_link_to_source(*, ticket: Ticket, source) -> TicketLink:
    """Link a known ticket to a source (e.g. a ticket created in the tracker, imported here)."""
    return TicketLink.objects.create(
        ticket=ticket,
        tracker_project=ticket.tracker_project,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        created_via=TicketLink.CreatedVia.LINKED,
        sync_state=TicketLink.SyncState.OK,
        last_synced_at=timezone.now(),
    )


def ticket_unlink(*, link: TicketLink) -> None:
    """Forget a link (the ticket and its source stay as they are)."""
    link.delete()
