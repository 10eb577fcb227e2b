"""What each source row says, in the terms insights counts: one ``Fact`` per item, declared once
as SQL expressions over the source's rows. Read into Python to compare with what was counted
(``facts``), or inserted straight into tracked items for the rows seen for the first time
(``insights.services``), with no row passing through Python.

Customer issues belong to no product of their own; they count under the product of the tracker
project their live ticket is in (0 when they have none).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from switchyard.insights.models import Source
from switchyard.monitoring.models import IssueStatus as SentryStatus
from switchyard.monitoring.models import SentryIssue
from switchyard.support.models import CustomerIssue
from switchyard.support.models import IssueStatus as CustomerStatus
from switchyard.trackers.models import CLOSED_CATEGORIES, PriorityMapping, Ticket, TicketLink

NO_PRIORITY = "none"
CUSTOMER_OPEN = [CustomerStatus.OPEN, CustomerStatus.IN_PROGRESS]


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


def live(source: str) -> QuerySet:
    """The source's live (not deleted) rows."""
    if source == Source.CUSTOMER:
        return CustomerIssue.objects.order_by()
    return (
        {Source.SENTRY: SentryIssue, Source.TICKET: Ticket}[source]
        .objects.filter(is_deleted=False)
        .order_by()
    )


def columns(source: str) -> dict[str, Expression]:
    """``Fact``'s fields as expressions over ``live(source)``, in its order."""
    return {Source.SENTRY: _sentry, Source.TICKET: _ticket, Source.CUSTOMER: _customer}[source]()


def facts(source: str, ids) -> dict[int, Fact]:
    """Facts of the live items among ``ids``; absent ids are gone."""
    rows = live(source).filter(pk__any=list(ids)).values_list("pk", *columns(source).values())
    return {pk: Fact(*rest) for pk, *rest in rows}


def all_ids(source: str):
    """Every live item id of a source, in chunks (for a rebuild)."""
    return live(source).order_by("pk").values_list("pk", flat=True)


def _key(value: str | Expression) -> Expression:
    """A nullable foreign key (a field's name, or a subquery) as a key, 0 for none."""
    return Coalesce(value, Value(0), output_field=BigIntegerField())


def _condition(q: Q) -> Expression:
    return ExpressionWrapper(q, output_field=BooleanField())


def _when(condition: Q, value) -> Expression:
    """``value`` where ``condition`` holds, NULL elsewhere."""
    return Case(When(condition, then=value), default=None, output_field=DateTimeField())


def _sentry() -> dict[str, Expression]:
    return {
        "organization_id": F("connection__organization_id"),
        "product_key": _key("project__product_id"),
        "bucket": F("level"),
        "is_open": _condition(Q(status=SentryStatus.UNRESOLVED)),
        "opened_at": F("first_seen"),
        "closed_at": Value(None, output_field=DateTimeField()),
        "events": F("event_count"),
        "users": F("user_count"),
        "assignee": F("assignee_email"),
        "container_key": F("project_id"),
    }


def _ticket() -> dict[str, Expression]:
    # Two local priorities mapped to the same remote one: the last by local priority counts.
    priority = PriorityMapping.objects.filter(
        tracker_project_id=OuterRef("tracker_project_id"), remote_priority=OuterRef("priority")
    ).order_by("-priority")
    closed = Q(status_category__in=CLOSED_CATEGORIES)
    return {
        "organization_id": F("connection__organization_id"),
        "product_key": _key("tracker_project__product_id"),
        "bucket": Coalesce(
            Subquery(priority.values("priority")[:1]),
            Value(NO_PRIORITY),
            output_field=CharField(),
        ),
        "is_open": _condition(~closed),
        "opened_at": F("remote_created_at"),
        "closed_at": _when(closed, F("resolved_at")),
        "events": Value(0),
        "users": Value(0),
        "assignee": F("assignee_email"),
        "container_key": F("tracker_project_id"),
    }


def _customer() -> dict[str, Expression]:
    # Of several live tickets, the one linked last.
    ticket = TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(CustomerIssue),
        source_id=OuterRef("pk"),
        is_active=True,
        tracker_project__product__isnull=False,
    ).order_by("-pk")
    is_open = Q(status__in=CUSTOMER_OPEN)
    return {
        "organization_id": F("organization_id"),
        "product_key": _key(Subquery(ticket.values("tracker_project__product_id")[:1])),
        "bucket": F("priority"),
        "is_open": _condition(is_open),
        "opened_at": F("created_at"),
        "closed_at": _when(~is_open, F("resolved_at")),
        "events": Value(0),
        "users": Value(0),
        "assignee": Coalesce("assigned_to__email", Value(""), output_field=CharField()),
        "container_key": Value(0),
    }
