"""What every pull does with the rows of one connection, whatever the remote: upsert them a batch
at a time, on a full pull mark those the remote no longer lists as deleted, and announce which
rows changed.

The rows' model has ``connection``, ``external_id`` (unique together) and ``is_deleted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import models, transaction

from switchyard.core import events
from switchyard.sync.batches import BATCH, batches
from switchyard.sync.models import Connection
from switchyard.sync.runs import RunRecorder
from switchyard.sync.upsert import bulk_upsert


def upsert_pulled(
    model: type[models.Model],
    rows: Iterable[models.Model],
    *,
    update_fields: Sequence[str],
    recorder: RunRecorder,
) -> set[str]:
    """Upsert ``rows`` a batch at a time, counting each batch on the run; their external ids."""
    seen: set[str] = set()
    for chunk in batches(rows, BATCH):
        counts = bulk_upsert(
            model, chunk, unique_fields=["connection", "external_id"], update_fields=update_fields
        )
        recorder.count_upsert(model, counts)
        seen.update(row.external_id for row in chunk)
    return seen


def mark_unseen_deleted(
    model: type[models.Model],
    connection: Connection,
    seen: Iterable[str],
    *,
    recorder: RunRecorder,
    announce: type | None = None,
) -> None:
    """After a full pull: mark the connection's live rows outside ``seen`` deleted and count them
    on the run; ``announce`` is the event that names them (``connection_id``, ``external_ids``)."""
    with transaction.atomic():
        live = model._default_manager.filter(connection=connection, is_deleted=False)
        gone = list(live.exclude(external_id__any=seen).values_list("external_id", flat=True))
        live.filter(external_id__any=gone).update(is_deleted=True)
        if announce is not None:
            announce_rows(announce, connection, gone)
    recorder.count(deleted=len(gone))


def announce_rows(event_type: type, connection: Connection, external_ids: Sequence[str]) -> None:
    """Publish ``event_type(connection_id=, external_ids=)`` for these rows, if there are any."""
    if external_ids:
        events.publish(
            event_type(connection_id=connection.pk, external_ids=tuple(external_ids)),
            organization_id=connection.organization_id,
        )
