"""Open items now, per organization, product, container (Sentry or tracker project), source and
level/priority, with the events and users of the open ones: kept in the transaction that observes
the items, so the product tree, page and stats and the Sentry project list read a few rows instead
of counting every open source row on each request.

An observation withdraws what the items it locked counted before and adds what they count after;
whatever changed (opened, closed, moved to another product or level, more events, gone, new) is
the difference, summed per key and written with one ``INSERT ... ON CONFLICT`` per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Sum

from switchyard.core.bulk import add_to_counters
from switchyard.insights.facts import Fact
from switchyard.insights.models import OpenCount, TrackedItem

KEY = ["organization_id", "product_key", "container_key", "source", "bucket"]
FIGURES = ["open", "events", "users"]


def _key(item: TrackedItem | Fact, source: str) -> tuple:
    return (item.organization_id, item.product_key, item.container_key, source, item.bucket)


class Tally:
    """The change of open counts over one observation."""

    def __init__(self) -> None:
        self.totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

    def _count(self, key: tuple, item: TrackedItem | Fact, sign: int) -> None:
        if item.is_open:
            totals = self.totals[key]
            totals[0] += sign
            totals[1] += sign * item.events
            totals[2] += sign * item.users

    def withdraw(self, items: Iterable[TrackedItem]) -> None:
        """What these items count as they are now (call before changing them)."""
        for item in items:
            self._count(_key(item, item.source), item, -1)

    def add(self, items: Iterable[TrackedItem]) -> None:
        for item in items:
            self._count(_key(item, item.source), item, 1)

    def add_new(self, source: str, facts: Iterable[Fact]) -> None:
        """Items seen for the first time, counted from the facts they were inserted from."""
        for fact in facts:
            self._count(_key(fact, source), fact, 1)

    def apply(self) -> None:
        rows = [(*key, *totals) for key, totals in sorted(self.totals.items()) if any(totals)]
        if not rows:
            return
        # Sorted keys: two observations touching the same rows lock them in the same order.
        add_to_counters(OpenCount, KEY, FIGURES, rows)
        if any(totals[0] < 0 for totals in self.totals.values()):
            # A key left with nothing open goes, as a recomputation would not make it.
            organizations = {key[0] for key in self.totals}
            OpenCount.objects.filter(
                organization_id__in=organizations, open=0, events=0, users=0
            ).delete()


def recompute() -> int:
    """Every open count recomputed from the items."""
    OpenCount.objects.all().delete()
    rows = (
        TrackedItem.objects.filter(is_open=True)
        .values(*KEY)
        .annotate(open=Count("*"), events=Sum("events"), users=Sum("users"))
        .order_by()
    )
    return len(OpenCount.objects.bulk_create([OpenCount(**row) for row in rows], batch_size=2000))
