"""Reads of the sync engine's state, always scoped to one organization."""

from __future__ import annotations

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery

from switchyard.accounts.models import Organization
from switchyard.sync.models import (
    Connection,
    EventDelivery,
    OutboxEntry,
    SyncRun,
    WebhookDelivery,
)


def connection_list(*, organization: Organization) -> QuerySet[Connection]:
    """Connections with their outbox backlog and last run, counted in the same query."""
    last_run = SyncRun.objects.filter(connection=OuterRef("pk")).order_by("-started_at")
    return (
        Connection.objects.filter(organization=organization)
        .annotate(
            waiting_changes=Count("outbox", filter=Q(outbox__status=OutboxEntry.Status.PENDING)),
            failed_changes=Count("outbox", filter=Q(outbox__status=OutboxEntry.Status.FAILED)),
            next_retry_at=Min(
                "outbox__next_attempt_at", filter=Q(outbox__status=OutboxEntry.Status.PENDING)
            ),
            last_run_status=Subquery(last_run.values("status")[:1]),
            last_run_at=Subquery(last_run.values("started_at")[:1]),
        )
        .order_by("kind", "name")
    )


def sync_run_list(*, organization: Organization) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(connection__organization=organization).select_related(
        "connection"
    )


def outbox_list(*, organization: Organization) -> QuerySet[OutboxEntry]:
    return (
        OutboxEntry.objects.filter(connection__organization=organization)
        .select_related("connection")
        .order_by("-id")
    )


def webhook_delivery_list(*, organization: Organization) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(connection__organization=organization).select_related(
        "connection"
    )


def event_delivery_list(*, organization: Organization) -> QuerySet[EventDelivery]:
    """Follow-up work of the organization's changes still waiting, failed or dismissed."""
    return EventDelivery.objects.filter(organization=organization).order_by("-id")
