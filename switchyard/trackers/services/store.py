"""Storing tickets a tracker sent (a pull's batch, a webhook, a delivery's answer), then following
their status and assignee changes to what they track."""

from __future__ import annotations

from django.db import transaction

from switchyard.core import events
from switchyard.sync.models import Connection
from switchyard.sync.pulled import announce_rows
from switchyard.sync.runs import RunRecorder
from switchyard.sync.upsert import BatchUpsert
from switchyard.trackers import mappings
from switchyard.trackers.connectors.base import RemoteTicket
from switchyard.trackers.events import TicketCreatedRemotely, TicketsChanged
from switchyard.trackers.models import Ticket, TrackerProject
from switchyard.trackers.selectors import links_of_ticket
from switchyard.trackers.services.operations import mark_link_ok
from switchyard.trackers.sources import source_for

TICKET_FIELDS = [
    "tracker_project",
    "key",
    "url",
    "summary",
    "description",
    "issue_type",
    "status",
    "status_category",
    "priority",
    "assignee_email",
    "reporter_email",
    "remote_created_at",
    "remote_updated_at",
    "resolved_at",
    "is_deleted",
]

# What a stored ticket looked like before a batch: its status category and assignee email.
Before = dict[str, tuple[str, str]]


def store_tickets(
    connection: Connection,
    page: list[RemoteTicket],
    *,
    recorder: RunRecorder | None = None,
    announce_new: bool = True,
) -> list[Ticket]:
    """Upsert tickets; then follow status changes to what the tickets track.

    New tickets are announced (TicketCreatedRemotely) unless Switchyard itself just made them.
    """
    projects = _project_index(connection)
    known = [ticket for ticket in page if ticket.project_external_id in projects]
    rows = _ticket_rows(connection, known, projects)
    upsert = BatchUpsert(
        Ticket, rows, unique_fields=["connection", "external_id"], update_fields=TICKET_FIELDS
    )
    before: Before = {
        row.external_id: (current["status_category"], current["assignee_email"])
        for row in rows
        if (current := upsert.stored(row))
    }
    counts = upsert.write()
    if recorder is not None:
        recorder.count_upsert(Ticket, counts, failed=len(page) - len(known))
    announce_rows(TicketsChanged, connection, [row.external_id for row in upsert.written])
    if announce_new:
        _announce_new(
            connection, [row.external_id for row in rows if row.external_id not in before]
        )
    _follow_changes(connection, rows, before)
    return rows


def _project_index(connection: Connection) -> dict[str, TrackerProject]:
    """Tracker projects by remote id and by key (tickets name their project by one or the other)."""
    index: dict[str, TrackerProject] = {}
    for project in TrackerProject.objects.filter(connection=connection).select_related(
        "connection"
    ):
        index[project.external_id] = project
        index[project.key] = project
    return index


def _ticket_rows(
    connection: Connection, remotes: list[RemoteTicket], projects: dict[str, TrackerProject]
) -> list[Ticket]:
    """Rows for tickets of known projects, their category as the project's status mapping says."""
    mappings.learn_statuses(
        (projects[t.project_external_id].pk, t.status, "", t.status_category) for t in remotes
    )
    categories = mappings.status_categories(projects[t.project_external_id].pk for t in remotes)
    rows = []
    for remote in remotes:
        project = projects[remote.project_external_id]
        category = categories.get((project.pk, remote.status), remote.status_category)
        rows.append(_ticket_row(connection, project, remote, category))
    return rows


def _ticket_row(
    connection: Connection, project: TrackerProject, remote: RemoteTicket, category: str
) -> Ticket:
    return Ticket(
        connection=connection,
        tracker_project=project,
        external_id=remote.external_id,
        key=remote.key,
        url=remote.url,
        summary=remote.summary[:500],
        description=remote.description,
        issue_type=remote.issue_type,
        status=remote.status,
        status_category=category,
        priority=remote.priority,
        assignee_email=remote.assignee_email or "",
        reporter_email=remote.reporter_email or "",
        remote_created_at=remote.created_at,
        remote_updated_at=remote.updated_at,
        resolved_at=remote.resolved_at,
        is_deleted=False,
    )


def _announce_new(connection: Connection, external_ids: list[str]) -> None:
    if not external_ids:
        return
    for ticket_id in Ticket.objects.filter(
        connection=connection, external_id__in=external_ids
    ).values_list("pk", flat=True):
        events.publish(
            TicketCreatedRemotely(ticket_id=ticket_id),
            organization_id=connection.organization_id,
        )


def _follow_changes(connection: Connection, rows: list[Ticket], before: Before) -> None:
    """Tickets whose status category or assignee changed carry the change to what they track."""
    changed = {
        row.external_id
        for row in rows
        if row.external_id in before
        and before[row.external_id] != (row.status_category, row.assignee_email)
    }
    if not changed:
        return
    tickets = Ticket.objects.filter(connection=connection, external_id__in=changed).select_related(
        "connection"
    )
    for ticket in tickets:
        old_category, old_assignee = before[ticket.external_id]
        if old_category != ticket.status_category:
            _follow_ticket_status(ticket, old_category)
        if old_assignee != ticket.assignee_email:
            _follow_ticket_assignee(ticket)


def _follow_ticket_status(ticket: Ticket, old_category: str) -> None:
    """A ticket moved in the tracker: what it tracks follows (where the link allows)."""
    for link in links_of_ticket(ticket=ticket, active=True).filter(status_to_source=True):
        source = link.source
        if source is None:
            continue
        with transaction.atomic():
            source_for(type(source)).on_ticket_moved(
                source, ticket=ticket, old_category=old_category, origin=ticket.connection
            )
            mark_link_ok(link)


def _follow_ticket_assignee(ticket: Ticket) -> None:
    for link in links_of_ticket(ticket=ticket, active=True):
        source = link.source
        if source is not None and ticket.assignee_email:
            source_for(type(source)).assign(
                source, email=ticket.assignee_email, origin=ticket.connection
            )
