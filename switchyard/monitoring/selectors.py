"""Reads of Sentry projects and issues, scoped to an organization, with their figures."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from switchyard.accounts.models import Organization
from switchyard.monitoring.models import IssueStatus, SentryIssue, SentryProject

UNRESOLVED = Q(issues__status=IssueStatus.UNRESOLVED, issues__is_deleted=False)


def sentry_project_list(*, organization: Organization) -> QuerySet[SentryProject]:
    """Projects with their product and live figures (one query, whatever the page size)."""
    return (
        SentryProject.objects.filter(connection__organization=organization)
        .select_related("product", "product__owning_team", "connection")
        .annotate(
            unresolved_issues=Count("issues", filter=UNRESOLVED),
            unresolved_events=Coalesce(
                Sum("issues__event_count", filter=UNRESOLVED), Value(0), output_field=IntegerField()
            ),
        )
    )


def sentry_issue_list(*, organization: Organization) -> QuerySet[SentryIssue]:
    return SentryIssue.objects.filter(
        connection__organization=organization, is_deleted=False
    ).select_related("project", "project__product", "connection")
