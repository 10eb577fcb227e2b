"""The scheduler: enqueues due pulls, due outbox deliveries, event retries and webhooks left behind.

Run it as ``manage.py sync_scheduler`` (one is enough; several are safe: each due pull is claimed
with a conditional update before it is enqueued).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from switchyard.sync.inbox import webhook_due_ids, webhook_enqueue
from switchyard.sync.models import Connection, SyncRun
from switchyard.sync.outbox import outbox_due_ids, outbox_enqueue
from switchyard.sync.registry import periodic_work
from switchyard.sync.subscribers import event_due_ids, event_enqueue


@dataclass(frozen=True)
class ScheduledWork:
    pulls: int
    deliveries: int
    webhooks: int
    events: int


def full_pull_every() -> timedelta:
    """How often a scheduled pull is a full one (see ``needs_full_pull``)."""
    return timedelta(hours=settings.SYNC_FULL_PULL_HOURS)


def due_connections():
    """Enabled connections whose next sync time has come, with the end of their last full pull."""
    return (
        Connection.objects.filter(is_enabled=True, sync_enabled=True)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=timezone.now()))
        .annotate(
            last_full_pull=Max(
                "runs__finished_at",
                filter=Q(runs__full=True, runs__status=SyncRun.Status.SUCCEEDED),
            )
        )
    )


def needs_full_pull(connection: Connection) -> bool:
    """Whether the scheduled pull should read everything rather than what changed.

    Incremental pulls miss what a remote changes without moving the field they filter on (Sentry
    filters on the last event, which a status change does not move) and whatever a lost webhook
    carried; they never see deletions. A full pull now and then reconciles all of it.
    """
    last = connection.last_full_pull
    return last is None or last <= timezone.now() - full_pull_every()


def enqueue_pull(*, connection: Connection, trigger: str, full: bool = False) -> None:
    from switchyard.sync.tasks import pull_connection_task

    pull_connection_task.enqueue(connection.pk, trigger, full)


def schedule_due_work() -> ScheduledWork:
    """One scheduler tick: due pulls, and the outbox entries, deliveries and event deliveries no
    live task holds."""
    pulls = 0
    for connection in due_connections():
        # Claim the slot so that a second scheduler (or the next tick) does not enqueue it again;
        # the pull itself sets the real next time when it finishes.
        claimed = Connection.objects.filter(
            pk=connection.pk, next_sync_at=connection.next_sync_at
        ).update(next_sync_at=timezone.now() + connection.sync_interval)
        if claimed:
            enqueue_pull(
                connection=connection,
                trigger=SyncRun.Trigger.SCHEDULE,
                full=needs_full_pull(connection),
            )
            pulls += 1
    deliveries = outbox_due_ids()
    for entry_id in deliveries:
        outbox_enqueue(entry_id=entry_id)
    webhooks = webhook_due_ids()
    for delivery_id in webhooks:
        webhook_enqueue(delivery_id=delivery_id)
    due_events = event_due_ids()
    for delivery_id in due_events:
        event_enqueue(delivery_id=delivery_id)
    for enqueue in periodic_work():
        enqueue()
    return ScheduledWork(
        pulls=pulls, deliveries=len(deliveries), webhooks=len(webhooks), events=len(due_events)
    )
