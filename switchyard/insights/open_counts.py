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

from django.db.models import Count, Q, Sum

from switchyard.core.bulk import add_to_counters
from switchyard.insights.facts import Fact
from switchyard.insights.models import OpenCount, Source, TrackedItem, WorkloadCount

WORKLOAD_SOURCES = [Source.TICKET, Source.CUSTOMER]


class _Kept:
    """One table of open counts: its key and figures, and which open items it counts."""

    model: type
    key: list[str]
    figures: dict[str, Count | Sum]  # each figure as an aggregate over the items it counts
    counted = Q()

    def key_of(self, item: TrackedItem | Fact, source: str) -> tuple:
        return tuple(source if name == "source" else getattr(item, name) for name in self.key)

    def figures_of(self, item: TrackedItem | Fact) -> list[int]:
        raise NotImplementedError

    def counts(self, source: str) -> bool:
        return True


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

    def _count(self, item: TrackedItem | Fact, source: str, sign: int) -> None:
        if not item.is_open:
            return
        for kept, totals in zip(KEPT, self.totals, strict=True):
            if kept.counts(source):
                row = totals[kept.key_of(item, source)]
                for position, value in enumerate(kept.figures_of(item)):
                    row[position] += sign * value

    def withdraw(self, items: Iterable[TrackedItem]) -> None:
        """What these items count as they are now (call before changing them)."""
        for item in items:
            self._count(item, item.source, -1)

    def add(self, items: Iterable[TrackedItem]) -> None:
        for item in items:
            self._count(item, item.source, 1)

    def add_new(self, source: str, facts: Iterable[Fact]) -> None:
        """Items seen for the first time, counted from the facts they were inserted from."""
        for fact in facts:
            self._count(fact, source, 1)

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
        rows = (
            TrackedItem.objects.filter(kept.counted, is_open=True)
            .values(*kept.key)
            .annotate(**kept.figures)
            .order_by()
        )
        made += len(
            kept.model.objects.bulk_create([kept.model(**row) for row in rows], batch_size=2000)
        )
    return made
