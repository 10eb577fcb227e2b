"""Creating tickets for sources: one at a time or in bulk, through the outbox; and the defaults a
tracker project gives new tickets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from switchyard.core.bulk import insert_rows_skipping_conflicts
from switchyard.core.exceptions import ValidationFailed
from switchyard.trackers import mappings
from switchyard.trackers.models import Ticket, TicketLink, TrackerProject
from switchyard.trackers.services.links import AlreadyLinked, ensure_not_linked
from switchyard.trackers.services.operations import (
    CREATE_TICKET,
    queue_for_link,
    queue_for_new_links,
)
from switchyard.trackers.sources import TicketDraft, source_for


@dataclass
class BulkCreateResult:
    queued: list[int] = field(default_factory=list)  # source ids whose ticket is being created
    already_linked: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TicketOrder:
    """One ticket to create for a source: where, what it says (``issue_type``: "" for the
    project's default)."""

    source: models.Model
    tracker_project: TrackerProject
    draft: TicketDraft
    issue_type: str = ""


@dataclass(frozen=True)
class OrderResult:
    """What came of an order: the new link, or why there is none (``already_linked``: the source
    has a live link in that project; ``refused``: the message of a refusal)."""

    link_id: int | None = None
    already_linked: bool = False
    refused: str = ""


PENDING = str(TicketLink.SyncState.PENDING)
LINK_COLUMNS = [
    "tracker_project_id",
    "source_type_id",
    "source_id",
    "created_via",
    "status_to_source",
    "status_to_tracker",
    "is_active",
    "sync_state",
    "last_error",
    "created_at",
]


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
    ensure_not_linked(source, tracker_project, pending="a ticket being created")
    draft = draft or source_for(type(source)).draft(source)
    link = TicketLink.objects.create(
        tracker_project=tracker_project,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        created_via=via,
    )
    queue_for_link(
        link,
        CREATE_TICKET,
        _create_payload(TicketOrder(source, tracker_project, draft, issue_type)),
    )
    return link


def _create_payload(order: TicketOrder) -> dict:
    draft = order.draft
    return {
        "summary": draft.summary,
        "description": draft.description,
        "priority": draft.priority,
        "labels": [*order.tracker_project.default_labels, *draft.labels],
        "assignee_email": draft.assignee_email,
        "issue_type": order.issue_type,
    }


@transaction.atomic
def tickets_create_for_orders(*, orders: list[TicketOrder], via: str) -> list[OrderResult]:
    """Create a ticket per order (through the outbox) and link it, all at once: the orders' links
    in one insert that leaves out a source already linked in the project (the one live link per
    source and project decides, also against a link being made at the same time), then their
    creations in one outbox insert per connection. The results are in the order of ``orders``."""
    now = timezone.now()
    results: list[OrderResult | None] = [None] * len(orders)
    rows, keys = [], []
    for n, order in enumerate(orders):
        try:
            _check_project(order.source, order.tracker_project)
        except ValidationFailed as error:
            results[n] = OrderResult(refused=error.message)
            continue
        key = (
            ContentType.objects.get_for_model(order.source).pk,
            order.source.pk,
            order.tracker_project.pk,
        )
        keys.append((n, key))
        rows.append((key[2], key[0], key[1], str(via), True, True, True, PENDING, "", now))
    won = insert_rows_skipping_conflicts(
        TicketLink,
        LINK_COLUMNS,
        rows,
        ["id", "source_type_id", "source_id", "tracker_project_id"],
    )
    link_ids = {tuple(row[1:]): row[0] for row in won}
    payloads: dict[int, dict[int, dict]] = defaultdict(dict)
    connections = {}
    for n, key in keys:
        link_id = link_ids.get(key)
        results[n] = OrderResult(link_id=link_id, already_linked=link_id is None)
        if link_id is not None:
            connection = orders[n].tracker_project.connection
            connections[connection.pk] = connection
            payloads[connection.pk][link_id] = _create_payload(orders[n])
    for connection_pk, by_link in payloads.items():
        queue_for_new_links(connections[connection_pk], CREATE_TICKET, by_link)
    return results


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


def local_priority_of(ticket: Ticket) -> str | None:
    """The local priority a ticket's remote priority stands for in its project."""
    return mappings.local_priority(ticket.tracker_project, ticket.priority)


@transaction.atomic
def tracker_project_update(*, project: TrackerProject, **fields) -> TrackerProject:
    """Change a tracker project's defaults for new tickets."""
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "synced_at"])
    return project
