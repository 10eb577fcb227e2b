"""Tracker projects (a Jira project or a Linear team), tickets, status and priority mappings, links."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from switchyard.products.models import Product
from switchyard.sync.models import Connection


class StatusCategory(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"


CLOSED_CATEGORIES = frozenset({StatusCategory.DONE, StatusCategory.CANCELED})
# Sorted: the open-ticket index's condition and the queries that use it must read the same.
OPEN_TICKET = Q(is_deleted=False) & ~Q(status_category__in=sorted(CLOSED_CATEGORIES))


class LocalPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class RegressionPolicy(models.TextChoices):
    REOPEN = "reopen", "Reopen the closed ticket"
    NEW_TICKET = "new_ticket", "Create a new ticket beside the old one"


class TrackerProject(models.Model):
    """A Jira project or a Linear team, mappable to a product, with defaults for new tickets."""

    # Indexed as the first column of the unique (connection, external_id) constraint.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="tracker_projects", db_index=False
    )
    external_id = models.CharField(max_length=100)
    key = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    project_type = models.CharField(max_length=50, blank=True)
    lead = models.CharField(max_length=200, blank=True)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="tracker_projects"
    )
    default_issue_type = models.CharField(max_length=60, default="Bug")
    default_priority = models.CharField(
        max_length=10, choices=LocalPriority.choices, default=LocalPriority.MEDIUM
    )
    default_labels = models.JSONField(default=list, blank=True)
    rules_may_create = models.BooleanField(
        default=False, help_text="Automation rules may create tickets here."
    )
    regression_policy = models.CharField(
        max_length=20, choices=RegressionPolicy.choices, default=RegressionPolicy.REOPEN
    )
    is_deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="tracker_project_unique_remote"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"


class StatusMapping(models.Model):
    """Which local category a remote status counts as; several statuses may count as done.

    ``preferred`` marks the status a ticket is moved to when Switchyard moves it into the category.
    """

    tracker_project = models.ForeignKey(
        TrackerProject, on_delete=models.CASCADE, related_name="status_mappings"
    )
    remote_status = models.CharField(max_length=120)
    remote_status_id = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=20, choices=StatusCategory.choices)
    preferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["tracker_project", "category", "remote_status"]
        constraints = [
            models.UniqueConstraint(
                fields=["tracker_project", "remote_status"], name="status_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.remote_status} → {self.get_category_display()}"


class PriorityMapping(models.Model):
    """A local priority and the remote priority it stands for (Jira: a name; Linear: 1-4)."""

    tracker_project = models.ForeignKey(
        TrackerProject, on_delete=models.CASCADE, related_name="priority_mappings"
    )
    priority = models.CharField(max_length=10, choices=LocalPriority.choices)
    remote_priority = models.CharField(max_length=60)

    class Meta:
        ordering = ["tracker_project", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["tracker_project", "priority"], name="priority_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()} ↔ {self.remote_priority}"


class Ticket(models.Model):
    """A Jira issue or Linear issue as synced."""

    # Indexed as the first column of the unique (connection, external_id) constraint.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="tickets", db_index=False
    )
    tracker_project = models.ForeignKey(
        TrackerProject, on_delete=models.CASCADE, related_name="tickets"
    )
    external_id = models.CharField(max_length=100)
    key = models.CharField(max_length=50, db_index=True)
    url = models.URLField(max_length=500)
    summary = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    issue_type = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=120)
    status_category = models.CharField(max_length=20, choices=StatusCategory.choices)
    priority = models.CharField(max_length=60, blank=True)
    assignee_email = models.EmailField(blank=True)
    reporter_email = models.EmailField(blank=True)
    remote_created_at = models.DateTimeField()
    remote_updated_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-remote_updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="ticket_unique_remote"
            )
        ]
        # The ticket list's filters and orderings.
        indexes = [
            models.Index(
                fields=["tracker_project", "status_category", "-remote_updated_at"],
                name="ticket_project_category_idx",
            ),
            models.Index(fields=["-remote_created_at"], name="ticket_created_idx"),
            # Open tickets per project (project and product figures) from this index alone.
            models.Index(
                fields=["tracker_project"],
                condition=OPEN_TICKET,
                name="ticket_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.summary}"


class TicketLink(models.Model):
    """A ticket and what it tracks (a Sentry issue, a customer issue), and how status flows."""

    class CreatedVia(models.TextChoices):
        MANUAL = "manual", "Manual"
        BULK = "bulk", "Bulk"
        RULE = "rule", "Automation rule"
        LINKED = "linked", "Linked to an existing ticket"

    class SyncState(models.TextChoices):
        OK = "ok", "In sync"
        PENDING = "pending", "Waiting for the tracker"
        FAILING = "failing", "Failing"

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    # Until the ticket exists remotely, the link waits with the project it will be created in.
    tracker_project = models.ForeignKey(
        TrackerProject, on_delete=models.CASCADE, related_name="links"
    )
    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    created_via = models.CharField(
        max_length=10, choices=CreatedVia.choices, default=CreatedVia.MANUAL
    )
    status_to_source = models.BooleanField(
        default=True, help_text="Ticket done/reopened → source resolved/reopened."
    )
    status_to_tracker = models.BooleanField(
        default=True, help_text="Source resolved/reopened → ticket moved."
    )
    is_active = models.BooleanField(
        default=True, help_text="False once superseded (e.g. a new ticket after a regression)."
    )
    sync_state = models.CharField(
        max_length=10, choices=SyncState.choices, default=SyncState.PENDING
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source_type", "source_id"])]
        constraints = [
            # One live ticket per source and tracker project: creating again never makes a second.
            models.UniqueConstraint(
                fields=["source_type", "source_id", "tracker_project"],
                condition=models.Q(is_active=True),
                name="one_active_link_per_source_and_project",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.key if self.ticket else 'pending ticket'} ↔ {self.source_type.model} {self.source_id}"


class TicketComment(models.Model):
    """A comment that travelled between a ticket and its source, kept so it travels only once."""

    class Direction(models.TextChoices):
        TO_TRACKER = "to_tracker", "Source → tracker"
        TO_SOURCE = "to_source", "Tracker → source"

    link = models.ForeignKey(TicketLink, on_delete=models.CASCADE, related_name="comments")
    direction = models.CharField(max_length=12, choices=Direction.choices)
    origin_external_id = models.CharField(
        max_length=100, help_text="The comment's id where it was written."
    )
    copy_external_id = models.CharField(
        max_length=100, blank=True, help_text="The copy's id, once delivered."
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "direction", "origin_external_id"], name="ticket_comment_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.text[:60]}"
