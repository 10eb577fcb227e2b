"""Reads of Sentry projects and issues, scoped to an organization, with their figures."""

from __future__ import annotations

from django.db.models import QuerySet

from switchyard.accounts.models import Organization
from switchyard.monitoring.figures import project_figures
from switchyard.monitoring.models import SentryIssue, SentryProject


def sentry_projects(*, organization: Organization) -> QuerySet[SentryProject]:
    """The organization's projects, without figures (to choose one from)."""
    return SentryProject.objects.filter(connection__organization=organization)


def sentry_project_list(*, organization: Organization) -> QuerySet[SentryProject]:
    """Projects with their product and figures (one query, whatever the page size).

    The figures (``unresolved_issues``, ``unresolved_events``) are the ones registered in
    ``monitoring.figures``: insights, an installed app, keeps them per project as it observes the
    issues, so a page reads a few stored rows per project shown.
    """
    return (
        sentry_projects(organization=organization)
        .select_related("product", "product__owning_team", "connection")
        .annotate(**project_figures())
    )


def sentry_issue_list(*, organization: Organization) -> QuerySet[SentryIssue]:
    return SentryIssue.objects.filter(
        connection__organization=organization, is_deleted=False
    ).select_related("project", "project__product", "connection")
