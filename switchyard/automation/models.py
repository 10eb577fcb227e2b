"""Automation rules (scope, conditions, action) and what each did with the issues it matched."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models

from switchyard.accounts.models import Organization
from switchyard.monitoring.models import SentryProject
from switchyard.products.models import Product
from switchyard.support.models import IssueCategory, IssuePriority
from switchyard.trackers.models import LocalPriority, TicketLink, TrackerProject

DEFAULT_HOURLY_CEILING = 20


class RuleSource(models.TextChoices):
    SENTRY = "sentry", "Sentry issues"
    CUSTOMER = "customer", "Customer issues"


class MinimumLevel(models.TextChoices):
    DEBUG = "debug", "Debug"
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"
    FATAL = "fatal", "Fatal"


class AutomationRule(models.Model):
    """Issues of one source that match the scope and conditions become tickets by the action."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="automation_rules"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0, help_text="Lower positions are tried first.")
    source = models.CharField(max_length=10, choices=RuleSource.choices, default=RuleSource.SENTRY)
    # scope: empty means the whole organization
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="automation_rules",
        help_text="This product and its sub-products.",
    )
    sentry_projects = models.ManyToManyField(
        SentryProject, blank=True, related_name="automation_rules"
    )
    # conditions over Sentry issues (all optional, all must hold)
    new_issues_only = models.BooleanField(
        default=False, help_text="Only issues first seen after the rule was activated."
    )
    min_level = models.CharField(max_length=10, choices=MinimumLevel.choices, blank=True)
    min_events = models.PositiveBigIntegerField(null=True, blank=True)
    min_users = models.PositiveBigIntegerField(null=True, blank=True)
    regressions_only = models.BooleanField(
        default=False, help_text="Only issues that came back after being resolved."
    )
    text_contains = models.CharField(
        max_length=200, blank=True, help_text="In the title or the culprit (any case)."
    )
    # conditions over customer issues
    min_priority = models.CharField(max_length=10, choices=IssuePriority.choices, blank=True)
    categories = models.JSONField(
        default=list, blank=True, help_text=f"Any of: {', '.join(IssueCategory.values)}."
    )
    client_raised_only = models.BooleanField(default=False)
    # action
    tracker_project = models.ForeignKey(
        TrackerProject,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="automation_rules",
        help_text="Empty: the tracker project mapped to the issue's product.",
    )
    issue_type = models.CharField(max_length=60, blank=True, help_text="Empty: the project's.")
    priority = models.CharField(
        max_length=10, choices=LocalPriority.choices, blank=True, help_text="Empty: from the issue."
    )
    labels = models.JSONField(default=list, blank=True)
    assignee_email = models.EmailField(blank=True, help_text="Empty: nobody.")
    title_template = models.CharField(max_length=500, blank=True)
    description_template = models.TextField(blank=True)
    hourly_ceiling = models.PositiveIntegerField(
        default=DEFAULT_HOURLY_CEILING,
        validators=[MinValueValidator(1)],
        help_text="Matches past this many tickets in an hour are held until released.",
    )
    # state
    activated_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    pause_reason = models.TextField(blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="automation_rule_name_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return bool(self.pause_reason)


class RuleMatch(models.Model):
    """An issue a rule matched and what came of it; at most one per issue, whatever the rule."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Ticket created"
        SKIPPED = "skipped", "Skipped: already linked"
        THROTTLED = "throttled", "Held: hourly ceiling reached"
        FAILED = "failed", "Failed"

    # A batch inserts a match per issue a rule takes, most of them held by the hourly ceiling, so
    # each index and checked key costs on the pull path: the rule's matches are found through
    # ``rule_match_outcome_time``, an issue's through the unique pair, and content types are
    # never deleted while their models exist (the constraint would only check that on commit).
    rule = models.ForeignKey(
        AutomationRule, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    source_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, db_index=False, db_constraint=False
    )
    source_id = models.PositiveBigIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    link = models.ForeignKey(
        TicketLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True, help_text="The tracker's own message, when it failed.")
    matched_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(
        null=True, blank=True, help_text="When its ticket was queued (or it failed)."
    )

    class Meta:
        ordering = ["-matched_at", "-id"]
        indexes = [
            models.Index(fields=["rule", "outcome", "decided_at"], name="rule_match_outcome_time")
        ]
        constraints = [
            # The guarantee against duplicates: whichever rule or worker gets here first owns it.
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="one_automatic_ticket_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.source_type.model} {self.source_id} ({self.outcome})"
