"""Open items now, kept in the transaction that observes the items, so pages read a few rows
instead of counting every open source row on each request. Two tables:

- ``OpenCount``: per organization, product, container (Sentry or tracker project), source and
  level/priority, with the events and users of the open ones (the product tree, page and stats,
  the Sentry project list, the health score);
- ``WorkloadCount``: open tickets and customer issues per organization, product, source and
  assignee (the teams' workload).

An observation withdraws what the items it locked counted before and adds what they count after;
whatever changed (opened, closed, moved to another product or level, reassigned, more events,
gone, new) is the difference, summed per key and written with one ``INSERT ... ON CONFLICT`` per
table and batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet, Sum

from switchyard.core.bulk import add_to_counters
from switchyard.insights.models import OpenCount, Source, TrackedItem, WorkloadCount

WORKLOAD_SOURCES = [Source.TICKET, Source.CUSTOMER]


class _Kept:
    """One table of open counts: its key and figures, and which open items it counts."""

    model: type
    key: list[str]
    figures: dict[str, Count | Sum]  # each figure as an aggregate over the items it counts
    counted = Q()

    def key_of(self, item: TrackedItem) -> tuple:
        return tuple(getattr(item, name) for name in self.key)

    def figures_of(self, item: TrackedItem) -> list[int]:
        raise NotImplementedError

    def counts(self, source: str) -> bool:
        return True

    def summed(self, items: QuerySet) -> QuerySet:
        """What these items (``TrackedItem`` rows) count, per key, summed by the database."""
        return (
            items.filter(self.counted, is_open=True)
            .values(*self.key)
            .annotate(**self.figures)
            .order_by()
        )


class _Open(_Kept):
    model = OpenCount
    key = ["organization_id", "product_key", "container_key", "source", "bucket"]
    figures = {"open": Count("*"), "events": Sum("events"), "users": Sum("users")}

    def figures_of(self, item):
        return [1, item.events, item.users]


class _Workload(_Kept):
    model = WorkloadCount
    key = ["organization_id", "product_key", "source", "assignee"]
    figures = {"open": Count("*")}
    counted = Q(source__in=WORKLOAD_SOURCES)

    def figures_of(self, item):
        return [1]

    def counts(self, source):
        return source in WORKLOAD_SOURCES


KEPT = [_Open(), _Workload()]


class Tally:
    """The change of the open counts over one observation."""

    def __init__(self) -> None:
        self.totals: list[dict[tuple, list[int]]] = [
            defaultdict(lambda kept=kept: [0] * len(kept.figures)) for kept in KEPT
        ]

    def _count(self, item: TrackedItem, sign: int) -> None:
        if not item.is_open:
            return
        for kept, totals in zip(KEPT, self.totals, strict=True):
            if kept.counts(item.source):
                row = totals[kept.key_of(item)]
                for position, value in enumerate(kept.figures_of(item)):
                    row[position] += sign * value

    def withdraw(self, items: Iterable[TrackedItem]) -> None:
        """What these items count as they are now (call before changing them)."""
        for item in items:
            self._count(item, -1)

    def add(self, items: Iterable[TrackedItem]) -> None:
        for item in items:
            self._count(item, 1)

    def add_stored(self, source: str, items: QuerySet) -> None:
        """What these items of ``source`` count as stored, summed by the database (a pull's new
        items)."""
        for kept, totals in zip(KEPT, self.totals, strict=True):
            if not kept.counts(source):
                continue
            for row in kept.summed(items):
                figures = totals[tuple(row[name] for name in kept.key)]
                for position, name in enumerate(kept.figures):
                    figures[position] += int(row[name])  # a numeric sum on PostgreSQL

    def apply(self) -> None:
        for kept, totals in zip(KEPT, self.totals, strict=True):
            rows = [(*key, *figures) for key, figures in sorted(totals.items()) if any(figures)]
            if not rows:
                continue
            # Sorted keys: two observations touching the same rows lock them in the same order.
            add_to_counters(kept.model, kept.key, list(kept.figures), rows)
            if any(figures[0] < 0 for figures in totals.values()):
                # A key left with nothing open goes, as a recomputation would not make it.
                kept.model.objects.filter(
                    organization_id__in={key[0] for key in totals},
                    **dict.fromkeys(kept.figures, 0),
                ).delete()


def recompute() -> int:
    """Every open count recomputed from the items."""
    made = 0
    for kept in KEPT:
        kept.model.objects.all().delete()
        rows = kept.summed(TrackedItem.objects.all())
        made += len(
            kept.model.objects.bulk_create([kept.model(**row) for row in rows], batch_size=2000)
        )
    return made
