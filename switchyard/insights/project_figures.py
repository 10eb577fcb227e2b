"""The figures of each Sentry project in its list, read from the stored open counts (the few rows
of the project, one per product and level) rather than counted from its unresolved issues."""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from switchyard.insights.models import OpenCount, Source


def _summed(figure: str) -> Coalesce:
    rows = (
        OpenCount.objects.filter(source=Source.SENTRY, container_key=OuterRef("pk"))
        .order_by()
        .values("container_key")
        .annotate(n=Sum(figure))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0, output_field=IntegerField())


def project_figures() -> dict:
    """Unresolved issues and their events per Sentry project, as subqueries over SentryProject."""
    return {"unresolved_issues": _summed("open"), "unresolved_events": _summed("events")}
