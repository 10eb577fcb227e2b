"""What support plugs in at start-up: customer issues as a ticket source, and imports from trackers."""

from __future__ import annotations

from switchyard.core import events
from switchyard.support import services
from switchyard.support.models import CustomerIssue
from switchyard.sync.models import Connection
from switchyard.trackers.models import Ticket
from switchyard.trackers.services import TicketCreatedRemotely
from switchyard.trackers.sources import TicketDraft, register_source


class CustomerIssueSource:
    """A customer issue: its status follows its ticket, and the ticket follows it."""

    model = CustomerIssue
    label = "Customer issue"

    def organization_id(self, issue: CustomerIssue) -> int:
        return issue.organization_id

    def draft(self, issue: CustomerIssue) -> TicketDraft:
        lines = [
            issue.description,
            "",
            f"- **Issue:** {issue.issue_number}",
            f"- **Category:** {issue.category}",
        ]
        if issue.raised_by_customer:
            customer = issue.raised_by_customer
            lines.append(f"- **Raised by:** {customer.display_name} <{customer.email}>")
        if issue.order:
            lines.append(f"- **Order:** {issue.order.number} ({issue.order.ordered_on:%Y-%m-%d})")
        if issue.vendor:
            lines.append(f"- **Vendor:** {issue.vendor.name}")
        return TicketDraft(
            summary=f"[{issue.issue_number}] {issue.title}"[:250],
            description="\n".join(lines),
            priority=issue.priority,
            labels=("customer-issue", f"category-{issue.category}"),
        )

    def is_closed(self, issue: CustomerIssue) -> bool:
        return issue.status in ("resolved", "closed")

    def on_ticket_moved(
        self, issue: CustomerIssue, *, ticket: Ticket, old_category: str, origin: Connection
    ) -> None:
        services.issue_follow_ticket(issue=issue, ticket=ticket, origin=origin)

    def on_linked(self, issue: CustomerIssue, *, ticket: Ticket) -> None:
        services.issue_note_linked(issue=issue, ticket=ticket)

    def add_comment(
        self, issue: CustomerIssue, *, text: str, origin: Connection, external_id: str
    ) -> None:
        services.issue_comment_from_tracker(
            issue=issue,
            text=text,
            author_name=origin.get_kind_display(),
            external_id=f"{origin.kind}:{external_id}",
        )

    def assignee_email(self, issue: CustomerIssue) -> str:
        return issue.assigned_to.email if issue.assigned_to else ""

    def assign(self, issue: CustomerIssue, *, email: str, origin: Connection) -> None:
        """Tracker assignees are not staff of the organization: nothing to do here."""


def _import_new_ticket(event: TicketCreatedRemotely) -> None:
    ticket = (
        Ticket.objects.select_related("connection__organization", "tracker_project")
        .filter(pk=event.ticket_id)
        .first()
    )
    if ticket is None:
        return
    project = services.support_project(organization=ticket.connection.organization)
    if project is not None and project.pk == ticket.tracker_project_id:
        services.issue_import_ticket(ticket=ticket)


def register() -> None:
    register_source(CustomerIssueSource())
    events.subscribe(TicketCreatedRemotely, _import_new_ticket)
