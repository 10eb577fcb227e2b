"""The figures of the product stats and overview endpoints (their paths and payloads predate
insights). They are figures of now, counted from the live rows of the product's subtree, so they
hold whatever way the rows were written."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from switchyard.monitoring.models import IssueLevel, IssueStatus, SentryIssue, SentryProject
from switchyard.monitoring.selectors import sentry_project_list
from switchyard.products.models import Product
from switchyard.products.selectors import product_subtree
from switchyard.trackers.models import TicketLink
from switchyard.trackers.selectors import ticket_list, tracker_project_list


def product_sentry_stats(*, product: Product) -> dict:
    """Sentry figures for a product and all its descendants."""
    subtree = product_subtree(product=product)
    projects = SentryProject.objects.filter(product__in=subtree, is_deleted=False)
    issues = SentryIssue.objects.filter(project__in=projects, is_deleted=False)
    unresolved = issues.filter(status=IssueStatus.UNRESOLVED)
    by_level = {level: 0 for level in IssueLevel.values}
    totals = {"events": 0, "users": 0}
    # One read of the unresolved issues' partial index, grouped by level.
    for row in (
        unresolved.values("level")
        .annotate(n=Count("*"), events=Sum("event_count"), users=Sum("user_count"))
        .order_by()
    ):
        by_level[row["level"]] = row["n"]
        totals["events"] += row["events"] or 0
        totals["users"] += row["users"] or 0
    newest = issues.order_by("-first_seen").values("id", "short_id", "title", "first_seen").first()
    return {
        "product": {"id": product.pk, "name": product.name, "full_path": product.full_path},
        "sentry_projects": projects.count(),
        "unresolved_issues": sum(by_level.values()),
        "unresolved_by_level": by_level,
        "events": totals["events"],
        "users_affected": totals["users"],
        "newest_issue": newest,
    }


def product_overview(*, product: Product) -> dict:
    """A product across systems: Sentry projects with unresolved issues, tracker projects with open
    tickets, tickets created this week and how many of them automation rules created, for the
    product and its sub-products."""
    subtree = product_subtree(product=product)
    sentry_projects = sentry_project_list(organization=product.organization).filter(
        product__in=subtree
    )
    tracker_projects = tracker_project_list(organization=product.organization).filter(
        product__in=subtree
    )
    week_ago = timezone.now() - timedelta(days=7)
    new_tickets = ticket_list(organization=product.organization).filter(
        tracker_project__product__in=subtree, remote_created_at__gte=week_ago
    )
    return {
        "product": product,
        "sentry_projects": sentry_projects.order_by("slug"),
        "tracker_projects": tracker_projects.order_by("key"),
        "tickets_created_this_week": new_tickets.order_by("-remote_created_at"),
        "tickets_auto_created_this_week": TicketLink.objects.filter(
            tracker_project__product__in=subtree,
            created_via=TicketLink.CreatedVia.RULE,
            created_at__gte=week_ago,
        ).count(),
    }
