"""Every write to tracker projects, tickets and links: pulls, webhooks, creates, status both ways."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from switchyard.core import events
from switchyard.core.exceptions import DomainError, RemoteError, ValidationFailed
from switchyard.sync.batches import BATCH, batches, read_ahead
from switchyard.sync.models import Connection, OutboxEntry, WebhookDelivery
from switchyard.sync.outbox import max_attempts, outbox_add
from switchyard.sync.registry import VerifiedWebhook
from switchyard.sync.runs import RunRecorder
from switchyard.sync.upsert import BatchUpsert, bulk_upsert
from switchyard.trackers import mappings
from switchyard.trackers.connectors.base import (
    NewTicket,
    RemoteComment,
    RemoteTicket,
    RemoteTrackerProject,
    StatusNotReachable,
    TicketChange,
)
from switchyard.trackers.connectors.registry import connector_for
from switchyard.trackers.models import (
    CLOSED_CATEGORIES,
    RegressionPolicy,
    Ticket,
    TicketComment,
    TicketLink,
    TrackerProject,
)
from switchyard.trackers.sources import TicketDraft, source_for

logger = logging.getLogger(__name__)

TRACKER_KINDS = ("jira", "linear")
PROJECT_FIELDS = ["key", "name", "project_type", "lead", "is_deleted"]
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
CREATE_TICKET = "tracker.create_ticket"
MOVE_TICKET = "tracker.move_ticket"
UPDATE_TICKET = "tracker.update_ticket"
COMMENT_TICKET = "tracker.comment"
ASSIGN_TICKET = "tracker.assign"


@dataclass(frozen=True)
class LinkTicketCreated:
    """The ticket of a link created through the outbox exists in the tracker."""

    link_id: int


@dataclass(frozen=True)
class LinkTicketFailed:
    """Creating the ticket of a link failed for good; ``message`` is the tracker's own words."""

    link_id: int
    message: str


class AlreadyLinked(DomainError):
    code = "already_linked"


def link_ordering_key(link: TicketLink) -> str:
    return f"ticket-link:{link.pk}"


# -- pull --------------------------------------------------------------------------------------


def _remote_project(project: TrackerProject) -> RemoteTrackerProject:
    return RemoteTrackerProject(
        external_id=project.external_id,
        key=project.key,
        name=project.name,
        project_type=project.project_type,
        lead=project.lead,
    )


def tracker_pull(connection: Connection, recorder: RunRecorder) -> None:
    """Pull projects (or teams), their statuses, then tickets updated since the cursor."""
    connector = connector_for(connection)
    remote_projects = list(connector.iter_projects())
    rows = [
        TrackerProject(
            connection=connection,
            external_id=p.external_id,
            key=p.key,
            name=p.name,
            project_type=p.project_type,
            lead=p.lead,
            is_deleted=False,
        )
        for p in remote_projects
    ]
    for chunk in batches(rows, BATCH):
        counts = bulk_upsert(
            TrackerProject,
            chunk,
            unique_fields=["connection", "external_id"],
            update_fields=PROJECT_FIELDS,
        )
        recorder.count_upsert(TrackerProject, counts)
    recorder.add_scope("projects")
    projects = list(
        TrackerProject.objects.filter(connection=connection).select_related("connection")
    )
    if recorder.full:
        gone = [
            p.pk for p in projects if p.external_id not in {r.external_id for r in remote_projects}
        ]
        recorder.count(
            deleted=TrackerProject.objects.filter(pk__in=gone, is_deleted=False).update(
                is_deleted=True
            )
        )
    mappings.ensure_default_priorities(projects)
    by_remote = {p.external_id: p for p in projects}
    mappings.learn_statuses(
        (by_remote[rp.external_id].pk, status.name, status.external_id, status.category)
        for rp in remote_projects
        for status in connector.statuses(rp)
    )

    live = [_remote_project(p) for p in projects if not p.is_deleted]
    since = recorder.since("tickets")
    seen: set[str] = set()
    newest_per_batch = []
    for batch in read_ahead(batches(connector.iter_tickets(live, updated_since=since), BATCH)):
        with transaction.atomic():
            store_tickets(connection, batch, recorder=recorder)
        seen.update(ticket.external_id for ticket in batch)
        newest_per_batch.append(max(ticket.updated_at for ticket in batch))
    recorder.advance("tickets", max(newest_per_batch, default=None))
    recorder.add_scope("tickets")
    if recorder.full:
        gone = list(
            Ticket.objects.filter(connection=connection, is_deleted=False)
            .exclude(external_id__in=seen)
            .values_list("external_id", flat=True)
        )
        with transaction.atomic():
            Ticket.objects.filter(connection=connection, external_id__in=gone).update(
                is_deleted=True
            )
            if gone:
                events.publish(
                    TicketsChanged(connection_id=connection.pk, external_ids=tuple(gone)),
                    organization_id=connection.organization_id,
                )
        recorder.count(deleted=len(gone))


def _project_index(connection: Connection) -> dict[str, TrackerProject]:
    """Tracker projects by remote id and by key (tickets name their project by one or the other)."""
    index: dict[str, TrackerProject] = {}
    for project in TrackerProject.objects.filter(connection=connection).select_related(
        "connection"
    ):
        index[project.external_id] = project
        index[project.key] = project
    return index


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
    mappings.learn_statuses(
        (projects[t.project_external_id].pk, t.status, "", t.status_category) for t in known
    )
    categories = mappings.status_categories(projects[t.project_external_id].pk for t in known)
    rows = []
    for remote in known:
        project = projects[remote.project_external_id]
        rows.append(
            Ticket(
                connection=connection,
                tracker_project=project,
                external_id=remote.external_id,
                key=remote.key,
                url=remote.url,
                summary=remote.summary[:500],
                description=remote.description,
                issue_type=remote.issue_type,
                status=remote.status,
                status_category=categories.get((project.pk, remote.status), remote.status_category),
                priority=remote.priority,
                assignee_email=remote.assignee_email or "",
                reporter_email=remote.reporter_email or "",
                remote_created_at=remote.created_at,
                remote_updated_at=remote.updated_at,
                resolved_at=remote.resolved_at,
                is_deleted=False,
            )
        )
    upsert = BatchUpsert(
        Ticket, rows, unique_fields=["connection", "external_id"], update_fields=TICKET_FIELDS
    )
    before = {
        row.external_id: (current["status_category"], current["assignee_email"])
        for row in rows
        if (current := upsert.stored(row))
    }
    counts = upsert.write()
    if recorder is not None:
        recorder.count_upsert(Ticket, counts, failed=len(page) - len(known))
    if upsert.written:
        events.publish(
            TicketsChanged(
                connection_id=connection.pk,
                external_ids=tuple(row.external_id for row in upsert.written),
            ),
            organization_id=connection.organization_id,
        )
    new = [row.external_id for row in rows if row.external_id not in before]
    if new and announce_new:
        for ticket_id in Ticket.objects.filter(
            connection=connection, external_id__in=new
        ).values_list("pk", flat=True):
            events.publish(
                TicketCreatedRemotely(ticket_id=ticket_id),
                organization_id=connection.organization_id,
            )
    changed = {
        row.external_id: row
        for row in rows
        if row.external_id in before
        and before[row.external_id] != (row.status_category, row.assignee_email)
    }
    if changed:
        tickets = Ticket.objects.filter(
            connection=connection, external_id__in=changed
        ).select_related("connection")
        for ticket in tickets:
            old_category, old_assignee = before[ticket.external_id]
            if old_category != ticket.status_category:
                _follow_ticket_status(ticket, old_category)
            if old_assignee != ticket.assignee_email:
                _follow_ticket_assignee(ticket)
    return rows


def _active_links(ticket: Ticket):
    return TicketLink.objects.filter(ticket=ticket, is_active=True).select_related("source_type")


def _follow_ticket_status(ticket: Ticket, old_category: str) -> None:
    """A ticket moved in the tracker: what it tracks follows (where the link allows)."""
    for link in _active_links(ticket).filter(status_to_source=True):
        source = link.source
        if source is None:
            continue
        with transaction.atomic():
            source_for(type(source)).on_ticket_moved(
                source, ticket=ticket, old_category=old_category, origin=ticket.connection
            )
            _mark_link_ok(link)


def _follow_ticket_assignee(ticket: Ticket) -> None:
    for link in _active_links(ticket):
        source = link.source
        if source is not None and ticket.assignee_email:
            source_for(type(source)).assign(
                source, email=ticket.assignee_email, origin=ticket.connection
            )


def _mark_link_ok(link: TicketLink) -> None:
    TicketLink.objects.filter(pk=link.pk).update(
        sync_state=TicketLink.SyncState.OK, last_synced_at=timezone.now(), last_error=""
    )


def _mark_link_failing(link_id: int, error: str) -> None:
    TicketLink.objects.filter(pk=link_id).update(
        sync_state=TicketLink.SyncState.FAILING,
        last_error=error[:2000],
        last_error_at=timezone.now(),
    )


# -- webhooks ----------------------------------------------------------------------------------


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
    for link in _active_links(ticket):
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


# -- creating and linking tickets --------------------------------------------------------------


@dataclass
class BulkCreateResult:
    queued: list[int] = field(default_factory=list)  # source ids whose ticket is being created
    already_linked: list[int] = field(default_factory=list)


def _check_project(source, project: TrackerProject) -> None:
    if source_for(type(source)).organization_id(source) != project.connection.organization_id:
        raise ValidationFailed(
            "Wrong organization.", fields={"tracker_project": ["Unknown tracker project."]}
        )
    if project.is_deleted:
        raise ValidationFailed(
            "Deleted project.",
            fields={"tracker_project": ["This project no longer exists in the tracker."]},
        )


def _active_link(source, project: TrackerProject) -> TicketLink | None:
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        tracker_project=project,
        is_active=True,
    ).first()


@transaction.atomic
def ticket_create_for_source(
    *,
    source,
    tracker_project: TrackerProject,
    via: str = TicketLink.CreatedVia.MANUAL,
    draft: TicketDraft | None = None,
    issue_type: str = "",
) -> TicketLink:
    """Create a ticket for ``source`` in ``tracker_project`` (through the outbox) and link it.

    ``draft`` and ``issue_type`` replace the source's own description and the project's default.
    """
    _check_project(source, tracker_project)
    if (existing := _active_link(source, tracker_project)) is not None:
        label = existing.ticket.key if existing.ticket else "a ticket being created"
        raise AlreadyLinked(f"Already linked to {label} in {tracker_project.key}.")
    draft = draft or source_for(type(source)).draft(source)
    link = TicketLink.objects.create(
        tracker_project=tracker_project,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        created_via=via,
    )
    outbox_add(
        connection=tracker_project.connection,
        operation_name=CREATE_TICKET,
        ordering_key=link_ordering_key(link),
        payload={
            "link": link.pk,
            "summary": draft.summary,
            "description": draft.description,
            "priority": draft.priority,
            "labels": [*tracker_project.default_labels, *draft.labels],
            "assignee_email": draft.assignee_email,
            "issue_type": issue_type,
        },
    )
    return link


def tickets_create_for_sources(
    *, sources: Iterable, tracker_project: TrackerProject, via: str = TicketLink.CreatedVia.BULK
) -> BulkCreateResult:
    """Create a ticket for each source not yet linked in that project; say which were skipped."""
    result = BulkCreateResult()
    for source in sources:
        try:
            ticket_create_for_source(source=source, tracker_project=tracker_project, via=via)
        except AlreadyLinked:
            result.already_linked.append(source.pk)
        else:
            result.queued.append(source.pk)
    return result


def deliver_create_ticket(entry: OutboxEntry) -> dict:
    """Create the ticket, unless an earlier attempt did (the idempotency key finds it)."""
    link = (
        TicketLink.objects.select_related("tracker_project__connection")
        .filter(pk=entry.payload["link"])
        .first()
    )
    if link is None:
        return {"skipped": "link removed"}
    if link.ticket_id:
        return {"ticket": link.ticket.key}
    project = link.tracker_project
    connector = connector_for(entry.connection)
    key = str(entry.idempotency_key)
    try:
        remote = connector.find_created(key) or connector.create_ticket(
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
    except RemoteError as error:
        _mark_link_failing(link.pk, error.message)
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


def _refusal(error: RemoteError) -> str:
    """The remote's reason in its own words: its field errors, else the start of its answer."""
    details = getattr(error, "field_errors", None) or {}
    said = "; ".join(f"{name}: {text}" for name, text in details.items()) or error.body[:500]
    return f"{error.message}: {said}" if said else error.message


TICKET_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*-\d+)")


def _parse_key(key_or_url: str) -> str:
    match = TICKET_KEY.search(key_or_url.rsplit("/browse/", 1)[-1].split("/issue/", 1)[-1])
    if not match:
        raise ValidationFailed(
            "Bad key.", fields={"ticket": ["Give a ticket key such as PAY-7, or its URL."]}
        )
    return match.group(1).upper()


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
    if (existing := _active_link(source, ticket.tracker_project)) is not None:
        raise AlreadyLinked(
            f"Already linked to {existing.ticket.key if existing.ticket else 'a ticket'} in {ticket.tracker_project.key}."
        )
    return ticket_link_to_source(ticket=ticket, source=source)


def _fetch_ticket(organization_id: int, key: str) -> Ticket:
    for connection in Connection.objects.filter(
        organization_id=organization_id, kind__in=TRACKER_KINDS, is_enabled=True
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


def fetch_recent_tickets(*, project: TrackerProject, limit: int) -> list[RemoteTicket]:
    """The ``limit`` most recently updated tickets of a project, straight from the tracker."""
    return connector_for(project.connection).recent_tickets(_remote_project(project), limit=limit)


def local_priority_of(ticket: Ticket) -> str | None:
    """The local priority a ticket's remote priority stands for in its project."""
    return mappings.local_priority(ticket.tracker_project, ticket.priority)


def ticket_unlink(*, link: TicketLink) -> None:
    """Forget a link (the ticket and its source stay as they are)."""
    link.delete()


# -- status from a source to its tickets --------------------------------------------------------


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
    links = TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        is_active=True,
        status_to_tracker=True,
    ).select_related("ticket", "tracker_project__connection")
    for link in links:
        if link.tracker_project.connection_id == origin_connection_id:
            continue  # the change came from this tracker: don't send it back
        with transaction.atomic():
            if (
                regressed
                and link.tracker_project.regression_policy == RegressionPolicy.NEW_TICKET
                and link.ticket
                and link.ticket.status_category in CLOSED_CATEGORIES
            ):
                TicketLink.objects.filter(pk=link.pk).update(is_active=False)
                ticket_create_for_source(
                    source=source, tracker_project=link.tracker_project, via=link.created_via
                )
            else:
                _queue_move(link, category, comment=comment)


def _queue_move(link: TicketLink, category: str, *, comment: str) -> None:
    TicketLink.objects.filter(pk=link.pk).update(sync_state=TicketLink.SyncState.PENDING)
    outbox_add(
        connection=link.tracker_project.connection,
        operation_name=MOVE_TICKET,
        ordering_key=link_ordering_key(link),
        payload={"link": link.pk, "category": category, "comment": comment},
    )


def _entry_link(entry: OutboxEntry) -> TicketLink | None:
    """The link an outbox entry is about, with its ticket and project (None if unlinked meanwhile)."""
    return (
        TicketLink.objects.select_related("ticket", "tracker_project__connection")
        .filter(pk=entry.payload["link"])
        .first()
    )


def deliver_move_ticket(entry: OutboxEntry) -> dict:
    """Move the linked ticket into the category; a workflow that does not allow it fails visibly."""
    if (link := _entry_link(entry)) is None or link.ticket is None:
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
        _mark_link_failing(link.pk, str(error))
        raise DomainError(str(error)) from error
    except RemoteError as error:
        _mark_link_failing(link.pk, error.message)
        raise
    with transaction.atomic():
        store_tickets(entry.connection, [remote])
        _mark_link_ok(link)
    return {"status": remote.status}


# -- other changes pushed to tickets -----------------------------------------------------------


def ticket_update_fields(*, link: TicketLink, change: dict) -> None:
    """Queue a change of summary / description / priority (local priority) on a linked ticket."""
    outbox_add(
        connection=link.tracker_project.connection,
        operation_name=UPDATE_TICKET,
        ordering_key=link_ordering_key(link),
        payload={"link": link.pk, **change},
    )


def deliver_update_ticket(entry: OutboxEntry) -> dict:
    if (link := _entry_link(entry)) is None or link.ticket is None:
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


def source_commented(
    *, source, comment_external_id: str, text: str, origin_connection_id: int | None
) -> None:
    """A comment on a source goes to each linked ticket, once."""
    links = TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        is_active=True,
    ).select_related("tracker_project__connection")
    for link in links:
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
                outbox_add(
                    connection=link.tracker_project.connection,
                    operation_name=COMMENT_TICKET,
                    ordering_key=link_ordering_key(link),
                    payload={"link": link.pk, "text": text},
                )


def deliver_comment(entry: OutboxEntry) -> dict:
    if (link := _entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    comment = connector_for(entry.connection).add_comment(
        link.ticket.external_id, entry.payload["text"], idempotency_key=str(entry.idempotency_key)
    )
    return {"comment": comment.external_id if comment else ""}


def source_assigned(*, source, email: str, origin_connection_id: int | None) -> None:
    """A source's assignee changed: assign the linked tickets to the same person (by email)."""
    links = TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        is_active=True,
        ticket__isnull=False,
    ).select_related("ticket", "tracker_project__connection")
    for link in links:
        if (
            link.tracker_project.connection_id == origin_connection_id
            or link.ticket.assignee_email == email
        ):
            continue
        outbox_add(
            connection=link.tracker_project.connection,
            operation_name=ASSIGN_TICKET,
            ordering_key=link_ordering_key(link),
            payload={"link": link.pk, "email": email},
        )


def deliver_assign(entry: OutboxEntry) -> dict:
    if (link := _entry_link(entry)) is None or link.ticket is None:
        return {"skipped": "no ticket"}
    remote = connector_for(entry.connection).assign(
        link.ticket.external_id, entry.payload["email"] or None
    )
    store_tickets(entry.connection, [remote])
    return {"assignee": remote.assignee_email}


def tracker_test_connection(connection: Connection) -> str:
    return connector_for(connection).whoami()


@transaction.atomic
def tracker_project_update(*, project: TrackerProject, **fields) -> TrackerProject:
    """Change a tracker project's defaults for new tickets."""
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "synced_at"])
    return project
