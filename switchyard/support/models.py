"""Customer-raised (and internal) issues, their comments, status history and numbering."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from switchyard.accounts.models import Order, Organization, Vendor
from switchyard.trackers.models import TrackerProject


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class IssuePriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class IssueCategory(models.TextChoices):
    GENERAL = "general", "General"
    DELIVERY = "delivery", "Delivery"
    QUALITY = "quality", "Quality"
    BILLING = "billing", "Billing"
    COMMUNICATION = "communication", "Communication"
    TECHNICAL = "technical", "Technical"
    OTHER = "other", "Other"


class SupportSettings(models.Model):
    """Where an organization's customer issues go: its Linear team (or any tracker project)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="support_settings"
    )
    linear_team_id = models.CharField(max_length=100, blank=True, help_text="The Linear team's id.")
    tracker_project = models.ForeignKey(
        TrackerProject,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A Jira project (or Linear team) to use instead of the Linear team id.",
    )

    class Meta:
        verbose_name_plural = "support settings"

    def __str__(self) -> str:
        return f"Support settings of {self.organization}"


class IssueNumber(models.Model):
    """The last issue number handed out in a year (ISS-<year>-<n>), per year."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CustomerIssue(models.Model):
    """An issue raised by a customer against an organization, or an internal one."""

    issue_number = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField()
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customer_issues"
    )
    status = models.CharField(max_length=20, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    priority = models.CharField(
        max_length=10, choices=IssuePriority.choices, default=IssuePriority.MEDIUM
    )
    category = models.CharField(
        max_length=20, choices=IssueCategory.choices, default=IssueCategory.GENERAL
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_issues",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_issues",
    )
    is_client_issue = models.BooleanField(default=False)
    raised_by_customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_issues",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_issues",
    )
    resolution_notes = models.TextField(blank=True)
    # The Linear link as the existing front end reads it (the tracker link itself is a TicketLink).
    linear_issue_id = models.CharField(max_length=100, blank=True)
    linear_issue_url = models.URLField(max_length=500, blank=True)
    linear_team_id = models.CharField(max_length=100, blank=True)
    synced_to_linear = models.BooleanField(default=False)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One per filter and ordering of the issue list, each in the organization's newest-first
        # order, so a page reads its rows from an index instead of sorting the organization's.
        indexes = [
            models.Index(
                fields=["organization", "-created_at", "-id"], name="support_org_created_idx"
            ),
            models.Index(
                fields=["organization", "status", "-created_at", "-id"],
                name="support_org_status_idx",
            ),
            models.Index(
                fields=["organization", "priority", "-created_at", "-id"],
                name="support_org_priority_idx",
            ),
            models.Index(
                fields=["organization", "category", "-created_at", "-id"],
                name="support_org_category_idx",
            ),
            models.Index(fields=["organization", "-updated_at"], name="support_org_updated_idx"),
            models.Index(fields=["raised_by_customer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.issue_number}: {self.title}"


class IssueComment(models.Model):
    """A comment on a customer issue (from a person here, or copied from the tracker)."""

    issue = models.ForeignKey(CustomerIssue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(
        max_length=200, blank=True, help_text="For comments written in the tracker."
    )
    text = models.TextField()
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.issue.issue_number}: {self.text[:60]}"


class IssueStatusChange(models.Model):
    """One status change of a customer issue: who, from, to, when (and from where)."""

    issue = models.ForeignKey(CustomerIssue, on_delete=models.CASCADE, related_name="history")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    from_status = models.CharField(max_length=20, choices=IssueStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=IssueStatus.choices)
    via = models.CharField(
        max_length=40, default="switchyard", help_text="switchyard, or the tracker it came from."
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.issue.issue_number}: {self.from_status or '—'} → {self.to_status}"


class NotificationSettings(models.Model):
    """A person's choice about issue emails; without a row, emails are sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="issue_notifications"
    )
    email_on_issue_updates = models.BooleanField(
        default=True, help_text="Email me when my issue's status changes or staff comment."
    )

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"
