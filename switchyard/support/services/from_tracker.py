"""Customer issues following their tickets: moves, links, comments, and tickets created remotely."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.support.models import CustomerIssue, IssueComment, IssueStatus
from switchyard.support.notifications import notify_customer
from switchyard.support.services.issues import issue_update, next_issue_number, record_status
from switchyard.support.services.routing import described_by_contract, support_project_required
from switchyard.support.services.to_tracker import CATEGORY_STATUS
from switchyard.sync.models import Connection
from switchyard.trackers import services as trackers
from switchyard.trackers.models import TrackerProject
from switchyard.trackers.selectors import links_of_project, links_of_ticket


def issue_follow_ticket(*, issue: CustomerIssue, ticket, origin: Connection) -> None:
    """The ticket moved in the tracker: the issue takes the matching status (history says from where)."""
    status = CATEGORY_STATUS.get(ticket.status_category)
    if status and status != issue.status:
        issue_update(issue=issue, actor=None, origin=origin, via=origin.kind, status=status)


def issue_note_linked(*, issue: CustomerIssue, ticket) -> None:
    """Remember the issue's ticket where the REST contract's ``linear_*`` fields show it."""
    fields = {"last_synced_at": timezone.now()}
    if described_by_contract(ticket.connection):
        fields.update(
            linear_issue_id=ticket.external_id,
            linear_issue_url=ticket.url,
            synced_to_linear=True,
            linear_team_id=ticket.tracker_project.external_id,
        )
    CustomerIssue.objects.filter(pk=issue.pk).update(**fields)


@transaction.atomic
def issue_comment_from_tracker(
    *, issue: CustomerIssue, text: str, author_name: str, external_id: str
) -> None:
    _, created = IssueComment.objects.get_or_create(
        issue=issue, external_id=external_id, defaults={"text": text, "author_name": author_name}
    )
    if created:
        notify_customer(issue=issue, subject="New reply", body=f"{author_name} wrote:\n\n{text}")


@transaction.atomic
def issue_import_ticket(*, ticket) -> tuple[CustomerIssue, str]:
    """A ticket created in the organization's support tracker becomes an internal issue (once)."""
    existing = links_of_ticket(ticket=ticket, source_model=CustomerIssue).first()
    if existing is not None:
        return CustomerIssue.objects.get(pk=existing.source_id), "linked"
    organization = ticket.connection.organization
    issue = CustomerIssue.objects.create(
        issue_number=next_issue_number(year=timezone.now().year),
        title=ticket.summary[:300],
        description=ticket.description or ticket.summary,
        organization=organization,
        status=CATEGORY_STATUS.get(ticket.status_category, IssueStatus.OPEN),
        priority=trackers.local_priority_of(ticket) or "medium",
        is_client_issue=False,
    )
    record_status(issue, old="", actor=None, via=ticket.connection.kind)
    trackers.ticket_link_to_source(ticket=ticket, source=issue)
    issue_note_linked(issue=issue, ticket=ticket)
    return issue, "created"


@dataclass(frozen=True)
class Fetched:
    project: TrackerProject
    tickets: list
    synced: list[dict]


def issues_fetch_from_tracker(*, organization: Organization, limit: int, sync: bool) -> Fetched:
    """The newest tickets of the organization's support tracker; with ``sync``, apply them here."""
    project = support_project_required(organization=organization)
    tickets = trackers.fetch_recent_tickets(project=project, limit=limit)
    synced = _apply_fetched(project, tickets) if sync else []
    return Fetched(project=project, tickets=tickets, synced=synced)


def _apply_fetched(project: TrackerProject, tickets: list) -> list[dict]:
    """Store fetched tickets; linked issues follow them, unlinked tickets become issues."""
    links = {
        link.ticket.external_id: link.source_id
        for link in links_of_project(tracker_project=project, source_model=CustomerIssue).filter(
            ticket__isnull=False
        )
    }
    before = dict(CustomerIssue.objects.filter(pk__in=links.values()).values_list("pk", "status"))
    trackers.store_tickets(project.connection, tickets, announce_new=False)
    synced = []
    for remote in tickets:
        if remote.external_id in links:
            issue = CustomerIssue.objects.get(pk=links[remote.external_id])
            action = "updated" if before.get(issue.pk) != issue.status else "unchanged"
        else:
            ticket = project.tickets.get(external_id=remote.external_id)
            issue, action = issue_import_ticket(ticket=ticket)
        synced.append(
            {
                "linear_id": remote.external_id,
                "issue_id": issue.pk,
                "issue_number": issue.issue_number,
                "action": action,
            }
        )
    return synced
