"""Pulls: one SyncRun per pull of a connection, cursors, and the schedule that follows."""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from switchyard.core.exceptions import DomainError, RemoteError
from switchyard.sync import health
from switchyard.sync.models import Connection, SyncCursor, SyncRun
from switchyard.sync.registry import kind_handlers
from switchyard.sync.upsert import UpsertCounts, refresh_statistics

logger = logging.getLogger(__name__)

# A run whose worker has not reported for this long is presumed dead and may be replaced.
RUN_LEASE = timedelta(minutes=10)
# Remote update times are re-read this far back, so clock skew and slow writes are not missed.
CURSOR_OVERLAP = timedelta(minutes=2)
# A run writes its counts and heartbeat this often, not once per batch.
PROGRESS_EVERY = timedelta(seconds=2)
COUNT_FIELDS = ("created", "updated", "unchanged", "deleted", "failed")
# A first sync fills a table faster than autovacuum analyzes it; until then PostgreSQL plans each
# batch's read as a scan of every row of the connection. The run analyzes the table itself once it
# has created this many rows in it.
ANALYZE_AFTER = 10_000


class SyncAlreadyRunning(DomainError):
    code = "sync_running"
    status_code = 409


@dataclass
class RunRecorder:
    """What a kind's pull handler reports through: counts, scope, heartbeat, cursors."""

    run: SyncRun
    connection: Connection
    full: bool
    scopes: list[str] = field(default_factory=list)
    _created_in: Counter[str] = field(default_factory=Counter, init=False)

    def count(
        self,
        *,
        created: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        deleted: int = 0,
        failed: int = 0,
    ) -> None:
        for name, value in zip(
            COUNT_FIELDS, (created, updated, unchanged, deleted, failed), strict=True
        ):
            setattr(self.run, name, getattr(self.run, name) + value)
        if timezone.now() - self.run.heartbeat_at >= PROGRESS_EVERY:
            self.save_progress()

    def count_upsert(
        self, model: type[models.Model], counts: UpsertCounts, *, failed: int = 0
    ) -> None:
        """Count one batch's upsert into ``model``'s table (see ANALYZE_AFTER)."""
        self.count(
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            failed=failed,
        )
        table = model._meta.db_table
        already = self._created_in[table]
        self._created_in[table] += counts.created
        if already < ANALYZE_AFTER <= self._created_in[table]:
            refresh_statistics(model)

    def save_progress(self) -> None:
        """Write the counts so far and the heartbeat that keeps the run's lease."""
        self.run.heartbeat_at = timezone.now()
        SyncRun.objects.filter(pk=self.run.pk).update(
            **{name: getattr(self.run, name) for name in COUNT_FIELDS},
            heartbeat_at=self.run.heartbeat_at,
        )

    def add_scope(self, scope: str) -> None:
        self.scopes.append(scope)

    def since(self, stream: str) -> datetime | None:
        """Where an incremental pull of ``stream`` starts (None: from the beginning)."""
        if self.full:
            return None
        position = (
            SyncCursor.objects.filter(connection=self.connection, stream=stream)
            .values_list("position", flat=True)
            .first()
        )
        return position - CURSOR_OVERLAP if position else None

    def advance(self, stream: str, position: datetime | None) -> None:
        """Move a stream's cursor forward (never back) to the newest update stored.

        Call it once the whole stream is stored: remotes list newest first, or team by team, so
        a run that fails half-way must start again from the old cursor to miss nothing.
        """
        if position is None:
            return
        cursor, _ = SyncCursor.objects.get_or_create(connection=self.connection, stream=stream)
        if cursor.position is None or position > cursor.position:
            SyncCursor.objects.filter(pk=cursor.pk).update(position=position)


def _start_run(*, connection: Connection, trigger: str, full: bool) -> SyncRun:
    stale = timezone.now() - RUN_LEASE
    SyncRun.objects.filter(
        connection=connection, status=SyncRun.Status.RUNNING, heartbeat_at__lt=stale
    ).update(status=SyncRun.Status.ABANDONED, finished_at=timezone.now())
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, trigger=trigger, full=full)
    except IntegrityError:
        raise SyncAlreadyRunning(f"A sync of {connection} is already running.") from None


def _retry_delay(failures: int, interval: timedelta) -> timedelta:
    """After a failed pull, try again sooner than the interval but back off on repeated failures."""
    seconds = min(interval.total_seconds(), 30 * 2 ** min(failures, 10))
    return timedelta(seconds=random.uniform(seconds / 2, seconds))


def connection_pull(
    *, connection: Connection, trigger: str = SyncRun.Trigger.SCHEDULE, full: bool = False
) -> SyncRun:
    """Pull what changed on the remote into local rows, recorded as one SyncRun."""
    run = _start_run(connection=connection, trigger=trigger, full=full)
    recorder = RunRecorder(run=run, connection=connection, full=full)
    now = timezone.now
    try:
        kind_handlers(connection.kind).pull(connection, recorder)
    except (RemoteError, DomainError) as error:
        run.status, run.error = SyncRun.Status.FAILED, health.describe_error(error)
        health.connection_record_error(connection=connection, error=error)
        connection.refresh_from_db(fields=["consecutive_failures"])
        next_sync = now() + _retry_delay(connection.consecutive_failures, connection.sync_interval)
        logger.warning("sync.pull.failed", extra={"connection": connection.pk, "error": run.error})
    except Exception as error:
        run.status, run.error = SyncRun.Status.FAILED, health.describe_error(error)
        _finish(run, recorder)
        Connection.objects.filter(pk=connection.pk).update(
            last_error_at=now(), last_error=run.error
        )
        raise
    else:
        run.status = SyncRun.Status.SUCCEEDED
        health.connection_record_ok(connection=connection)
        next_sync = now() + connection.sync_interval
        Connection.objects.filter(pk=connection.pk).update(last_sync_at=now())
    Connection.objects.filter(pk=connection.pk).update(next_sync_at=next_sync)
    _finish(run, recorder)
    return run


def _finish(run: SyncRun, recorder: RunRecorder) -> None:
    run.finished_at = timezone.now()
    run.scope = ", ".join(recorder.scopes)[:200]
    run.save(update_fields=["status", "error", "finished_at", "scope", *COUNT_FIELDS])


def connection_test(*, connection: Connection) -> str:
    """Ask the remote who the credentials belong to; raises a RemoteError with a readable reason."""
    try:
        identity = kind_handlers(connection.kind).test_connection(connection)
    except RemoteError as error:
        health.connection_record_error(connection=connection, error=error)
        raise
    health.connection_record_ok(connection=connection)
    return identity


class _DryRunRollback(Exception):
    pass


def connection_pull_dry_run(*, connection: Connection) -> SyncRun:
    """Run an incremental pull and roll every write back: the run tells what would change."""
    outcome: SyncRun | None = None
    try:
        with transaction.atomic():
            outcome = connection_pull(connection=connection, trigger=SyncRun.Trigger.COMMAND)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return outcome
