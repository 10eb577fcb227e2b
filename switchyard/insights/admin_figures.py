"""The product admin's figures, read from insights' records (the same ones the dashboards use):
a product's own items, not its sub-products'; what is open now from the stored open counts."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from switchyard.insights.models import DailyTotal, OpenCount, Source


def _scalar(queryset, aggregate) -> Coalesce:
    value = queryset.order_by().values("product_key").annotate(n=aggregate).values("n")
    return Coalesce(Subquery(value), 0, output_field=IntegerField())


def product_figures() -> dict:
    """Unresolved Sentry issues and their events, open tickets, tickets new in the last 7 days and
    those automation rules made, per product, as subqueries over Product."""
    open_items = OpenCount.objects.filter(product_key=OuterRef("pk"))
    week = DailyTotal.objects.filter(
        whole=False,
        product_key=OuterRef("pk"),
        source=Source.TICKET,
        day__gt=timezone.now().date() - timedelta(days=7),
    )
    sentry = open_items.filter(source=Source.SENTRY)
    return {
        "unresolved issues": _scalar(sentry, Sum("open")),
        "events": _scalar(sentry, Sum("events")),
        "open tickets": _scalar(open_items.filter(source=Source.TICKET), Sum("open")),
        "new this week": _scalar(week, Sum("new")),
        "auto-created this week": _scalar(week, Sum("tickets_rule")),
    }
