"""The sync engine's data: connections, runs, cursors, the outbox and the webhook inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.core.fields import EncryptedTextField


class ConnectionKind(models.TextChoices):
    SENTRY = "sentry", "Sentry"
    JIRA = "jira", "Jira Cloud"
    LINEAR = "linear", "Linear"


class Connection(models.Model):
    """One organization's account on a remote (a Sentry org, a Jira site, a Linear workspace)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="connections"
    )
    kind = models.CharField(max_length=20, choices=ConnectionKind.choices)
    name = models.CharField(max_length=120)
    base_url = models.URLField(
        help_text="Sentry: https://sentry.io or a self-hosted URL. Jira: https://<site>.atlassian.net. "
        "Linear: https://api.linear.app/graphql."
    )
    remote_organization = models.CharField(
        max_length=200, blank=True, help_text="Sentry: the organization slug."
    )
    account_email = models.EmailField(
        blank=True, help_text="Jira: the account email of the API token."
    )
    api_token = EncryptedTextField(blank=True, help_text="Auth token, API token or API key.")
    webhook_secret = EncryptedTextField(
        blank=True, help_text="Signs the webhooks this remote sends."
    )
    is_enabled = models.BooleanField(default=True)
    sync_enabled = models.BooleanField(default=True)
    sync_interval = models.DurationField(default=timedelta(minutes=15))
    last_sync_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # health
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "name"], name="connection_name_unique_per_org_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def is_due(self) -> bool:
        return self.next_sync_at is None or self.next_sync_at <= timezone.now()


class SyncCursor(models.Model):
    """How far a connection's pull of one stream got: the newest remote update time stored."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=120)
    position = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "stream"], name="cursor_unique_per_stream"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.stream} @ {self.position}"


class SyncRun(models.Model):
    """One pull of a connection: when, what, how it went, what it changed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned (worker lost)"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"
        COMMAND = "command", "Command"
        WEBHOOK = "webhook", "Webhook"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.SCHEDULE)
    full = models.BooleanField(
        default=False, help_text="A full sync also notices remote deletions."
    )
    scope = models.CharField(max_length=200, blank=True, help_text="What was synced.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One pull at a time per connection.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(status="running"),
                name="one_running_sync_per_connection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.get_status_display()} {self.started_at:%Y-%m-%d %H:%M}"


class OutboxEntry(models.Model):
    """A local change waiting to reach a remote, stored in the transaction that made the change.

    Entries sharing an ``ordering_key`` (one remote object) are delivered strictly in id order.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        IN_FLIGHT = "in_flight", "Being delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        DISMISSED = "dismissed", "Dismissed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="outbox")
    operation = models.CharField(
        max_length=80, help_text="Registered operation, e.g. tracker.create_ticket."
    )
    ordering_key = models.CharField(max_length=200, db_index=True)
    payload = models.JSONField(default=dict)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The task queued for this row and when; a worker taking the row clears both (sync/requeue.py).
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "outbox entries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # the retention prune
            models.Index(fields=["status", "delivered_at"], name="sync_outbox_delivered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} → {self.connection} ({self.get_status_display()})"


class WebhookDelivery(models.Model):
    """A webhook as received, stored before processing so it is never lost or applied twice."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhooks")
    delivery_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=120, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    content_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signed body: replays are refused."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The task queued for this row and when; a worker taking the row clears both (sync/requeue.py).
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["connection", "content_digest", "received_at"]),
            # the scheduler's look for deliveries left behind, and the retention prune
            models.Index(fields=["status", "received_at"], name="sync_webhook_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "delivery_id"], name="webhook_delivery_unique_per_connection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection} {self.event_type or 'webhook'} {self.delivery_id}"


class EventDelivery(models.Model):
    """One event to hand to one subscriber, stored with the change that published it.

    Delivered rows are deleted; a row that stays is waiting for its (next) attempt, failed past
    the retry limit with ``last_error`` saying why (until retried or dismissed), or dismissed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        IN_FLIGHT = "in_flight", "Being delivered"
        FAILED = "failed", "Failed"
        DISMISSED = "dismissed", "Dismissed"

    # The tenant whose change published the event (null: recorded before deliveries knew it).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_deliveries",
    )
    subscriber = models.CharField(max_length=200)
    event_type = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The task queued for this row (sync/requeue.py): the scheduler never queues a second one.
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "event deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscriber} ({self.get_status_display()})"
