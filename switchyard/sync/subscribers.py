"""Durable event delivery: the store behind ``core.events``, retried like the outbox.

``publish`` records an ``EventDelivery`` per subscriber in the publishing transaction; after
commit a task runs it: alone, or with the other waiting deliveries of its type for a subscriber
that takes several together (if they fail together, the one whose task ran is tried alone and the
others go back in line). A subscriber that raises is retried with exponential backoff (the scheduler
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
    """Store one delivery in the caller's transaction and run it once that commits (its task
    queued in the same transaction when the queue is in this database)."""
    delivery = EventDelivery.objects.create(
        subscriber=subscriber,
        event_type=event_type,
        payload=payload,
        organization_id=organization_id,
        enqueued_at=timezone.now(),
    )
    requeue.enqueue_recorded_with_row(
        _delivery_task(), EventDelivery, delivery.pk, marked_at=delivery.enqueued_at
    )


def _claimable(now) -> Q:
    due = Q(status=EventDelivery.Status.PENDING, next_attempt_at__lte=now)
    lost = Q(status=EventDelivery.Status.IN_FLIGHT, claimed_at__lt=now - DELIVERY_LEASE)
    return due | lost


def _claim(pks: list[int], now) -> list[int]:
    """Those of ``pks`` this worker took: one statement each, so a row goes to one worker only."""
    claimed = EventDelivery.objects.filter(_claimable(now))
    marks = {"status": EventDelivery.Status.IN_FLIGHT, "claimed_at": now}
    return [pk for pk in pks if claimed.filter(pk=pk).update(**marks, **requeue.not_queued_marks())]


def _waiting_alike(delivery: EventDelivery, now) -> list[EventDelivery]:
    """Other due deliveries to the same subscriber of the same event type, as many as it takes
    together with this one, claimed by this worker."""
    room = events.taken_together(delivery.subscriber) - 1
    if room < 1:
        return []
    waiting = (
        EventDelivery.objects.filter(
            _claimable(now), subscriber=delivery.subscriber, event_type=delivery.event_type
        )
        .exclude(pk=delivery.pk)
        .order_by("pk")
        .values_list("pk", flat=True)[:room]
    )
    return list(EventDelivery.objects.filter(pk__in=_claim(list(waiting), now)).order_by("pk"))


def _run(deliveries: list[EventDelivery]) -> None:
    first = deliveries[0]
    events.run_subscriber(
        subscriber=first.subscriber,
        event_type=first.event_type,
        payloads=[delivery.payload for delivery in deliveries],
    )


def event_deliver(*, delivery_id: int) -> EventDelivery | None:
    """Run one delivery if it is due, with the deliveries alike that its subscriber takes
    together; returns it as it ended (None when not taken or delivered)."""
    now = timezone.now()
    delivery = EventDelivery.objects.filter(pk__in=_claim([delivery_id], now)).first()
    if delivery is None:
        return None
    alike = _waiting_alike(delivery, now)
    delivery.attempts += 1
    try:
        try:
            _run([delivery, *alike])
        except Exception:
            if not alike:
                raise
            # Any of them may be at fault: the others go back in line, this one runs alone and
            # alone counts the attempt.
            _release(alike)
            alike = []
            _run([delivery])
    except Exception as error:  # any failure of a subscriber is retried, not lost
        _record_failure(delivery, error)
        return delivery
    EventDelivery.objects.filter(pk__in=[delivery.pk] + [other.pk for other in alike]).delete()
    return None


def _release(deliveries: list[EventDelivery]) -> None:
    """Deliveries taken along with others back in line, due now, each with a task of its own."""
    EventDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=EventDelivery.Status.PENDING, claimed_at=None
    )
    for other in deliveries:
        event_enqueue(delivery_id=other.pk)


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
