"""Reads of Sentry projects and issues, scoped to an organization, with their figures."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from switchyard.accounts.models import Organization
from switchyard.monitoring.models import IssueStatus, SentryIssue, SentryProject


def _per_project(aggregate) -> Coalesce:
    """An aggregate over a project's unresolved issues, read from their partial index."""
    unresolved = (
        SentryIssue.objects.filter(
            project=OuterRef("pk"), status=IssueStatus.UNRESOLVED, is_deleted=False
        )
        .order_by()
        .values("project")
        .annotate(figure=aggregate)
        .values("figure")
    )
    return Coalesce(Subquery(unresolved), 0, output_field=IntegerField())


def sentry_projects(*, organization: Organization) -> QuerySet[SentryProject]:
    """The organization's projects, without figures (to choose one from)."""
    return SentryProject.objects.filter(connection__organization=organization)


def sentry_project_list(*, organization: Organization) -> QuerySet[SentryProject]:
    """Projects with their product and live figures (one query, whatever the page size).

    The figures are computed per project shown, not by grouping every issue of the organization.
    """
    return (
        sentry_projects(organization=organization)
        .select_related("product", "product__owning_team", "connection")
        .annotate(
            unresolved_issues=_per_project(Count("*")),
            unresolved_events=_per_project(Sum("event_count")),
        )
    )


def sentry_issue_list(*, organization: Organization) -> QuerySet[SentryIssue]:
    return SentryIssue.objects.filter(
        connection__organization=organization, is_deleted=False
    ).select_related("project", "project__product", "connection")
