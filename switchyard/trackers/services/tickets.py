"""Creating tickets for sources: one at a time or in bulk, through the outbox; and the defaults a
tracker project gives new tickets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from switchyard.core.exceptions import ValidationFailed
from switchyard.trackers import mappings
from switchyard.trackers.models import Ticket, TicketLink, TrackerProject
from switchyard.trackers.services.links import AlreadyLinked, ensure_not_linked
from switchyard.trackers.services.operations import CREATE_TICKET, queue_for_link
from switchyard.trackers.sources import TicketDraft, source_for


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
        {
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
