"""Writes to customer issues themselves: numbering, raise, change, resolve, reopen, assign, comment."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from switchyard.accounts.models import Order, Organization, Role, User, Vendor
from switchyard.core import events
from switchyard.core.exceptions import ValidationFailed
from switchyard.support.events import CustomerIssueChanged
from switchyard.support.models import (
    CustomerIssue,
    IssueComment,
    IssueNumber,
    IssueStatus,
    IssueStatusChange,
)
from switchyard.support.notifications import notify_customer
from switchyard.support.services.routing import described_by_contract, support_project
from switchyard.support.services.to_tracker import deliver_now, push_fields, push_status
from switchyard.sync.models import Connection
from switchyard.trackers import services as trackers
from switchyard.trackers.models import TicketLink
from switchyard.trackers.selectors import links_of_source

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


# -- history ----------------------------------------------------------------------------------


def record_status(issue: CustomerIssue, *, old: str, actor: User | None, via: str) -> None:
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
        record_status(issue, old="", actor=customer, via="switchyard")
        project = support_project(organization=organization)
        link = None
        if project is not None:
            if described_by_contract(project.connection):
                issue.linear_team_id = project.external_id
                issue.save(update_fields=["linear_team_id"])
            link = trackers.ticket_create_for_source(source=issue, tracker_project=project)
        events.publish(
            CustomerIssueChanged(issue_id=issue.pk), organization_id=issue.organization_id
        )
    synced = link is not None and deliver_now(issue)
    issue.refresh_from_db()
    return Raised(
        issue=issue,
        link=links_of_source(source=issue).filter(pk=link.pk).first() if link else None,
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
        record_status(issue, old=old_status, actor=actor, via=via)
        push_status(issue, origin=origin)
    fields = {
        name: changes[name]
        for name in ("title", "description", "priority")
        if name in changed_fields
    }
    if fields and origin is None:
        if "title" in fields:
            fields["summary"] = f"[{issue.issue_number}] {fields.pop('title')}"
        push_fields(issue, fields)
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
