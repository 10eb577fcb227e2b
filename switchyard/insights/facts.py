"""What each source row says, in the terms insights counts: one ``Fact`` per item.

Customer issues belong to no product of their own; they count under the product of the tracker
project their live ticket is in (0 when they have none).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import F

from switchyard.insights.models import Source
from switchyard.monitoring.models import IssueStatus as SentryStatus
from switchyard.monitoring.models import SentryIssue
from switchyard.support.models import CustomerIssue
from switchyard.support.models import IssueStatus as CustomerStatus
from switchyard.trackers.models import CLOSED_CATEGORIES, PriorityMapping, Ticket, TicketLink

NO_PRIORITY = "none"
CUSTOMER_OPEN = {CustomerStatus.OPEN, CustomerStatus.IN_PROGRESS}


class Fact(NamedTuple):
    """An item as its source row says it is now (a tuple: a pull's batch builds thousands)."""

    organization_id: int
    product_key: int
    bucket: str
    is_open: bool
    opened_at: datetime
    closed_at: datetime | None  # when the source records it; None leaves it to the observer
    events: int = 0
    users: int = 0
    assignee: str = ""
    container_key: int = 0  # the Sentry project or tracker project; 0 for customer issues


def facts(source: str, ids) -> dict[int, Fact]:
    """Facts of the live (not deleted) items among ``ids``; absent ids are gone."""
    return LOADERS[source](list(ids))


def all_ids(source: str):
    """Every live item id of a source, in chunks (for a rebuild)."""
    return MODELS[source].objects.filter(**LIVE[source]).order_by("pk").values_list("pk", flat=True)


def _sentry(ids: list[int]) -> dict[int, Fact]:
    rows = SentryIssue.objects.filter(pk__any=ids, is_deleted=False).values_list(
        "pk",
        "connection__organization_id",
        "project_id",
        "project__product_id",
        "level",
        "status",
        "first_seen",
        "event_count",
        "user_count",
        "assignee_email",
    )
    return {
        pk: Fact(
            org,
            product or 0,
            level,
            status == SentryStatus.UNRESOLVED,
            first,
            None,
            ev,
            us,
            who,
            project,
        )
        for pk, org, project, product, level, status, first, ev, us, who in rows
    }


def _tickets(ids: list[int]) -> dict[int, Fact]:
    rows = list(
        Ticket.objects.filter(pk__any=ids, is_deleted=False).values_list(
            "pk",
            "connection__organization_id",
            "tracker_project_id",
            "tracker_project__product_id",
            "priority",
            "status_category",
            "remote_created_at",
            "resolved_at",
            "assignee_email",
        )
    )
    priorities = {
        (project, remote): local
        for project, remote, local in PriorityMapping.objects.filter(
            tracker_project_id__in={row[2] for row in rows}
        ).values_list("tracker_project_id", "remote_priority", "priority")
    }
    return {
        pk: Fact(
            org,
            product or 0,
            priorities.get((project, priority), NO_PRIORITY),
            category not in CLOSED_CATEGORIES,
            created,
            resolved if category in CLOSED_CATEGORIES else None,
            assignee=who,
            container_key=project,
        )
        for pk, org, project, product, priority, category, created, resolved, who in rows
    }


def _customer(ids: list[int]) -> dict[int, Fact]:
    rows = CustomerIssue.objects.filter(pk__any=ids).values_list(
        "pk",
        "organization_id",
        "priority",
        "status",
        "created_at",
        "resolved_at",
        "assigned_to__email",
    )
    products = dict(
        TicketLink.objects.filter(
            source_type=ContentType.objects.get_for_model(CustomerIssue),
            source_id__any=ids,
            is_active=True,
            tracker_project__product__isnull=False,
        )
        .order_by("source_id", "pk")
        .values_list("source_id", F("tracker_project__product_id"))
    )
    return {
        pk: Fact(
            org,
            products.get(pk, 0),
            priority,
            status in CUSTOMER_OPEN,
            created,
            None if status in CUSTOMER_OPEN else resolved,
            assignee=who or "",
        )
        for pk, org, priority, status, created, resolved, who in rows
    }


LOADERS = {Source.SENTRY: _sentry, Source.TICKET: _tickets, Source.CUSTOMER: _customer}
MODELS = {Source.SENTRY: SentryIssue, Source.TICKET: Ticket, Source.CUSTOMER: CustomerIssue}
LIVE = {
    Source.SENTRY: {"is_deleted": False},
    Source.TICKET: {"is_deleted": False},
    Source.CUSTOMER: {},
}
