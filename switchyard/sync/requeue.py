"""Re-enqueueing work whose task was lost, without ever queueing a second task for live work.

Rows that a task works on (webhook deliveries, outbox entries) record the task queued for them
(``task_id``, ``enqueued_at``); a worker taking the row clears both. The scheduler re-enqueues a
due row only when nothing is queued for it: ``enqueued_at`` is empty, or older than
``SYNC_REQUEUE_AFTER_SECONDS`` and the task backend says that task is no longer waiting or running
(a backend that cannot tell is trusted for that long). A tick enqueues at most
``SYNC_SCHEDULER_BATCH`` rows of each kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.backend import DatabaseBackend

LIVE = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def requeue_after() -> timedelta:
    return timedelta(seconds=settings.SYNC_REQUEUE_AFTER_SECONDS)


def batch_size() -> int:
    return settings.SYNC_SCHEDULER_BATCH


def nothing_queued(now: datetime) -> Q:
    """Rows with no task queued, or one queued long enough ago to ask whether it still lives."""
    return Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - requeue_after())


def not_queued_marks() -> dict:
    """The fields a worker clears when it takes a row: no task is queued for it any more."""
    return {"task_id": "", "enqueued_at": None}


def _task_lives(task: Task, task_id: str) -> bool:
    """Whether the task recorded on a row still waits or runs (asked of ``task``'s backend: the
    task may be another one, delivering several rows)."""
    backend = task.get_backend()
    if not task_id or not backend.supports_get_result:
        return False
    try:
        return backend.get_result(task_id).status in LIVE
    except TaskResultDoesNotExist:
        return False


def without_live_tasks(task: Task, candidates: QuerySet, *, limit: int) -> list[int]:
    """The ids among ``candidates`` (due rows) that no live task is queued for, at most ``limit``.

    Rows whose old task still waits in the queue get a fresh ``enqueued_at``, so that they are
    asked about again only after another ``SYNC_REQUEUE_AFTER_SECONDS``.
    """
    now = timezone.now()
    rows = (
        candidates.filter(nothing_queued(now)).order_by("pk").values_list("pk", "task_id")[:limit]
    )
    lost, waiting = [], []
    for pk, task_id in rows:
        (waiting if _task_lives(task, task_id) else lost).append(pk)
    if waiting:
        candidates.model.objects.filter(pk__in=waiting).update(enqueued_at=now)
    return lost


def enqueue_recorded(
    task: Task, model: type[Model], pk: int, *, marked_at: datetime | None = None
) -> None:
    """Enqueue ``task`` for one row and record it there.

    ``marked_at`` is the row's ``enqueued_at`` when the caller already set it (on insert). The task
    id is recorded only if no worker took the row meanwhile (taking it clears the mark).
    """
    if marked_at is None:
        marked_at = timezone.now()
        model.objects.filter(pk=pk).update(task_id="", enqueued_at=marked_at)
    result = task.enqueue(pk)
    model.objects.filter(pk=pk, enqueued_at=marked_at).update(task_id=str(result.id))


def enqueue_recorded_with_row(
    task: Task, model: type[Model], pk: int, *, marked_at: datetime
) -> None:
    """``enqueue_recorded`` for a row being stored in the current transaction.

    When the task backend keeps its queue in this database, the task is queued in the row's own
    transaction: they commit together (one commit instead of three on the hottest paths), and a
    worker sees neither without the other. Otherwise it is queued once the row is committed.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        enqueue_recorded(task, model, pk, marked_at=marked_at)
    else:
        transaction.on_commit(lambda: enqueue_recorded(task, model, pk, marked_at=marked_at))


def enqueue_recorded_many(
    task: Task, model: type[Model], pks: list[int], marked_at: datetime
) -> None:
    """Enqueue one ``task`` for several rows inserted together (their ``enqueued_at`` is
    ``marked_at``), taking the list of their keys, and record it on each row no worker took
    meanwhile."""
    result = task.enqueue(pks)
    model.objects.filter(pk__in=pks, enqueued_at=marked_at).update(task_id=str(result.id))
