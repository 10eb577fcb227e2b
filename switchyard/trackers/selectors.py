"""Reads of tracker projects, tickets and links, scoped to one organization."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from switchyard.accounts.models import Organization
from switchyard.trackers.models import CLOSED_CATEGORIES, Ticket, TicketLink, TrackerProject

OPEN_TICKETS = Q(tickets__is_deleted=False) & ~Q(tickets__status_category__in=CLOSED_CATEGORIES)


def tracker_project_list(*, organization: Organization) -> QuerySet[TrackerProject]:
    return (
        TrackerProject.objects.filter(connection__organization=organization)
        .select_related("connection", "product")
        .annotate(open_tickets=Count("tickets", filter=OPEN_TICKETS))
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


def links_of_source(*, source) -> QuerySet[TicketLink]:
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    ).select_related("ticket", "tracker_project", "source_type")
