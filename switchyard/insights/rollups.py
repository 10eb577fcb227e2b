"""Daily rollups as the sum of transitions: incremented one key at a time, or recomputed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Q, Sum

from switchyard.core.bulk import add_to_counters
from switchyard.insights.models import DailyRollup, Kind, Transition

COUNTERS = [
    "new",
    "resolved",
    "reopened",
    "open_change",
    "events",
    "tickets_manual",
    "tickets_bulk",
    "tickets_rule",
    "resolve_seconds",
]
ROWS_PER_STATEMENT = 500  # 7,000 parameters: under SQLite's limit
KEY = ["organization_id", "product_key", "source", "bucket", "day"]
COLUMN = {
    Kind.NEW: "new",
    Kind.RESOLVED: "resolved",
    Kind.REOPENED: "reopened",
    Kind.EVENTS: "events",
    Kind.TICKET_MANUAL: "tickets_manual",
    Kind.TICKET_BULK: "tickets_bulk",
    Kind.TICKET_RULE: "tickets_rule",
}
OPEN_CHANGE = {Kind.NEW: 1, Kind.RESOLVED: -1, Kind.REOPENED: 1}


def _key(t: Transition) -> tuple:
    return (t.organization_id, t.product_key, t.source, t.bucket, t.day)


def apply(transitions: Iterable[Transition], sign: int) -> None:
    """Add (sign 1) or withdraw (sign -1) transitions from their rollup rows, one upsert."""
    totals: dict[tuple, Counter] = defaultdict(Counter)
    for t in transitions:
        counts = totals[_key(t)]
        counts[COLUMN[t.kind]] += sign * t.amount
        counts["open_change"] += sign * OPEN_CHANGE.get(t.kind, 0)
        counts["resolve_seconds"] += sign * (t.seconds or 0)
    if not totals:
        return
    # Sorted keys: two workers touching the same rows lock them in the same order.
    rows = [(*key, *(totals[key][c] for c in COUNTERS)) for key in sorted(totals)]
    add_to_counters(DailyRollup, KEY, COUNTERS, rows)
    if sign < 0:
        _drop_empty(totals)


def _drop_empty(keys) -> None:
    """Rows whose every counter came back to zero go, as a recomputation would not make them."""
    keys = sorted(keys)
    for start in range(0, len(keys), ROWS_PER_STATEMENT):
        match = Q()
        for organization_id, product_key, source, bucket, day in keys[
            start : start + ROWS_PER_STATEMENT
        ]:
            match |= Q(
                organization_id=organization_id,
                product_key=product_key,
                source=source,
                bucket=bucket,
                day=day,
            )
        DailyRollup.objects.filter(match, **{c: 0 for c in COUNTERS}).delete()


def recompute(*, since: date | None = None) -> int:
    """Rollups from ``since`` on (all when None) recomputed from the transitions."""
    old = DailyRollup.objects.all()
    transitions = Transition.objects.all()
    if since is not None:
        old = old.filter(day__gte=since)
        transitions = transitions.filter(day__gte=since)
    old.delete()
    sums = {
        column: Sum("amount", filter=Q(kind=kind), default=0) for kind, column in COLUMN.items()
    }
    opened = Q(kind__in=[Kind.NEW, Kind.REOPENED])
    sums["open_change"] = Count("pk", filter=opened) - Count("pk", filter=Q(kind=Kind.RESOLVED))
    sums["resolve_seconds"] = Sum("seconds", default=0)
    rows = [
        DailyRollup(**row)
        for row in transitions.values(*KEY).annotate(**sums).order_by().iterator(chunk_size=2000)
    ]
    DailyRollup.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
