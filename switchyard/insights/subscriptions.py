"""Every event insights counts. Each runs in its own durable delivery (retried when it raises),
after the change that published it committed; stored batches waiting together are observed
together. An observation reads the source rows again, so a repeated delivery counts nothing
twice."""

from __future__ import annotations

from collections import defaultdict

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

# Stored batches waiting for insights are observed up to this many at a time (a pull stores 500
# rows a batch): one observation's statements and commit for several batches when behind.
BATCHES_TOGETHER = 10


def _observe_batches(source: str, model, batches: list) -> None:
    """Stored batches (each a connection and the external ids of its rows), observed together."""
    by_connection = defaultdict(list)
    for batch in batches:
        by_connection[batch.connection_id] += batch.external_ids
    ids = []
    for connection_id, external_ids in sorted(by_connection.items()):
        ids += model.objects.filter(
            connection_id=connection_id, external_id__any=external_ids
        ).values_list("pk", flat=True)
    services.items_observe(source=source, ids=ids)


def _sentry_batches(batches: list[SentryIssuesStored | SentryIssuesDeleted]) -> None:
    _observe_batches(Source.SENTRY, SentryIssue, batches)


def _sentry_status(event: SentryIssueStatusChanged) -> None:
    # Changes from Sentry also arrive as a stored batch; this one may have been made here.
    if event.origin_connection_id is None:
        services.items_observe(source=Source.SENTRY, ids=[event.issue_id])


def _tickets(batches: list[TicketsChanged]) -> None:
    _observe_batches(Source.TICKET, Ticket, batches)


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
    events.subscribe(SentryIssuesStored, _sentry_batches, together=BATCHES_TOGETHER)
    events.subscribe(SentryIssuesDeleted, _sentry_batches, together=BATCHES_TOGETHER)
    events.subscribe(SentryIssueStatusChanged, _sentry_status)
    events.subscribe(TicketsChanged, _tickets, together=BATCHES_TOGETHER)
    events.subscribe(CustomerIssueChanged, _customer_issue)
    events.subscribe(LinkTicketCreated, _link_ticket)
    events.subscribe(MappingChanged, _mapping)
    register_periodic(_record_health)
