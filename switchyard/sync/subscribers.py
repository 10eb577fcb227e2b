"""Durable event delivery: the store behind ``core.events``, retried like the outbox.

``publish`` records an ``EventDelivery`` per subscriber in the publishing transaction; after
commit a task runs it. A subscriber that raises is retried with exponential backoff (the scheduler
re-enqueues due rows, and rows whose worker died) up to ``SYNC_EVENT_MAX_ATTEMPTS`` (default 8),
then parked as failed with the reason, visible (admin, ``/api/event-deliveries/``) until a person
retries or dismisses it. A delivered row is deleted.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from switchyard.core import events
from switchyard.core.exceptions import DomainError
from switchyard.sync import requeue
from switchyard.sync.models import EventDelivery

logger = logging.getLogger(__name__)

DELIVERY_LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
ERROR_LIMIT = 600


def max_attempts() -> int:
    return settings.SYNC_EVENT_MAX_ATTEMPTS


def _delivery_task():
    from switchyard.sync.tasks import deliver_event_task

    return deliver_event_task


def event_enqueue(*, delivery_id: int, marked_at=None) -> None:
    """Queue one delivery, recording the task on it."""
    requeue.enqueue_recorded(_delivery_task(), EventDelivery, delivery_id, marked_at=marked_at)


def event_record(
    *, subscriber: str, event_type: str, payload: dict[str, Any], organization_id: int | None
) -> None:
    """Store one delivery in the caller's transaction and run it once that commits."""
    delivery = EventDelivery.objects.create(
        subscriber=subscriber,
        event_type=event_type,
        payload=payload,
        organization_id=organization_id,
        enqueued_at=timezone.now(),
    )
    transaction.on_commit(
        lambda: event_enqueue(delivery_id=delivery.pk, marked_at=delivery.enqueued_at)
    )


def _claimable(now) -> Q:
    due = Q(status=EventDelivery.Status.PENDING, next_attempt_at__lte=now)
    lost = Q(status=EventDelivery.Status.IN_FLIGHT, claimed_at__lt=now - DELIVERY_LEASE)
    return due | lost


def event_deliver(*, delivery_id: int) -> EventDelivery | None:
    """Run one delivery if it is due; returns it as it ended (None when not taken or delivered)."""
    now = timezone.now()
    taken = EventDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=EventDelivery.Status.IN_FLIGHT, claimed_at=now, **requeue.not_queued_marks()
    )
    delivery = EventDelivery.objects.filter(pk=delivery_id).first() if taken else None
    if delivery is None:
        return None
    delivery.attempts += 1
    try:
        events.run_subscriber(
            subscriber=delivery.subscriber,
            event_type=delivery.event_type,
            payload=delivery.payload,
        )
    except Exception as error:  # any failure of a subscriber is retried, not lost
        _record_failure(delivery, error)
        return delivery
    delivery.delete()
    return None


def _record_failure(delivery: EventDelivery, error: Exception) -> None:
    delivery.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    if delivery.attempts < max_attempts():
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (delivery.attempts - 1)).total_seconds()
        delivery.status = EventDelivery.Status.PENDING
        delivery.next_attempt_at = timezone.now() + timedelta(
            seconds=random.uniform(ceiling / 2, ceiling)
        )
    else:
        delivery.status = EventDelivery.Status.FAILED
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    logger.warning(
        "sync.event.failed",
        extra={
            "delivery": delivery.pk,
            "subscriber": delivery.subscriber,
            "attempts": delivery.attempts,
            "status": delivery.status,
            "error": delivery.last_error,
        },
        exc_info=error,
    )


@transaction.atomic
def event_retry(*, delivery: EventDelivery) -> EventDelivery:
    """Put a failed (or waiting) delivery back in line now, with a fresh attempt budget."""
    if delivery.status in (EventDelivery.Status.IN_FLIGHT, EventDelivery.Status.DISMISSED):
        raise DomainError(
            f"This delivery is {delivery.get_status_display().lower()}; nothing to retry."
        )
    delivery.status = EventDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: event_enqueue(delivery_id=delivery.pk))
    return delivery


@transaction.atomic
def event_dismiss(*, delivery: EventDelivery) -> EventDelivery:
    """Give up on a delivery: its subscriber will not run for this event."""
    if delivery.status in (EventDelivery.Status.IN_FLIGHT, EventDelivery.Status.DISMISSED):
        raise DomainError(
            f"This delivery is {delivery.get_status_display().lower()}; it cannot be dismissed."
        )
    delivery.status = EventDelivery.Status.DISMISSED
    delivery.save(update_fields=["status"])
    return delivery


def event_due_ids(*, limit: int | None = None) -> list[int]:
    """Deliveries with no live task that a worker should run now: due retries, and claimed ones
    whose worker died."""
    due = EventDelivery.objects.filter(_claimable(timezone.now()))
    return requeue.without_live_tasks(_delivery_task(), due, limit=limit or requeue.batch_size())
