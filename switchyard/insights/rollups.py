"""Daily rollups as the sum of transitions (stored, and the items' first sights): incremented one
key at a time, or recomputed.

Each transition counts in its daily row (organization, product, source, level/priority, day) and in
two daily totals (``DailyTotal``): its product's, every level/priority together, and the
organization's as a whole. The three are added in the same statements' transaction, withdrawn by
the same calls and recomputed together."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from switchyard.core.bulk import add_to_counters
from switchyard.insights.models import DailyRollup, DailyTotal, Kind, TrackedItem, Transition
from switchyard.insights.transitions import ResolveSeconds

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
TOTAL_KEY = ["organization_id", "whole", "product_key", "source", "day"]
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


def _totals(totals: dict[tuple, Counter]) -> dict[tuple, Counter]:
    """The daily rows' changes summed per product and per organization (``TOTAL_KEY``)."""
    summed: dict[tuple, Counter] = defaultdict(Counter)
    for (organization_id, product_key, source, _bucket, day), counts in totals.items():
        summed[(organization_id, False, product_key, source, day)].update(counts)
        summed[(organization_id, True, 0, source, day)].update(counts)
    return summed


class Change:
    """Transitions added and withdrawn over one observation, summed per key and written at once:
    every row it touches is locked in one sorted order (the daily rows, then the totals), so two
    observations cannot deadlock, and what a move withdraws from the organization's total and adds
    back nets out before anything is written."""

    def __init__(self, *, with_totals: bool = True) -> None:
        self.totals: dict[tuple, Counter] = defaultdict(Counter)
        self.with_totals = with_totals

    def add(self, transitions: Iterable[Transition], sign: int) -> None:
        """Count (sign 1) or withdraw (sign -1) transitions as their keys are now."""
        for t in transitions:
            counts = self.totals[_key(t)]
            counts[COLUMN[t.kind]] += sign * t.amount
            counts["open_change"] += sign * OPEN_CHANGE.get(t.kind, 0)
            counts["resolve_seconds"] += sign * (t.seconds or 0)

    def add_first_sights(self, items: QuerySet, sign: int, since: date | None = None) -> int:
        """Count (sign 1) or withdraw (sign -1) the first sights of these items as they are
        stored now (from ``since`` on), summed by the database; returns how many transitions
        they stand for."""
        counted = 0
        for key, counts, transitions in first_sights(items, since):
            self.totals[key].update({column: sign * n for column, n in counts.items()})
            counted += transitions
        return counted

    def write(self) -> None:
        written = [(DailyRollup, KEY, self.totals)]
        if self.with_totals:
            written.append((DailyTotal, TOTAL_KEY, _totals(self.totals)))
        for model, key, changes in written:
            rows = [(*k, *(changes[k][c] for c in COUNTERS)) for k in sorted(changes)]
            rows = [row for row in rows if any(row[len(key) :])]
            if rows:
                add_to_counters(model, key, COUNTERS, rows)
            # Only a row something was taken from can have come back to zero (a resolution's
            # negative open change takes nothing: its row counts the resolution).
            emptied = [
                row[: len(key)]
                for row in rows
                if any(
                    value < 0
                    for column, value in zip(COUNTERS, row[len(key) :], strict=True)
                    if column != "open_change"
                )
            ]
            if emptied:
                _drop_empty(model, key, emptied)


def apply(transitions: Iterable[Transition], sign: int) -> None:
    """Add (sign 1) or withdraw (sign -1) transitions from their rollup rows and daily totals."""
    change = Change()
    change.add(transitions, sign)
    change.write()


def _drop_empty(model, key: list[str], keys: list[tuple]) -> None:
    """Rows whose every counter came back to zero go, as a recomputation would not make them."""
    for start in range(0, len(keys), ROWS_PER_STATEMENT):
        match = Q()
        for values in keys[start : start + ROWS_PER_STATEMENT]:
            match |= Q(**dict(zip(key, values, strict=True)))
        model.objects.filter(match, **{c: 0 for c in COUNTERS}).delete()


def recompute(*, since: date | None = None) -> int:
    """Rollups from ``since`` on (all when None) recomputed from the transitions and the items'
    first sights, then every day's totals from the rollups; returns the rollup rows written."""
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
    summed = Change()
    summed.add_first_sights(TrackedItem.objects.all(), 1, since)
    for row in transitions.values(*KEY).annotate(**sums).order_by().iterator(chunk_size=2000):
        summed.totals[tuple(row[name] for name in KEY)].update(
            {column: row[column] for column in COUNTERS}
        )
    rows = [
        DailyRollup(**dict(zip(KEY, key, strict=True)), **counts)
        for key, counts in summed.totals.items()
        if any(counts.values())
    ]
    DailyRollup.objects.bulk_create(rows, batch_size=2000)
    # Every day's: a rebuild's observations count only the daily rows, whatever day their
    # transitions fall on (``Change(with_totals=False)``).
    _recompute_totals()
    return len(rows)


def first_sights(items: QuerySet, since: date | None = None) -> Iterable[tuple]:
    """What the first sights of ``items`` (``TrackedItem`` rows) count from ``since`` on, per
    daily row: (key, counters, transitions counted). An item's first sight is new on the UTC day
    it opened; resolved on the day of its ``first_closed_at``, with the seconds ``resolution``
    counts; its ``first_events`` on the day it was first observed. One grouped query (by the
    three days), each group then counted on its days."""
    groups = items.values(
        *KEY[:-1],
        opened=TruncDate("opened_at", tzinfo=UTC),
        closed=TruncDate("first_closed_at", tzinfo=UTC),
        observed=F("observed_on"),
    ).annotate(
        items=Count("pk"),
        seconds=Sum(ResolveSeconds("first_closed_at", "opened_at")),
        events=Sum("first_events"),
        with_events=Count("pk", filter=Q(first_events__gt=0)),
    )
    for group in groups.order_by():
        key = tuple(group[name] for name in KEY[:-1])
        n = group["items"]
        counted = [(group["opened"], {"new": n, "open_change": n}, n)]
        if group["closed"] is not None:
            # int(): PostgreSQL's sum of bigints is a numeric.
            resolved = {"resolved": n, "open_change": -n, "resolve_seconds": int(group["seconds"])}
            counted.append((group["closed"], resolved, n))
        if group["with_events"]:
            events = {"events": int(group["events"])}
            counted.append((group["observed"], events, group["with_events"]))
        for day, counters, transitions in counted:
            if since is None or day >= since:
                yield (*key, day), Counter(counters), transitions


def _recompute_totals() -> None:
    """Daily totals summed from the (just recomputed) daily rows."""
    daily = DailyRollup.objects.all()
    DailyTotal.objects.all().delete()
    sums = {c: Sum(c) for c in COUNTERS}
    per_product = daily.values("organization_id", "product_key", "source", "day")
    whole = daily.values("organization_id", "source", "day")
    rows = [
        DailyTotal(whole=False, **row)
        for row in per_product.annotate(**sums).order_by().iterator(chunk_size=2000)
    ]
    rows += [
        DailyTotal(whole=True, product_key=0, **row)
        for row in whole.annotate(**sums).order_by().iterator(chunk_size=2000)
    ]
    DailyTotal.objects.bulk_create(rows, batch_size=2000)
