"""Sentry projects and issues as synced from a Sentry connection, and their product mapping."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from switchyard.products.models import Product
from switchyard.sync.models import Connection


class IssueLevel(models.TextChoices):
    FATAL = "fatal", "Fatal"
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"
    DEBUG = "debug", "Debug"
    SAMPLE = "sample", "Sample"


class IssueStatus(models.TextChoices):
    UNRESOLVED = "unresolved", "Unresolved"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"


class SentryProject(models.Model):
    """A Sentry project; mapping it to a product puts its errors under that product."""

    # Indexed as the first column of the unique (connection, external_id) constraint.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="sentry_projects", db_index=False
    )
    external_id = models.CharField(max_length=64)
    slug = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32, blank=True)
    sentry_organization = models.CharField(max_length=200)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="sentry_projects"
    )
    is_deleted = models.BooleanField(
        default=False, help_text="Gone from Sentry (seen by a full sync)."
    )
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sentry_organization", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="sentry_project_unique_remote"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sentry_organization}/{self.slug}"


class SentryIssue(models.Model):
    """A Sentry issue (a group of events)."""

    # Indexed as the first column of the unique (connection, external_id) constraint.
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="sentry_issues", db_index=False
    )
    project = models.ForeignKey(SentryProject, on_delete=models.CASCADE, related_name="issues")
    external_id = models.CharField(max_length=64)
    short_id = models.CharField(max_length=64)
    title = models.CharField(max_length=1000)
    culprit = models.CharField(max_length=1000, blank=True)
    level = models.CharField(max_length=16, choices=IssueLevel.choices, default=IssueLevel.ERROR)
    status = models.CharField(
        max_length=16, choices=IssueStatus.choices, default=IssueStatus.UNRESOLVED
    )
    substatus = models.CharField(max_length=32, blank=True)
    event_count = models.BigIntegerField(default=0)
    user_count = models.BigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    permalink = models.URLField(max_length=500, blank=True)
    assignee_email = models.EmailField(blank=True)
    is_deleted = models.BooleanField(
        default=False, help_text="Gone from Sentry (seen by a full sync)."
    )
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="sentry_issue_unique_remote"
            )
        ]
        # The issue list's filters and orderings (newest last event first by default), and a
        # product's newest issue.
        indexes = [
            models.Index(fields=["project", "status", "level"]),
            models.Index(fields=["status", "-last_seen"], name="sentry_issue_status_seen_idx"),
            models.Index(fields=["level", "-last_seen"], name="sentry_issue_level_seen_idx"),
            models.Index(fields=["-first_seen"], name="sentry_issue_first_seen_idx"),
            models.Index(fields=["-event_count"], name="sentry_issue_events_idx"),
            models.Index(fields=["-user_count"], name="sentry_issue_users_idx"),
            models.Index(fields=["project", "-first_seen"], name="sentry_issue_newest_idx"),
            # Project and product figures count and sum the unresolved issues from this index
            # alone (PostgreSQL reads the included columns without visiting the table).
            models.Index(
                fields=["project", "level"],
                include=["event_count", "user_count"],
                condition=Q(status="unresolved", is_deleted=False),
                name="sentry_issue_unresolved_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.short_id}: {self.title}"
