"""Background tasks (django-tasks): each takes ids, reloads rows and calls one service."""

from __future__ import annotations

import logging

from django_tasks import task

from switchyard.sync import inbox, outbox, runs, subscribers
from switchyard.sync.models import Connection

logger = logging.getLogger(__name__)


@task()
def pull_connection_task(connection_id: int, trigger: str, full: bool = False) -> str:
    connection = Connection.objects.filter(pk=connection_id, is_enabled=True).first()
    if connection is None:
        return "connection gone or disabled"
    try:
        run = runs.connection_pull(connection=connection, trigger=trigger, full=full)
    except runs.SyncAlreadyRunning:
        return "already running"
    return run.status


@task()
def deliver_outbox_entry_task(entry_id: int) -> str:
    entry = outbox.outbox_deliver(entry_id=entry_id)
    return entry.status if entry else "not due"


@task()
def deliver_outbox_entries_task(entry_ids: list[int]) -> list[str]:
    entries = outbox.outbox_deliver_many(entry_ids=entry_ids)
    return [entry.status if entry else "not due" for entry in entries]


@task()
def process_webhook_task(delivery_id: int) -> str:
    delivery = inbox.webhook_process(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"


@task()
def deliver_event_task(delivery_id: int) -> str:
    delivery = subscribers.event_deliver(delivery_id=delivery_id)
    return "delivered or not due" if delivery is None else delivery.status
