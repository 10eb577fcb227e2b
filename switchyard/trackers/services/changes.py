"""Changes made to a source (status, fields, comment, assignee) queued for its linked tickets.

A change that came from a tracker is not sent back to that tracker (``origin_connection_id``).
"""

from __future__ import annotations

from django.db import transaction

from switchyard.trackers.models import (
    CLOSED_CATEGORIES,
    RegressionPolicy,
    TicketComment,
    TicketLink,
)
from switchyard.trackers.selectors import links_of_source
from switchyard.trackers.services.operations import (
    ASSIGN_TICKET,
    COMMENT_TICKET,
    MOVE_TICKET,
    UPDATE_TICKET,
    queue_for_link,
)
from switchyard.trackers.services.tickets import ticket_create_for_source


def source_status_changed(
    *,
    source,
    category: str,
    origin_connection_id: int | None,
    comment: str = "",
    regressed: bool = False,
) -> None:
    """A source changed status: move its tickets into ``category`` (where links allow).

    A regression (a resolved source back again) reopens a closed ticket, or opens a new ticket
    beside it when its tracker project says so.
    """
    links = links_of_source(source=source, active=True).filter(status_to_tracker=True)
    for link in links:
        if link.tracker_project.connection_id == origin_connection_id:
            continue  # the change came from this tracker: don't send it back
        with transaction.atomic():
            if regressed and _opens_new_ticket(link):
                TicketLink.objects.filter(pk=link.pk).update(is_active=False)
                ticket_create_for_source(
                    source=source, tracker_project=link.tracker_project, via=link.created_via
                )
            else:
                _queue_move(link, category, comment=comment)


def _opens_new_ticket(link: TicketLink) -> bool:
    """Whether a regression of the link's source opens a new ticket rather than reopening it."""
    return bool(
        link.tracker_project.regression_policy == RegressionPolicy.NEW_TICKET
        and link.ticket
        and link.ticket.status_category in CLOSED_CATEGORIES
    )


def _queue_move(link: TicketLink, category: str, *, comment: str) -> None:
    TicketLink.objects.filter(pk=link.pk).update(sync_state=TicketLink.SyncState.PENDING)
    queue_for_link(link, MOVE_TICKET, {"category": category, "comment": comment})


def ticket_update_fields(*, link: TicketLink, change: dict) -> None:
    """Queue a change of summary / description / priority (local priority) on a linked ticket."""
    queue_for_link(link, UPDATE_TICKET, change)


def source_commented(
    *, source, comment_external_id: str, text: str, origin_connection_id: int | None
) -> None:
    """A comment on a source goes to each linked ticket, once."""
    for link in links_of_source(source=source, active=True):
        if link.tracker_project.connection_id == origin_connection_id:
            continue
        with transaction.atomic():
            _, created = TicketComment.objects.get_or_create(
                link=link,
                direction=TicketComment.Direction.TO_TRACKER,
                origin_external_id=comment_external_id,
                defaults={"text": text},
            )
            if created:
                queue_for_link(link, COMMENT_TICKET, {"text": text})


def source_assigned(*, source, email: str, origin_connection_id: int | None) -> None:
    """A source's assignee changed: assign the linked tickets to the same person (by email)."""
    for link in links_of_source(source=source, active=True).filter(ticket__isnull=False):
        if (
            link.tracker_project.connection_id == origin_connection_id
            or link.ticket.assignee_email == email
        ):
            continue
        queue_for_link(link, ASSIGN_TICKET, {"email": email})
