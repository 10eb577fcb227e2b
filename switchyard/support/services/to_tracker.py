"""Customer issue changes on their way to the linked tickets: status, fields, and delivery."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from switchyard.accounts.models import User
from switchyard.core.http import fail_fast
from switchyard.support.models import CustomerIssue, IssueStatus
from switchyard.support.services.routing import support_project_required
from switchyard.sync.models import Connection, OutboxEntry
from switchyard.sync.outbox import outbox_deliver
from switchyard.trackers import services as trackers
from switchyard.trackers.models import StatusCategory, TicketLink
from switchyard.trackers.selectors import links_of_source

STATUS_CATEGORY = {
    IssueStatus.OPEN: StatusCategory.TODO,
    IssueStatus.IN_PROGRESS: StatusCategory.IN_PROGRESS,
    IssueStatus.RESOLVED: StatusCategory.DONE,
    IssueStatus.CLOSED: StatusCategory.CANCELED,
}
CATEGORY_STATUS = {category: status for status, category in STATUS_CATEGORY.items()}
# How long a request waits for the tracker before answering and leaving the change to the outbox.
TRACKER_WAIT_SECONDS = 4.0


def push_status(issue: CustomerIssue, *, origin: Connection | None, comment: str = "") -> None:
    """The linked tickets move to the category of the issue's status (not back to ``origin``)."""
    trackers.source_status_changed(
        source=issue,
        category=STATUS_CATEGORY[issue.status],
        comment=comment,
        origin_connection_id=origin.pk if origin else None,
    )


def push_fields(issue: CustomerIssue, change: dict) -> None:
    """The live linked tickets take these field changes."""
    for link in links_of_source(source=issue, active=True):
        trackers.ticket_update_fields(link=link, change=change)


def issue_tracker_link(*, issue: CustomerIssue) -> TicketLink | None:
    """The issue's live link to its tracker ticket, if any."""
    return links_of_source(source=issue, active=True).select_related("ticket__connection").first()


def issue_deliver_soon(*, issue: CustomerIssue) -> bool:
    """Try to get the issue's waiting tracker changes out while the person waits (briefly)."""
    return deliver_now(issue)


def deliver_now(issue: CustomerIssue) -> bool:
    """Deliver the issue's waiting tracker changes within a short wait; True when all went out."""
    keys = [trackers.link_ordering_key(link) for link in links_of_source(source=issue, active=True)]
    waiting = OutboxEntry.objects.filter(
        ordering_key__in=keys, status__in=[OutboxEntry.Status.PENDING]
    ).order_by("id")
    with fail_fast(timeout=TRACKER_WAIT_SECONDS):
        for entry_id in waiting.values_list("pk", flat=True):
            outbox_deliver(entry_id=entry_id)
    return not OutboxEntry.objects.filter(
        ordering_key__in=keys,
        status__in=[
            OutboxEntry.Status.PENDING,
            OutboxEntry.Status.IN_FLIGHT,
            OutboxEntry.Status.FAILED,
        ],
    ).exists()


def issue_sync_to_tracker(*, issue: CustomerIssue, actor: User) -> bool:
    """Make sure the issue has a ticket and its waiting changes are delivered; True when in sync."""
    project = support_project_required(organization=issue.organization)
    with transaction.atomic():
        if not links_of_source(source=issue, active=True).filter(tracker_project=project).exists():
            trackers.ticket_create_for_source(source=issue, tracker_project=project)
        OutboxEntry.objects.filter(
            status=OutboxEntry.Status.FAILED,
            ordering_key__in=[
                trackers.link_ordering_key(link) for link in links_of_source(source=issue)
            ],
        ).update(status=OutboxEntry.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    return deliver_now(issue)
