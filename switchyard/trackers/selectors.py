"""Reads of tracker projects, tickets and links, scoped to one organization."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.trackers.models import OPEN_TICKET, Ticket, TicketLink, TrackerProject


def tracker_projects(*, organization: Organization) -> QuerySet[TrackerProject]:
    """The organization's tracker projects with their product, without figures."""
    return TrackerProject.objects.filter(connection__organization=organization).select_related(
        "product"
    )


def tracker_project_list(*, organization: Organization) -> QuerySet[TrackerProject]:
    """Projects with their open tickets, counted per project shown from the open-ticket index."""
    open_tickets = (
        Ticket.objects.filter(OPEN_TICKET, tracker_project=OuterRef("pk"))
        .order_by()
        .values("tracker_project")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        tracker_projects(organization=organization)
        .select_related("connection")
        .annotate(open_tickets=Coalesce(Subquery(open_tickets), 0))
    )


def ticket_list(*, organization: Organization) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(connection__organization=organization, is_deleted=False)
        .select_related("tracker_project", "tracker_project__product", "connection")
        .prefetch_related("links__source_type")
    )


def ticket_link_list(*, organization: Organization) -> QuerySet[TicketLink]:
    return TicketLink.objects.filter(
        tracker_project__connection__organization=organization
    ).select_related("ticket", "tracker_project", "source_type")


def links_of_source(*, source, active: bool | None = None) -> QuerySet[TicketLink]:
    """The links of one source (a Sentry issue, a customer issue, ...); ``active`` keeps only the
    live links (True) or only the ended ones (False)."""
    links = TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    )
    if active is not None:
        links = links.filter(is_active=active)
    return links.select_related("ticket", "tracker_project__connection", "source_type")


def _narrowed(
    links: QuerySet[TicketLink], *, active: bool | None, source_model
) -> QuerySet[TicketLink]:
    if active is not None:
        links = links.filter(is_active=active)
    if source_model is not None:
        links = links.filter(source_type=ContentType.objects.get_for_model(source_model))
    return links.select_related("ticket", "tracker_project__connection", "source_type")


def links_of_ticket(
    *, ticket: Ticket, active: bool | None = None, source_model=None
) -> QuerySet[TicketLink]:
    """The links of one ticket; ``source_model`` keeps those whose source is of that model."""
    links = TicketLink.objects.filter(ticket=ticket)
    return _narrowed(links, active=active, source_model=source_model)


def links_of_project(
    *, tracker_project: TrackerProject, active: bool | None = None, source_model=None
) -> QuerySet[TicketLink]:
    """The links into one tracker project (a link whose ticket is still being created has none);
    ``source_model`` keeps those whose source is of that model."""
    links = TicketLink.objects.filter(tracker_project=tracker_project)
    return _narrowed(links, active=active, source_model=source_model)


def product_new_ticket_counts(*, organization: Organization) -> dict[int, int]:
    """Per product (not rolled up): the tickets created this week (one query, read through the
    creation-time index)."""
    week_ago = timezone.now() - timedelta(days=7)
    rows = (
        Ticket.objects.filter(
            tracker_project__in=tracker_projects(organization=organization)
            .filter(product__isnull=False)
            .values("pk"),
            is_deleted=False,
            remote_created_at__gte=week_ago,
        )
        .values("tracker_project__product")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {row["tracker_project__product"]: row["n"] for row in rows}


def _active_links_of(model) -> QuerySet[TicketLink]:
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(model), is_active=True
    )


def with_ticket_flag(queryset: QuerySet) -> QuerySet:
    """Annotate each row of ``queryset`` with ``has_ticket``: an active link to a ticket."""
    links = _active_links_of(queryset.model).filter(source_id=OuterRef("pk"))
    return queryset.annotate(has_ticket=Exists(links))


def links_by_source(*, model, source_ids) -> dict[int, list[TicketLink]]:
    """The active links of these sources, with their tickets, grouped by source id (one query)."""
    grouped: dict[int, list[TicketLink]] = {}
    links = (
        _active_links_of(model)
        .filter(source_id__in=list(source_ids))
        .select_related("ticket", "tracker_project")
        .order_by("created_at")
    )
    for link in links:
        grouped.setdefault(link.source_id, []).append(link)
    return grouped
