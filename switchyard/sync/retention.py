"""Finished work is deleted after ``SYNC_RETENTION_DAYS``, so the engine's tables stay small.

Processed or ignored webhook deliveries, delivered or dismissed outbox entries and finished task
results (database task backend) go; anything still waiting, failed or running stays. A provider
redelivering a delivery older than the retention would have it applied again: providers retry
within hours, the retention is days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from switchyard.sync.models import OutboxEntry, WebhookDelivery

BATCH = 2_000


@dataclass(frozen=True)
class Pruned:
    deliveries: int
    outbox_entries: int
    task_results: int


def _delete_in_batches(rows: QuerySet) -> int:
    """Delete in short statements, so that no long lock holds up the workers."""
    deleted = 0
    while ids := list(rows.values_list("pk", flat=True)[:BATCH]):
        deleted += rows.model.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _finished_task_results(cutoff) -> QuerySet | None:
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        return None  # other backends keep (and expire) their results themselves
    return DBTaskResult.objects.finished().filter(
        backend_name=backend.alias, finished_at__lt=cutoff
    )


def prune_finished_work() -> Pruned:
    """Delete the finished work older than the retention period; returns what went."""
    cutoff = timezone.now() - timedelta(days=settings.SYNC_RETENTION_DAYS)
    deliveries = _delete_in_batches(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED],
            received_at__lt=cutoff,
        )
    )
    outbox_entries = _delete_in_batches(
        OutboxEntry.objects.filter(
            Q(status=OutboxEntry.Status.DELIVERED, delivered_at__lt=cutoff)
            | Q(status=OutboxEntry.Status.DISMISSED, created_at__lt=cutoff)
        )
    )
    tasks = _finished_task_results(cutoff)
    return Pruned(
        deliveries=deliveries,
        outbox_entries=outbox_entries,
        task_results=0 if tasks is None else _delete_in_batches(tasks),
    )
