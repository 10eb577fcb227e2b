"""Reads of tracker projects, tickets and links, scoped to one organization."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.products.models import Product
from switchyard.trackers.models import (
    CLOSED_CATEGORIES,
    OPEN_TICKET,
    PriorityMapping,
    Ticket,
    TicketLink,
    TrackerProject,
)


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


def _local_priorities() -> QuerySet[PriorityMapping]:
    """The mappings that give a ticket (``OuterRef``) its local priority, from its remote one."""
    return PriorityMapping.objects.filter(
        tracker_project=OuterRef("tracker_project"), remote_priority=OuterRef("priority")
    ).order_by()


def ticket_table(*, organization: Organization) -> QuerySet[Ticket]:
    """Tickets as a list shows them: project and product, the local priority (``local_priority``)
    and the active links with their sources (``active_links``), in a fixed number of queries."""
    active_links = (
        TicketLink.objects.filter(is_active=True)
        .select_related("source_type")
        .prefetch_related("source")
        .order_by("created_at")
    )
    return (
        Ticket.objects.filter(connection__organization=organization, is_deleted=False)
        .select_related("tracker_project__product")
        .annotate(local_priority=Subquery(_local_priorities().values("priority")[:1]))
        .prefetch_related(Prefetch("links", queryset=active_links, to_attr="active_links"))
    )


def tickets_in_products(tickets: QuerySet[Ticket], *, products: QuerySet[Product]):
    """The tickets of tracker projects mapped to these products."""
    return tickets.filter(
        tracker_project__in=TrackerProject.objects.filter(product__in=products).values("pk")
    )


def tickets_open(tickets: QuerySet[Ticket], *, is_open: bool) -> QuerySet[Ticket]:
    """Open tickets (not done nor canceled), or the closed ones."""
    if is_open:
        return tickets.filter(OPEN_TICKET)
    return tickets.filter(status_category__in=sorted(CLOSED_CATEGORIES))


def tickets_of_priority(
    tickets: QuerySet[Ticket], *, organization: Organization, priority: str
) -> QuerySet[Ticket]:
    """Tickets whose remote priority stands for the local ``priority`` in their project.

    The mappings are read first (a few rows): PostgreSQL estimates "priority = 'High' in these
    projects" well, whereas a join to the mappings looks so selective that it would read every
    matching ticket to sort them instead of walking the list's order and stopping at a page."""
    projects_by_remote: dict[str, list[int]] = {}
    mappings = PriorityMapping.objects.filter(
        priority=priority, tracker_project__connection__organization=organization
    ).values_list("remote_priority", "tracker_project_id")
    for remote, project_id in mappings:
        projects_by_remote.setdefault(remote, []).append(project_id)
    matches = Q(pk__in=[])
    for remote, project_ids in projects_by_remote.items():
        matches |= Q(priority=remote, tracker_project__in=project_ids)
    return tickets.filter(matches)


def tickets_with_source(tickets: QuerySet[Ticket], *, linked: bool) -> QuerySet[Ticket]:
    """Tickets that track something here (an active link), or those that track nothing."""
    links = TicketLink.objects.filter(ticket=OuterRef("pk"), is_active=True)
    return tickets.filter(Exists(links) if linked else ~Exists(links))


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
