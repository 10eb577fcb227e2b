"""Every event insights counts. Each runs in its own durable delivery (retried when it raises),
after the change that published it committed; an observation reads the source rows again, so a
repeated delivery counts nothing twice."""

from __future__ import annotations

from django.core.cache import cache

from switchyard.core import events
from switchyard.insights import services
from switchyard.insights.models import Source
from switchyard.monitoring.events import (
    SentryIssuesDeleted,
    SentryIssuesStored,
    SentryIssueStatusChanged,
)
from switchyard.monitoring.models import SentryIssue
from switchyard.products.events import MappingChanged
from switchyard.support.events import CustomerIssueChanged
from switchyard.sync.registry import register_periodic
from switchyard.trackers.events import LinkTicketCreated, TicketsChanged
from switchyard.trackers.models import Ticket


def _sentry_batch(event: SentryIssuesStored | SentryIssuesDeleted) -> None:
    ids = SentryIssue.objects.filter(
        connection_id=event.connection_id, external_id__any=event.external_ids
    ).values_list("pk", flat=True)
    services.items_observe(source=Source.SENTRY, ids=ids)


def _sentry_status(event: SentryIssueStatusChanged) -> None:
    # Changes from Sentry also arrive as a stored batch; this one may have been made here.
    if event.origin_connection_id is None:
        services.items_observe(source=Source.SENTRY, ids=[event.issue_id])


def _tickets(event: TicketsChanged) -> None:
    ids = Ticket.objects.filter(
        connection_id=event.connection_id, external_id__any=event.external_ids
    ).values_list("pk", flat=True)
    services.items_observe(source=Source.TICKET, ids=ids)


def _customer_issue(event: CustomerIssueChanged) -> None:
    services.items_observe(source=Source.CUSTOMER, ids=[event.issue_id])


def _link_ticket(event: LinkTicketCreated) -> None:
    services.link_observe(link_id=event.link_id)


def _mapping(event: MappingChanged) -> None:
    services.mapping_changed(mappable=event.mappable, ids=event.ids)


def _record_health() -> None:
    """Queue today's health snapshots when they are due, at most once an hour (not every tick)."""
    from switchyard.insights.tasks import record_health_task

    if services.health_due() and cache.add("insights.health.queued", True, timeout=3600):
        record_health_task.enqueue()


def register() -> None:
    events.subscribe(SentryIssuesStored, _sentry_batch)
    events.subscribe(SentryIssuesDeleted, _sentry_batch)
    events.subscribe(SentryIssueStatusChanged, _sentry_status)
    events.subscribe(TicketsChanged, _tickets)
    events.subscribe(CustomerIssueChanged, _customer_issue)
    events.subscribe(LinkTicketCreated, _link_ticket)
    events.subscribe(MappingChanged, _mapping)
    register_periodic(_record_health)
