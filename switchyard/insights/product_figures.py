"""The figures of the product stats and overview endpoints (their paths and payloads predate
insights). Open counts are the stored ones insights keeps as it observes the items (a few rows
per product); the lists are the live rows of the product's subtree."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from switchyard.insights.models import Source
from switchyard.insights.selectors import open_counts
from switchyard.monitoring.models import IssueLevel, SentryIssue, SentryProject
from switchyard.monitoring.selectors import sentry_project_list
from switchyard.products.models import Product
from switchyard.products.selectors import product_subtree
from switchyard.trackers.models import TicketLink
from switchyard.trackers.selectors import ticket_list, tracker_project_list


def product_sentry_stats(*, product: Product) -> dict:
    """Sentry figures for a product and all its descendants."""
    subtree = product_subtree(product=product)
    projects = SentryProject.objects.filter(product__in=subtree, is_deleted=False)
    by_level = {level: 0 for level in IssueLevel.values}
    totals = {"events": 0, "users": 0}
    for row in open_counts(
        organization=product.organization_id,
        product_ids=subtree.values("pk"),
        source=Source.SENTRY,
    ):
        by_level[row["bucket"]] = by_level.get(row["bucket"], 0) + row["open"]
        totals["events"] += row["events"]
        totals["users"] += row["users"]
    newest = (
        SentryIssue.objects.filter(project__in=projects, is_deleted=False)
        .order_by("-first_seen")
        .values("id", "short_id", "title", "first_seen")
        .first()
    )
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
