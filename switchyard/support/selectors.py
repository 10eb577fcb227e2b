"""Reads of customer issues: who sees which, and the figures."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet

from switchyard.accounts.models import User
from switchyard.products.models import Product
from switchyard.support.models import (
    CustomerIssue,
    IssueComment,
    IssuePriority,
    IssueStatus,
    IssueStatusChange,
)
from switchyard.trackers.models import TicketLink, TrackerProject

RELATED = [
    "organization",
    "vendor",
    "order",
    "assigned_to",
    "created_by",
    "raised_by_customer",
    "resolved_by",
]


def issues_visible_to(*, user: User) -> QuerySet[CustomerIssue]:
    """Customers see the issues they raised; staff see their organization's."""
    issues = CustomerIssue.objects.select_related(*RELATED)
    if user.is_customer:
        return issues.filter(raised_by_customer=user)
    return issues.filter(organization_id=user.organization_id)


def issue_with_thread(queryset: QuerySet[CustomerIssue]) -> QuerySet[CustomerIssue]:
    """Issues with their comments and status history, prefetched."""
    return queryset.prefetch_related(
        Prefetch("comments", queryset=IssueComment.objects.select_related("author")),
        Prefetch("history", queryset=IssueStatusChange.objects.select_related("changed_by")),
    )


def issue_stats(*, issues: QuerySet[CustomerIssue]) -> dict:
    """Totals by status, priority, source and tracker sync, in one query."""
    figures = issues.aggregate(
        total=Count("id"),
        client_raised=Count("id", filter=Q(is_client_issue=True)),
        synced=Count("id", filter=Q(synced_to_linear=True)),
        **{f"status_{value}": Count("id", filter=Q(status=value)) for value in IssueStatus.values},
        **{
            f"priority_{value}": Count("id", filter=Q(priority=value))
            for value in IssuePriority.values
        },
    )
    return {
        "total": figures["total"],
        "by_status": {value: figures[f"status_{value}"] for value in IssueStatus.values},
        "by_priority": {value: figures[f"priority_{value}"] for value in IssuePriority.values},
        "by_source": {
            "client_raised": figures["client_raised"],
            "internal": figures["total"] - figures["client_raised"],
        },
        "linear_sync": {
            "synced": figures["synced"],
            "not_synced": figures["total"] - figures["synced"],
        },
    }


def _product_links(product_ids) -> QuerySet[TicketLink]:
    # Through the (few) tracker projects of these products, not a join of every link to a product.
    projects = TrackerProject.objects.filter(product__in=product_ids).values("pk")
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(CustomerIssue),
        is_active=True,
        tracker_project__in=projects,
    )


def issues_in_products(
    issues: QuerySet[CustomerIssue], *, products: QuerySet[Product]
) -> QuerySet[CustomerIssue]:
    """Those of ``issues`` whose tickets are in tracker projects of these products."""
    return issues.filter(pk__in=_product_links(products.values("pk")).values("source_id"))


def issues_of_products(*, user: User, products: QuerySet[Product]) -> QuerySet[CustomerIssue]:
    """Issues the user sees whose tickets are in tracker projects of these products."""
    return issues_in_products(issues_visible_to(user=user), products=products)
