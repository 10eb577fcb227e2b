"""Every write to customer issues: raise, change, assign, resolve, reopen, comment, and tracker sync."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from switchyard.accounts.models import Order, Organization, Role, User, Vendor
from switchyard.core import events
from switchyard.core.exceptions import ValidationFailed
from switchyard.core.http import fail_fast
from switchyard.support.models import (
    CustomerIssue,
    IssueComment,
    IssueNumber,
    IssueStatus,
    IssueStatusChange,
    SupportSettings,
)
from switchyard.support.notifications import notify_customer
from switchyard.sync.models import Connection, OutboxEntry
from switchyard.sync.outbox import outbox_deliver
from switchyard.trackers import services as trackers
from switchyard.trackers.models import StatusCategory, TicketLink, TrackerProject

logger = logging.getLogger(__name__)

STATUS_CATEGORY = {
    IssueStatus.OPEN: StatusCategory.TODO,
    IssueStatus.IN_PROGRESS: StatusCategory.IN_PROGRESS,
    IssueStatus.RESOLVED: StatusCategory.DONE,
    IssueStatus.CLOSED: StatusCategory.CANCELED,
}
CATEGORY_STATUS = {category: status for status, category in STATUS_CATEGORY.items()}
# How long a request waits for the tracker before answering and leaving the change to the outbox.
TRACKER_WAIT_SECONDS = 4.0


@dataclass(frozen=True)
class CustomerIssueChanged:
    """A customer issue was raised, or its status, priority or category changed."""

    issue_id: int


# -- numbering ---------------------------------------------------------------------------------


def next_issue_number(*, year: int) -> str:
    """The next ``ISS-<year>-<nnnn>``; unique under concurrent creation (call inside a transaction).

    The counter row is incremented with an UPDATE, which locks it until the transaction ends, so
    concurrent raises queue on it instead of reading the same number.
    """
    try:
        with transaction.atomic():
            IssueNumber.objects.get_or_create(year=year)
    except IntegrityError:
        pass  # created concurrently: fine
    IssueNumber.objects.filter(year=year).update(last=F("last") + 1)
    number = IssueNumber.objects.get(year=year).last
    return f"ISS-{year}-{number:04d}"


# -- where an organization's customer issues go -------------------------------------------------


def support_project(*, organization: Organization) -> TrackerProject | None:
    """The tracker project (Linear team or Jira project) receiving the organization's issues."""
    settings = (
        SupportSettings.objects.filter(organization=organization)
        .select_related("tracker_project__connection")
        .first()
    )
    if settings is None:
        return None
    if settings.tracker_project and not settings.tracker_project.is_deleted:
        return settings.tracker_project
    if settings.linear_team_id:
        return (
            TrackerProject.objects.filter(
                connection__organization=organization,
                connection__kind="linear",
                external_id=settings.linear_team_id,
                is_deleted=False,
            )
            .select_related("connection")
            .first()
        )
    return None


@transaction.atomic
def organization_set_linear_team(
    *, organization: Organization, linear_team_id: str
) -> SupportSettings:
    """Send the organization's customer issues to this Linear team from now on."""
    settings, _ = SupportSettings.objects.get_or_create(organization=organization)
    settings.linear_team_id = linear_team_id
    settings.save(update_fields=["linear_team_id"])
    return settings


@transaction.atomic
def support_settings_update(
    *, organization: Organization, linear_team_id: str, tracker_project: TrackerProject | None
) -> SupportSettings:
    """Set where the organization's customer issues go: a tracker project, or a Linear team id.

    The caller offers only the organization's own tracker projects (the admin scopes its choices).
    """
    settings, _ = SupportSettings.objects.update_or_create(
        organization=organization,
        defaults={"linear_team_id": linear_team_id, "tracker_project": tracker_project},
    )
    return settings


# -- history and tracker follow-ups -------------------------------------------------------------


def _record_status(issue: CustomerIssue, *, old: str, actor: User | None, via: str) -> None:
    change = IssueStatusChange.objects.create(
        issue=issue, changed_by=actor, from_status=old, to_status=issue.status, via=via
    )
    if old and actor != issue.raised_by_customer:
        notify_customer(
            issue=issue,
            subject=f"Now {change.get_to_status_display().lower()}",
            body=f"Your issue moved from {change.get_from_status_display()} to "
            f"{change.get_to_status_display()}.",
        )


def _push_status(issue: CustomerIssue, *, origin: Connection | None, comment: str = "") -> None:
    trackers.source_status_changed(
        source=issue,
        category=STATUS_CATEGORY[issue.status],
        comment=comment,
        origin_connection_id=origin.pk if origin else None,
    )


def _push_fields(issue: CustomerIssue, change: dict) -> None:
    for link in TicketLink.objects.filter(
        source_type__model="customerissue", source_id=issue.pk, is_active=True
    ).select_related("tracker_project__connection"):
        trackers.ticket_update_fields(link=link, change=change)


def issue_tracker_link(*, issue: CustomerIssue) -> TicketLink | None:
    """The issue's live link to its tracker ticket, if any."""
    return (
        TicketLink.objects.filter(
            source_type__model="customerissue", source_id=issue.pk, is_active=True
        )
        .select_related("ticket__connection", "tracker_project__connection")
        .first()
    )


def organization_linear_team_id(*, organization: Organization) -> str | None:
    settings = SupportSettings.objects.filter(organization=organization).first()
    return (settings.linear_team_id or None) if settings else None


def issue_deliver_soon(*, issue: CustomerIssue) -> bool:
    """Try to get the issue's waiting tracker changes out while the person waits (briefly)."""
    return _try_deliver_now(issue)


def _try_deliver_now(issue: CustomerIssue) -> bool:
    """Deliver the issue's waiting tracker changes within a short wait; True when all went out."""
    keys = [
        trackers.link_ordering_key(link)
        for link in TicketLink.objects.filter(
            source_type__model="customerissue", source_id=issue.pk, is_active=True
        )
    ]
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


# -- raising ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    issue: CustomerIssue
    link: TicketLink | None
    synced: bool


def _check_references(
    *, organization: Organization, customer: User | None, vendor: Vendor | None, order: Order | None
) -> None:
    errors = {}
    if vendor is not None and vendor.organization_id != organization.pk:
        errors["vendor"] = ["This vendor does not belong to the organization."]
    if order is not None and (
        order.organization_id != organization.pk or (customer and order.customer_id != customer.pk)
    ):
        errors["order"] = ["This order is not one of yours with this organization."]
    if errors:
        raise ValidationFailed("Invalid references.", fields=errors)


def issue_raise(
    *,
    customer: User,
    organization: Organization,
    title: str,
    description: str,
    priority: str,
    category: str,
    vendor: Vendor | None = None,
    order: Order | None = None,
) -> Raised:
    """A customer raises an issue; it goes to the organization's tracker now, or when it can."""
    _check_references(organization=organization, customer=customer, vendor=vendor, order=order)
    with transaction.atomic():
        issue = CustomerIssue.objects.create(
            issue_number=next_issue_number(year=timezone.now().year),
            title=title,
            description=description,
            organization=organization,
            priority=priority,
            category=category,
            vendor=vendor,
            order=order,
            created_by=customer,
            is_client_issue=True,
            raised_by_customer=customer,
        )
        _record_status(issue, old="", actor=customer, via="switchyard")
        project = support_project(organization=organization)
        link = None
        if project is not None:
            if project.connection.kind == "linear":
                issue.linear_team_id = project.external_id
                issue.save(update_fields=["linear_team_id"])
            link = trackers.ticket_create_for_source(source=issue, tracker_project=project)
        events.publish(
            CustomerIssueChanged(issue_id=issue.pk), organization_id=issue.organization_id
        )
    synced = link is not None and _try_deliver_now(issue)
    issue.refresh_from_db()
    return Raised(
        issue=issue,
        link=TicketLink.objects.filter(pk=link.pk).select_related("ticket").first()
        if link
        else None,
        synced=synced,
    )


# -- staff changes ----------------------------------------------------------------------------


@transaction.atomic
def issue_update(
    *,
    issue: CustomerIssue,
    actor: User | None,
    origin: Connection | None = None,
    via: str = "switchyard",
    **changes,
) -> CustomerIssue:
    """Change an issue's status, priority, title, description or category; trackers follow."""
    issue = CustomerIssue.objects.select_for_update().get(pk=issue.pk)
    old_status = issue.status
    changed_fields = [name for name, value in changes.items() if getattr(issue, name) != value]
    for name in changed_fields:
        setattr(issue, name, changes[name])
    if not changed_fields:
        return issue
    if "status" in changed_fields:
        if issue.status == IssueStatus.RESOLVED and not issue.resolved_at:
            issue.resolved_at, issue.resolved_by = timezone.now(), actor
        elif issue.status in (IssueStatus.OPEN, IssueStatus.IN_PROGRESS):
            issue.resolved_at = issue.resolved_by = None
    issue.save()
    if {"status", "priority", "category"} & set(changed_fields):
        events.publish(
            CustomerIssueChanged(issue_id=issue.pk), organization_id=issue.organization_id
        )
    if "status" in changed_fields:
        _record_status(issue, old=old_status, actor=actor, via=via)
        _push_status(issue, origin=origin)
    fields = {
        name: changes[name]
        for name in ("title", "description", "priority")
        if name in changed_fields
    }
    if fields and origin is None:
        if "title" in fields:
            fields["summary"] = f"[{issue.issue_number}] {fields.pop('title')}"
        _push_fields(issue, fields)
    return issue


def issue_resolve(*, issue: CustomerIssue, actor: User, resolution_notes: str) -> str:
    """Resolve an issue with notes; returns the status it had. A closed issue cannot be resolved."""
    previous = issue.status
    if previous == IssueStatus.CLOSED:
        raise ValidationFailed(
            "Closed.", fields={"status": ["A closed issue cannot be resolved; reopen it first."]}
        )
    if previous == IssueStatus.RESOLVED:
        raise ValidationFailed("Resolved.", fields={"status": ["This issue is already resolved."]})
    with transaction.atomic():
        issue_update(issue=issue, actor=actor, status=IssueStatus.RESOLVED)
        CustomerIssue.objects.filter(pk=issue.pk).update(
            resolution_notes=resolution_notes, resolved_by=actor, resolved_at=timezone.now()
        )
    return previous


def issue_reopen(*, issue: CustomerIssue, actor: User) -> str:
    """Reopen a resolved or closed issue: back to in progress (its ticket too)."""
    previous = issue.status
    if previous not in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
        raise ValidationFailed(
            "Not closed.", fields={"status": ["Only a resolved or closed issue can be reopened."]}
        )
    issue_update(issue=issue, actor=actor, status=IssueStatus.IN_PROGRESS)
    return previous


@transaction.atomic
def issue_assign(*, issue: CustomerIssue, actor: User, employee_id: int) -> CustomerIssue:
    """Assign the issue to a staff member of its organization."""
    employee = User.objects.filter(
        pk=employee_id,
        organization=issue.organization_id,
        role__in=[Role.ADMIN, Role.EMPLOYEE, Role.VENDOR],
        is_active=True,
    ).first()
    if employee is None:
        raise ValidationFailed(
            "Not an employee.",
            fields={"employee_id": ["This is not an employee of the issue's organization."]},
        )
    CustomerIssue.objects.filter(pk=issue.pk).update(
        assigned_to=employee, updated_at=timezone.now()
    )
    issue.refresh_from_db()
    return issue


@transaction.atomic
def issue_comment(*, issue: CustomerIssue, author: User, text: str) -> IssueComment:
    """Comment on an issue; the comment reaches the linked tickets too."""
    comment = IssueComment.objects.create(issue=issue, author=author, text=text)
    if not author.is_customer:
        notify_customer(
            issue=issue, subject="New reply", body=f"{author.display_name} wrote:\n\n{text}"
        )
    trackers.source_commented(
        source=issue,
        comment_external_id=f"switchyard-{comment.pk}",
        text=f"{author.display_name} ({author.get_role_display()}) on {issue.issue_number}:\n\n{text}",
        origin_connection_id=None,
    )
    return comment


def issue_sync_to_tracker(*, issue: CustomerIssue, actor: User) -> bool:
    """Make sure the issue has a ticket and its waiting changes are delivered; True when in sync."""
    project = support_project(organization=issue.organization)
    if project is None:
        raise ValidationFailed(
            "No tracker.",
            fields={
                "linear_team_id": ["The organization has no Linear team (or tracker project) set."]
            },
        )
    with transaction.atomic():
        if not TicketLink.objects.filter(
            source_type__model="customerissue",
            source_id=issue.pk,
            tracker_project=project,
            is_active=True,
        ).exists():
            trackers.ticket_create_for_source(source=issue, tracker_project=project)
        OutboxEntry.objects.filter(
            status=OutboxEntry.Status.FAILED,
            ordering_key__in=[
                trackers.link_ordering_key(link)
                for link in TicketLink.objects.filter(
                    source_type__model="customerissue", source_id=issue.pk
                )
            ],
        ).update(status=OutboxEntry.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    return _try_deliver_now(issue)


# -- from the tracker --------------------------------------------------------------------------


def issue_follow_ticket(*, issue: CustomerIssue, ticket, origin: Connection) -> None:
    """The ticket moved in the tracker: the issue takes the matching status (history says from where)."""
    status = CATEGORY_STATUS.get(ticket.status_category)
    if status and status != issue.status:
        issue_update(issue=issue, actor=None, origin=origin, via=origin.kind, status=status)


def issue_note_linked(*, issue: CustomerIssue, ticket) -> None:
    """Remember the Linear issue of a customer issue where the existing front end reads it."""
    fields = {"last_synced_at": timezone.now()}
    if ticket.connection.kind == "linear":
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
    existing = TicketLink.objects.filter(ticket=ticket, source_type__model="customerissue").first()
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
    _record_status(issue, old="", actor=None, via=ticket.connection.kind)
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
    project = support_project(organization=organization)
    if project is None:
        raise ValidationFailed(
            "No tracker.",
            fields={
                "linear_team_id": ["The organization has no Linear team (or tracker project) set."]
            },
        )
    tickets = trackers.fetch_recent_tickets(project=project, limit=limit)
    synced: list[dict] = []
    if sync:
        links = {
            link.ticket.external_id: link.source_id
            for link in TicketLink.objects.filter(
                tracker_project=project, source_type__model="customerissue", ticket__isnull=False
            ).select_related("ticket")
        }
        before = dict(
            CustomerIssue.objects.filter(pk__in=links.values()).values_list("pk", "status")
        )
        trackers.store_tickets(project.connection, tickets, announce_new=False)
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
    return Fetched(project=project, tickets=tickets, synced=synced)
