"""The scheduler: enqueues due pulls, due outbox deliveries and webhooks left behind.

Run it as ``manage.py sync_scheduler`` (one is enough; several are safe: each due pull is claimed
with a conditional update before it is enqueued).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from switchyard.sync.inbox import webhook_due_ids
from switchyard.sync.models import Connection, SyncRun
from switchyard.sync.outbox import outbox_due_ids


@dataclass(frozen=True)
class ScheduledWork:
    pulls: int
    deliveries: int
    webhooks: int


def due_connections():
    """Enabled connections whose next sync time has come."""
    return Connection.objects.filter(is_enabled=True, sync_enabled=True).filter(
        Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=timezone.now())
    )


def enqueue_pull(*, connection: Connection, trigger: str, full: bool = False) -> None:
    from switchyard.sync.tasks import pull_connection_task

    pull_connection_task.enqueue(connection.pk, trigger, full)


def schedule_due_work() -> ScheduledWork:
    """One scheduler tick."""
    from switchyard.sync.tasks import deliver_outbox_entry_task, process_webhook_task

    pulls = 0
    for connection in due_connections():
        # Claim the slot so that a second scheduler (or the next tick) does not enqueue it again;
        # the pull itself sets the real next time when it finishes.
        claimed = Connection.objects.filter(
            pk=connection.pk, next_sync_at=connection.next_sync_at
        ).update(next_sync_at=timezone.now() + connection.sync_interval)
        if claimed:
            enqueue_pull(connection=connection, trigger=SyncRun.Trigger.SCHEDULE)
            pulls += 1
    deliveries = outbox_due_ids()
    for entry_id in deliveries:
        deliver_outbox_entry_task.enqueue(entry_id)
    webhooks = webhook_due_ids()
    for delivery_id in webhooks:
        process_webhook_task.enqueue(delivery_id)
    return ScheduledWork(pulls=pulls, deliveries=len(deliveries), webhooks=len(webhooks))
