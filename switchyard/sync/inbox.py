"""Webhooks: verified over the raw bytes, stored before anything else, applied once in the background."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from switchyard.core.exceptions import WebhookInvalid, WebhookMalformed
from switchyard.sync import receipts, requeue
from switchyard.sync.models import Connection, WebhookDelivery
from switchyard.sync.registry import VerifiedWebhook, kind_handlers
from switchyard.sync.webhook_connections import webhook_connection

logger = logging.getLogger(__name__)

PROCESSING_LEASE = timedelta(minutes=5)
MAX_PROCESSING_ATTEMPTS = 5
# Headers worth keeping with a delivery; signatures and auth headers are not stored.
KEPT_HEADERS = ("content-type", "user-agent")


def _processing_task():
    from switchyard.sync.tasks import process_webhook_task

    return process_webhook_task


def webhook_enqueue(*, delivery_id: int, marked_at: datetime | None = None) -> None:
    """Queue the processing of a stored delivery, recording the task on it."""
    requeue.enqueue_recorded(_processing_task(), WebhookDelivery, delivery_id, marked_at=marked_at)


class ConnectionChanged(Exception):
    """The connection was switched off, deleted or given another webhook secret after the
    delivery was verified against it."""


def _check_readable(verified: VerifiedWebhook, body: bytes) -> None:
    """Refuse a verified delivery that could never be applied, rather than store and retry it."""
    for what, value, field in (
        ("delivery id", verified.delivery_id, "delivery_id"),
        ("event type", verified.event_type, "event_type"),
    ):
        limit = WebhookDelivery._meta.get_field(field).max_length
        if len(value) > limit:
            raise WebhookMalformed(f"The {what} is longer than {limit} characters.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookMalformed(f"The body is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise WebhookMalformed("The body is not a JSON object.")


def webhook_receive(
    *, connection: Connection, headers: Mapping[str, str], body: bytes
) -> tuple[WebhookDelivery, bool]:
    """Verify and store a delivery; returns it and whether it is new.

    A redelivery (same delivery id) and a replay (the same signed body again within the replay
    window, whatever its delivery id and unsigned headers say) are no-ops. Raises WebhookInvalid
    when the signature or timestamp does not verify, WebhookMalformed when the verified delivery
    cannot be read, ConnectionChanged (and stores nothing) when ``connection`` no longer matches
    its row.
    """
    verified = kind_handlers(connection.kind).verify_webhook(connection, headers, body)
    _check_readable(verified, body)
    # Every provider here signs the body alone, so its digest identifies the signed content.
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        _lock_unchanged(connection)
        earlier = receipts.earlier_copy(
            connection_pk=connection.pk,
            delivery_id=verified.delivery_id,
            digest=digest,
            since=timezone.now() - timedelta(hours=settings.WEBHOOK_REPLAY_WINDOW_HOURS),
        )
        if earlier is not None:
            earlier_pk, earlier_delivery_id = earlier
            replay = earlier_delivery_id != verified.delivery_id
            logger.info(
                "sync.webhook.replay" if replay else "sync.webhook.duplicate",
                extra={"delivery": earlier_pk},
            )
            return WebhookDelivery(pk=earlier_pk, delivery_id=earlier_delivery_id), False
        now = timezone.now()
        delivery = WebhookDelivery(
            connection=connection,
            delivery_id=verified.delivery_id,
            event_type=verified.event_type,
            headers=_kept_headers(headers),
            body=body.decode("utf-8", errors="replace"),
            content_digest=digest,
            received_at=now,
            enqueued_at=now,
        )
        delivery.pk = receipts.insert_delivery(
            **{name: getattr(delivery, name) for name in receipts.INSERTED_COLUMNS}
        )
        requeue.enqueue_recorded_with_row(
            _processing_task(), WebhookDelivery, delivery.pk, marked_at=delivery.enqueued_at
        )
    return delivery, True


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() in KEPT_HEADERS
        or name.lower().endswith(("-event", "-resource", "-delivery"))
    }


def _lock_unchanged(connection: Connection) -> None:
    """Receipts for one connection take turns, so two copies of a body cannot both pass; the row
    read under the lock is the one the delivery must have been verified against."""
    if receipts.locked_switch_and_secret(connection.pk) != (True, connection.webhook_secret):
        raise ConnectionChanged


def webhook_accept(
    *, kind: str, connection_uuid, headers: Mapping[str, str], body: bytes
) -> tuple[Connection | None, WebhookDelivery | None, bool]:
    """Verify and store a delivery for the enabled connection of ``kind`` and ``connection_uuid``.

    Returns the connection (None, and nothing else, when there is no such enabled connection),
    the delivery and whether it is new; raises as ``webhook_receive`` does. The process's kept
    copy of the connection is used when there is one; when it refuses the signature or no longer
    matches the row, the delivery is checked again against the row as it is now.
    """
    connection, kept = webhook_connection(kind=kind, connection_uuid=connection_uuid)
    if kept:
        try:
            return connection, *webhook_receive(connection=connection, headers=headers, body=body)
        except WebhookMalformed:
            raise
        except (WebhookInvalid, ConnectionChanged):
            connection, _ = webhook_connection(
                kind=kind, connection_uuid=connection_uuid, fresh=True
            )
    if connection is None:
        return None, None, False
    return connection, *webhook_receive(connection=connection, headers=headers, body=body)


def webhook_process(*, delivery_id: int) -> WebhookDelivery | None:
    """Apply a stored delivery through its kind's handler, once."""
    now = timezone.now()
    claimable = WebhookDelivery.objects.filter(pk=delivery_id).filter(
        status__in=[WebhookDelivery.Status.RECEIVED, WebhookDelivery.Status.FAILED]
    ) | WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PROCESSING,
        claimed_at__lt=now - PROCESSING_LEASE,
    )
    delivery = claimable.select_related("connection").first()
    if delivery is None or delivery.attempts >= MAX_PROCESSING_ATTEMPTS:
        return None
    taken = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts
    ).update(
        status=WebhookDelivery.Status.PROCESSING,
        claimed_at=now,
        attempts=delivery.attempts + 1,
        **requeue.not_queued_marks(),
    )
    if not taken:
        return None
    try:
        with transaction.atomic():
            applied = kind_handlers(delivery.connection.kind).apply_webhook(delivery)
            delivery.status = (
                WebhookDelivery.Status.PROCESSED if applied else WebhookDelivery.Status.IGNORED
            )
            delivery.processed_at = timezone.now()
            delivery.error = ""
            delivery.save(update_fields=["status", "processed_at", "error"])
    except Exception as error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.exception("sync.webhook.failed", extra={"delivery": delivery.pk})
        return WebhookDelivery.objects.get(pk=delivery.pk)
    return delivery


def webhook_due_ids(*, limit: int | None = None) -> list[int]:
    """Deliveries with no live task: never processed (their enqueue was lost), failed ones to
    retry, and claims whose worker died."""
    now = timezone.now()
    waiting = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.RECEIVED, WebhookDelivery.Status.FAILED],
        attempts__lt=MAX_PROCESSING_ATTEMPTS,
    )
    lost = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PROCESSING, claimed_at__lt=now - PROCESSING_LEASE
    )
    return requeue.without_live_tasks(
        _processing_task(), waiting | lost, limit=limit or requeue.batch_size()
    )
