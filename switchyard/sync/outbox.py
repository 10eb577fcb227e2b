"""Push: local changes recorded in their own transaction, delivered in order, never lost.

A service calls ``outbox_add`` inside the transaction that changes its rows; after commit a task
delivers the entry through the operation registered for it. Failures that may heal (remote down,
rate limited, timeouts) are retried with exponential backoff and jitter, honouring Retry-After;
past ``SYNC_OUTBOX_MAX_ATTEMPTS``, or at once for failures that won't heal (a rejected request),
the entry is parked as failed until someone retries or dismisses it. Entries of one remote object
(same ``ordering_key``) are delivered strictly in order: a waiting or failed entry holds back the
ones behind it.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from switchyard.core.exceptions import DomainError, RemoteError, RemoteRateLimited
from switchyard.sync import health, requeue
from switchyard.sync.models import Connection, OutboxEntry
from switchyard.sync.registry import operation

logger = logging.getLogger(__name__)

# An entry claimed this long ago by a worker that never reported back is claimable again.
DELIVERY_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
UNDELIVERED = (OutboxEntry.Status.PENDING, OutboxEntry.Status.IN_FLIGHT, OutboxEntry.Status.FAILED)


def max_attempts() -> int:
    return settings.SYNC_OUTBOX_MAX_ATTEMPTS


def _delivery_task():
    from switchyard.sync.tasks import deliver_outbox_entry_task

    return deliver_outbox_entry_task


def _batch_delivery_task():
    from switchyard.sync.tasks import deliver_outbox_entries_task

    return deliver_outbox_entries_task


def outbox_enqueue(*, entry_id: int, marked_at: datetime | None = None) -> None:
    """Queue the delivery of an entry, recording the task on it."""
    requeue.enqueue_recorded(_delivery_task(), OutboxEntry, entry_id, marked_at=marked_at)


def outbox_enqueue_many(*, entry_ids: list[int], marked_at: datetime) -> None:
    """Queue the delivery of entries added together: one task delivering them in turn, recorded
    on each (the scheduler sees that task as theirs while it waits or runs)."""
    if len(entry_ids) == 1:
        outbox_enqueue(entry_id=entry_ids[0], marked_at=marked_at)
        return
    requeue.enqueue_recorded_many(_batch_delivery_task(), OutboxEntry, entry_ids, marked_at)


def outbox_add(
    *,
    connection: Connection,
    operation_name: str,
    ordering_key: str,
    payload: dict[str, Any],
    origin: Connection | None = None,
) -> OutboxEntry | None:
    """Record a change for ``connection``; call inside the transaction that made the change.

    A change that came from ``connection`` itself (``origin``) is not sent back to it.
    """
    if origin is not None and origin.pk == connection.pk:
        return None
    operation(operation_name)  # fail now, in the caller's transaction, if nobody can deliver it
    entry = OutboxEntry.objects.create(
        connection=connection,
        operation=operation_name,
        ordering_key=ordering_key,
        payload=payload,
        enqueued_at=timezone.now(),
    )
    transaction.on_commit(lambda: outbox_enqueue(entry_id=entry.pk, marked_at=entry.enqueued_at))
    return entry


def outbox_add_many(
    *, connection: Connection, operation_name: str, entries: list[tuple[str, dict[str, Any]]]
) -> list[OutboxEntry]:
    """Record several changes for ``connection`` at once (``entries``: ordering key and payload
    of each), in one insert; call inside the transaction that made the changes. After commit one
    task delivers them in turn; each keeps its own idempotency key, order and retries."""
    if not entries:
        return []
    operation(operation_name)
    now = timezone.now()
    added = OutboxEntry.objects.bulk_create(
        OutboxEntry(
            connection=connection,
            operation=operation_name,
            ordering_key=ordering_key,
            payload=payload,
            enqueued_at=now,
        )
        for ordering_key, payload in entries
    )
    ids = [entry.pk for entry in added]
    transaction.on_commit(lambda: outbox_enqueue_many(entry_ids=ids, marked_at=now))
    return added


def _is_blocked(entry: OutboxEntry) -> bool:
    return OutboxEntry.objects.filter(
        ordering_key=entry.ordering_key,
        connection_id=entry.connection_id,
        id__lt=entry.id,
        status__in=UNDELIVERED,
    ).exists()


def _claim(entry_id: int) -> OutboxEntry | None:
    """Take an entry for delivery if it is due, not held back, and nobody else holds it."""
    now = timezone.now()
    entry = OutboxEntry.objects.select_related("connection").filter(pk=entry_id).first()
    if entry is None or entry.next_attempt_at > now:
        return None
    lease_expired = entry.status == OutboxEntry.Status.IN_FLIGHT and (
        entry.claimed_at is None or entry.claimed_at < now - DELIVERY_LEASE
    )
    if entry.status != OutboxEntry.Status.PENDING and not lease_expired:
        return None
    if _is_blocked(entry):
        return None
    claimed = OutboxEntry.objects.filter(
        pk=entry.pk, status=entry.status, claimed_at=entry.claimed_at
    ).update(
        status=OutboxEntry.Status.IN_FLIGHT,
        claimed_at=now,
        attempts=entry.attempts + 1,
        **requeue.not_queued_marks(),
    )
    if not claimed:
        return None
    entry.refresh_from_db()
    return entry


def _backoff(attempts: int, error: RemoteError) -> timedelta:
    if isinstance(error, RemoteRateLimited) and error.retry_after is not None:
        return timedelta(seconds=error.retry_after)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
    return timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))


def outbox_deliver(*, entry_id: int) -> OutboxEntry | None:
    """Deliver one entry if it is due; returns it as it ended (None when not taken)."""
    entry = _claim(entry_id)
    if entry is None:
        return None
    connection = entry.connection
    try:
        result = operation(entry.operation)(entry)
    except (RemoteError, DomainError) as error:
        _record_failure(entry, error)
        return entry
    except Exception as error:
        _record_failure(entry, error)
        raise
    with transaction.atomic():
        entry.status = OutboxEntry.Status.DELIVERED
        entry.delivered_at = timezone.now()
        entry.result = result or {}
        entry.last_error = ""
        entry.save(update_fields=["status", "delivered_at", "result", "last_error"])
    health.connection_record_ok(connection=connection)
    _enqueue_next(entry)
    logger.info("sync.outbox.delivered", extra={"entry": entry.pk, "operation": entry.operation})
    return entry


def outbox_deliver_many(*, entry_ids: list[int]) -> list[OutboxEntry | None]:
    """Deliver entries one after the other, as ``outbox_deliver`` does each; an unexpected error
    of one does not keep the others back (the first is raised once all were tried)."""
    delivered, unexpected = [], []
    for entry_id in entry_ids:
        try:
            delivered.append(outbox_deliver(entry_id=entry_id))
        except Exception as error:  # noqa: BLE001 - recorded on the entry, raised below
            unexpected.append(error)
            delivered.append(None)
    if unexpected:
        raise unexpected[0]
    return delivered


def _record_failure(entry: OutboxEntry, error: Exception) -> None:
    retryable = isinstance(error, RemoteError) and error.retryable
    entry.last_error = health.describe_error(error)
    if retryable and entry.attempts < max_attempts():
        entry.status = OutboxEntry.Status.PENDING
        entry.next_attempt_at = timezone.now() + _backoff(entry.attempts, error)
    else:
        entry.status = OutboxEntry.Status.FAILED
    entry.save(update_fields=["status", "next_attempt_at", "last_error"])
    health.connection_record_error(connection=entry.connection, error=error)
    logger.warning(
        "sync.outbox.failed",
        extra={
            "entry": entry.pk,
            "operation": entry.operation,
            "status": entry.status,
            "attempts": entry.attempts,
            "error": entry.last_error,
        },
    )


def _enqueue_next(entry: OutboxEntry) -> None:
    following = (
        OutboxEntry.objects.filter(
            connection_id=entry.connection_id,
            ordering_key=entry.ordering_key,
            id__gt=entry.id,
            status=OutboxEntry.Status.PENDING,
        )
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following:
        transaction.on_commit(lambda: outbox_enqueue(entry_id=following))


@transaction.atomic
def outbox_retry(*, entry: OutboxEntry) -> OutboxEntry:
    """Put a failed (or waiting) entry back in line now, with a fresh attempt budget."""
    if entry.status in (OutboxEntry.Status.DELIVERED, OutboxEntry.Status.IN_FLIGHT):
        raise DomainError(f"This change is {entry.get_status_display().lower()}; nothing to retry.")
    entry.status = OutboxEntry.Status.PENDING
    entry.attempts = 0
    entry.next_attempt_at = timezone.now()
    entry.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: outbox_enqueue(entry_id=entry.pk))
    return entry


@transaction.atomic
def outbox_dismiss(*, entry: OutboxEntry) -> OutboxEntry:
    """Give up on a change that will not be delivered; the changes behind it go ahead."""
    if entry.status in (OutboxEntry.Status.DELIVERED, OutboxEntry.Status.IN_FLIGHT):
        raise DomainError(
            f"This change is {entry.get_status_display().lower()}; it cannot be dismissed."
        )
    entry.status = OutboxEntry.Status.DISMISSED
    entry.save(update_fields=["status"])
    _enqueue_next(entry)
    return entry


def outbox_due_ids(*, limit: int | None = None) -> list[int]:
    """Entries a worker should try now and no live task is queued for: due waiting ones, and
    in-flight ones whose worker died. Only the first undelivered entry of each remote object
    counts: the ones behind it follow when it is delivered or dismissed."""
    now = timezone.now()
    due = OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING, next_attempt_at__lte=now)
    lost = OutboxEntry.objects.filter(
        status=OutboxEntry.Status.IN_FLIGHT, claimed_at__lt=now - DELIVERY_LEASE
    )
    ahead = OutboxEntry.objects.filter(
        connection_id=OuterRef("connection_id"),
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        status__in=UNDELIVERED,
    )
    return requeue.without_live_tasks(
        _delivery_task(), (due | lost).exclude(Exists(ahead)), limit=limit or requeue.batch_size()
    )
