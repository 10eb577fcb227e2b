"""The product health score, 0 to 100, and the parts it is made of.

Each product's own items give five penalties, each capped, subtracted from 100:

- ``sentry``: unresolved Sentry issues weighted by level (fatal 10, error 5, warning 2, others 1),
  each issue's weight times (1 + users affected / 100); penalty = min(40, weighted / 2).
- ``regressions``: Sentry issues reopened in the last 7 days; penalty = min(15, 3 per issue).
- ``customer``: open customer issues, urgent and high; penalty = min(20, 5 per urgent + 2 per high).
- ``overdue``: open tickets older than their priority allows (urgent 2 days, high 7, medium 30,
  low and none 90); penalty = min(15, 2 per ticket).
- ``trend``: new minus resolved over the last 7 days, every source; penalty = min(10, max(0, net)).

A product with sub-products scores the average of its own score (when it has open Sentry issues,
open urgent or high customer issues, overdue tickets or any change in the last 7 days of its own)
and its children's scores, weighted by priority (critical 4, high 3, medium 2, low 1). Every figure is
read from insights' own records, never from the source tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from switchyard.insights.models import DailyTotal, OpenCount, Source, TrackedItem
from switchyard.products.models import Product

LEVEL_WEIGHT = {"fatal": 10, "error": 5, "warning": 2}
PRIORITY_WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}
OVERDUE_DAYS = {"urgent": 2, "high": 7, "medium": 30, "low": 90, "none": 90}
CAPS = {"sentry": 40, "regressions": 15, "customer": 20, "overdue": 15, "trend": 10}


@dataclass
class Parts:
    weighted_unresolved: float = 0.0
    unresolved: int = 0
    regressions_7d: int = 0
    urgent_customer: int = 0
    high_customer: int = 0
    overdue_tickets: int = 0
    net_new_7d: int = 0
    active: bool = False  # any figure of its own in the last 7 days
    penalties: dict = field(default_factory=dict)

    def score(self) -> int:
        self.penalties = {
            "sentry": min(CAPS["sentry"], self.weighted_unresolved / 2),
            "regressions": min(CAPS["regressions"], 3 * self.regressions_7d),
            "customer": min(CAPS["customer"], 5 * self.urgent_customer + 2 * self.high_customer),
            "overdue": min(CAPS["overdue"], 2 * self.overdue_tickets),
            "trend": min(CAPS["trend"], max(0, self.net_new_7d)),
        }
        return round(100 - sum(self.penalties.values()))


def _own_parts(organization, product_keys: list[int]) -> dict[int, Parts]:
    """Parts of each product's own items, in four grouped queries."""
    parts: dict[int, Parts] = defaultdict(Parts)
    now = timezone.now()
    counts = OpenCount.objects.filter(
        organization=organization, product_key__in=product_keys, open__gt=0
    )
    sentry = counts.filter(source=Source.SENTRY).values_list("product_key", "bucket")
    for key, level, n, users in sentry.annotate(Sum("open"), Sum("users")).order_by():
        parts[key].unresolved += n
        parts[key].active = True
        parts[key].weighted_unresolved += LEVEL_WEIGHT.get(level, 1) * (n + users / 100)
    for key, priority, n in counts.filter(
        source=Source.CUSTOMER, bucket__in=["urgent", "high"]
    ).values_list("product_key", "bucket", "open"):
        setattr(parts[key], f"{priority}_customer", n)
        parts[key].active = True
    for key, n in _overdue_tickets(organization, product_keys, now).items():
        parts[key].overdue_tickets = n
        parts[key].active = True
    week = DailyTotal.objects.filter(
        organization=organization,
        whole=False,
        product_key__in=product_keys,
        day__gt=(now - timedelta(days=7)).date(),
    )
    for key, regressions, new, resolved in (
        week.values_list("product_key")
        .annotate(
            regressions=Sum("reopened", filter=Q(source=Source.SENTRY), default=0),
            new=Sum("new"),
            resolved=Sum("resolved"),
        )
        .order_by()
    ):
        parts[key].active = True
        parts[key].regressions_7d = regressions
        parts[key].net_new_7d = new - resolved
    return parts


def _overdue_tickets(organization, product_keys: list[int], now) -> dict[int, int]:
    """Open tickets older than their priority allows, per product: one range of the partial index
    ``tracked_item_open_tickets`` per priority, read index-only (no item row is visited)."""
    open_tickets = TrackedItem.objects.filter(
        organization=organization, source=Source.TICKET, is_open=True, product_key__in=product_keys
    )
    ranges = [
        open_tickets.filter(bucket=priority, opened_at__lt=now - timedelta(days=days))
        .values_list("product_key")
        .annotate(n=Count("*"))
        .order_by()
        for priority, days in OVERDUE_DAYS.items()
    ]
    counts: dict[int, int] = defaultdict(int)
    for key, n in ranges[0].union(*ranges[1:], all=True):
        counts[key] += n
    return counts


def health_scores(*, organization, products: list[Product]) -> dict[int, dict]:
    """Score and parts of each product, parents combining their sub-products (``products`` must
    hold whole subtrees)."""
    own = _own_parts(organization, [p.pk for p in products])
    children: dict[int, list[Product]] = defaultdict(list)
    by_path = {p.path: p for p in products}
    for product in products:
        parent = by_path.get(product.path[: -Product.steplen])
        if parent is not None:
            children[parent.pk].append(product)
    result: dict[int, dict] = {}
    for product in sorted(products, key=lambda p: -len(p.path)):  # leaves first
        parts = own[product.pk]
        own_score = parts.score()
        weighted = [
            (PRIORITY_WEIGHT.get(child.priority, 2), result[child.pk]["score"])
            for child in children[product.pk]
        ]
        if parts.active or not weighted:
            weighted.append((PRIORITY_WEIGHT.get(product.priority, 2), own_score))
        total = sum(w for w, _ in weighted)
        result[product.pk] = {
            "score": round(sum(w * s for w, s in weighted) / total),
            "own_score": own_score,
            "parts": {
                "weighted_unresolved": round(parts.weighted_unresolved, 1),
                "unresolved": parts.unresolved,
                "regressions_7d": parts.regressions_7d,
                "urgent_customer": parts.urgent_customer,
                "high_customer": parts.high_customer,
                "overdue_tickets": parts.overdue_tickets,
                "net_new_7d": parts.net_new_7d,
            },
            "penalties": {k: round(v, 1) for k, v in parts.penalties.items()},
            "children": [
                {"product": child.pk, "weight": PRIORITY_WEIGHT.get(child.priority, 2)}
                for child in children[product.pk]
            ],
        }
    return result
