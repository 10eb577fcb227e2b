"""Every write of insights: items observed, tickets made from Sentry issues, rebuilds.

An observation compares what a source row says now with what insights last counted for it
(``TrackedItem``) and records the difference as transitions, added to the daily rollups in the
same transaction. Whatever event announced the change, the answer is read from the source rows,
so a repeated or late event changes nothing, and a rebuild finds what no event announced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.core.bulk import insert_rows, insert_rows_returning_ids
from switchyard.insights import open_counts, rollups, spans
from switchyard.insights.facts import Fact, all_ids, facts
from switchyard.insights.health import health_scores
from switchyard.insights.models import HealthSnapshot, Kind, Source, TrackedItem, Transition
from switchyard.insights.transitions import (
    FirstSight,
    Row,
    day_of,
    first_sight,
    resolution,
    transition,
)
from switchyard.monitoring.models import SentryIssue
from switchyard.products.models import Product
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import Ticket, TicketLink

CHUNK = 1000
FOLLOWED = [
    "product_key",
    "container_key",
    "bucket",
    "is_open",
    "closed_at",
    "events",
    "users",
    "assignee",
]
TICKET_KIND = {
    TicketLink.CreatedVia.MANUAL: Kind.TICKET_MANUAL,
    TicketLink.CreatedVia.BULK: Kind.TICKET_BULK,
    TicketLink.CreatedVia.RULE: Kind.TICKET_RULE,
}


ITEM_COLUMNS = [
    "organization_id",
    "source",
    "item_id",
    "product_key",
    "container_key",
    "bucket",
    "is_open",
    "opened_at",
    "closed_at",
    "events",
    "users",
    "assignee",
    "first_closed_at",
    "first_events",
    "observed_on",
]


def _first_sight(source: str, unseen: dict[int, Fact], now: datetime) -> list[Row]:
    """Items seen for the first time, inserted from their values; what their first sight
    counts (kept on the items, not stored as transitions)."""
    today = day_of(now)
    closed = [None if fact.is_open else (fact.closed_at or now) for fact in unseen.values()]
    values = [
        (
            fact.organization_id,
            source,
            item_id,
            fact.product_key,
            fact.container_key,
            fact.bucket,
            fact.is_open,
            fact.opened_at,
            closed_at,
            fact.events,
            fact.users,
            fact.assignee,
            closed_at,
            fact.events,
            today,
        )
        for (item_id, fact), closed_at in zip(unseen.items(), closed, strict=True)
    ]
    pks = insert_rows_returning_ids(TrackedItem, ITEM_COLUMNS, values)
    return [
        row
        for pk, fact, closed_at in zip(pks, unseen.values(), closed, strict=True)
        for row in first_sight(
            FirstSight(
                pk,
                fact.organization_id,
                fact.product_key,
                source,
                fact.bucket,
                fact.opened_at,
                closed_at,
                fact.events,
                today,
            )
        )
    ]


Moving = dict[int, tuple[TrackedItem, list[Row]]]


def _follow(item: TrackedItem, fact: Fact, now: datetime, moving: Moving) -> list[Row]:
    """Transitions from what ``item`` counted to ``fact``; a moved item goes into ``moving``,
    with what its first sight counted where it was."""
    added = []
    if (item.product_key, item.bucket) != (fact.product_key, fact.bucket):
        moving[item.pk] = (item, first_sight(item))
        item.product_key, item.bucket = fact.product_key, fact.bucket
    if item.is_open and not fact.is_open:
        item.closed_at = fact.closed_at or now
        added.append(resolution(item, item.closed_at))
    elif fact.is_open and not item.is_open:
        item.closed_at = None
        added.append(transition(item, Kind.REOPENED, day_of(now)))
    if fact.events > item.events:
        added.append(transition(item, Kind.EVENTS, day_of(now), amount=fact.events - item.events))
    item.is_open, item.container_key = fact.is_open, fact.container_key
    item.events, item.users, item.assignee = fact.events, fact.users, fact.assignee
    return added


def _refile(moving: Moving, change: rollups.Change) -> list[Transition | Row]:
    """Moved items' history withdrawn (into ``change``) from the rows it was counted in and
    re-filed under their new product and bucket (one update per destination); returns it, to be
    added there."""
    if not moving:
        return []
    history = list(Transition.objects.filter(item_id__any=list(moving)))
    change.add(history, -1)
    for _, counted in moving.values():
        change.add(counted, -1)
    destinations: dict[tuple, list[int]] = defaultdict(list)
    for item, _ in moving.values():
        destinations[(item.product_key, item.bucket)].append(item.pk)
    for (product_key, bucket), item_ids in sorted(destinations.items()):
        Transition.objects.filter(item_id__any=item_ids).update(
            product_key=product_key, bucket=bucket
        )
    for t in history:
        item, _ = moving[t.item_id]
        t.product_key, t.bucket = item.product_key, item.bucket
    return history + [row for item, _ in moving.values() for row in first_sight(item)]


def items_observe(
    *, source: str, ids: Iterable[int], now: datetime | None = None, rebuilding: bool = False
) -> int:
    """Count what changed in these items since they were last observed; returns transitions.

    ``rebuilding`` leaves the resolution spans and the daily totals to the rebuild, which
    recomputes them all once at the end."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    now = now or timezone.now()
    found = facts(source, ids)
    with transaction.atomic():
        items = {
            item.item_id: item
            for item in TrackedItem.objects.select_for_update()
            .filter(source=source, item_id__any=ids)
            .order_by("item_id")
        }
        counts = open_counts.Tally()
        counts.withdraw(items.values())
        added: list[Row] = []
        moving: Moving = {}
        gone = [item for item_id, item in items.items() if item_id not in found]
        spanned = [item.item_id for item in gone]
        withdrawn = list(Transition.objects.filter(item_id__any=[item.pk for item in gone]))
        withdrawn += [row for item in gone for row in first_sight(item)]
        changed = []
        for item_id, fact in found.items():
            if item := items.get(item_id):
                before = [getattr(item, name) for name in FOLLOWED]
                added += _follow(item, fact, now, moving)
                after = [getattr(item, name) for name in FOLLOWED]
                if after != before:
                    changed.append(item)
                if (after[0], after[4]) != (before[0], before[4]):  # product, closed_at
                    spanned.append(item_id)
        TrackedItem.objects.bulk_update(changed, FOLLOWED, batch_size=500)
        change = rollups.Change(with_totals=not rebuilding)
        moved = _refile(moving, change)
        unseen = {item_id: fact for item_id, fact in found.items() if item_id not in items}
        first = _first_sight(source, unseen, now)
        insert_rows(Transition, Row._fields, added)
        change.add(withdrawn, -1)
        TrackedItem.objects.filter(pk__any=[item.pk for item in gone]).delete()
        change.add(added + moved + first, 1)
        change.write()
        counts.add(item for item in items.values() if item.item_id in found)
        counts.add_new(source, unseen.values())
        counts.apply()
        if not rebuilding:
            spans.refresh(source=source, item_ids=spanned + list(unseen))
    return len(added) + len(first) + len(withdrawn)


def link_observe(*, link_id: int) -> bool:
    """A link's ticket exists: count it as made from a Sentry issue (by hand, in bulk, by rule)."""
    link = TicketLink.objects.filter(pk=link_id, ticket__isnull=False).first()
    if link is None:
        return False
    items_observe(source=Source.TICKET, ids=[link.ticket_id])
    if link.source_type_id == ContentType.objects.get_for_model(CustomerIssue).pk:
        items_observe(source=Source.CUSTOMER, ids=[link.source_id])
        return False
    with transaction.atomic():
        spans.refresh_link(link_id=link.pk)
    kind = TICKET_KIND.get(link.created_via)
    if kind is None or link.source_type_id != ContentType.objects.get_for_model(SentryIssue).pk:
        return False
    with transaction.atomic():
        item = (
            TrackedItem.objects.select_for_update()
            .filter(source=Source.TICKET, item_id=link.ticket_id)
            .first()
        )
        if item is None or item.transitions.filter(kind__in=TICKET_KIND.values()).exists():
            return False
        made = transition(item, kind, day_of(link.created_at))
        insert_rows(Transition, Row._fields, [made])
        rollups.apply([made], 1)
    return True


def mapping_changed(*, mappable: str, ids: Iterable[int]) -> int:
    """Projects mapped to another product: their items' history moves with them."""
    ids = list(ids)
    if mappable == "sentry-projects":
        items = {Source.SENTRY: SentryIssue.objects.filter(project_id__in=ids)}
    elif mappable == "tracker-projects":
        items = {
            Source.TICKET: Ticket.objects.filter(tracker_project_id__in=ids),
            Source.CUSTOMER: TicketLink.objects.filter(
                tracker_project_id__in=ids,
                source_type=ContentType.objects.get_for_model(CustomerIssue),
            ).values_list("source_id", flat=True),
        }
    else:
        return 0
    total = 0
    for source, queryset in items.items():
        if source != Source.CUSTOMER:
            queryset = queryset.values_list("pk", flat=True)
        for chunk in _chunks(queryset.order_by().iterator(chunk_size=CHUNK)):
            total += items_observe(source=source, ids=chunk)
    return total


def insights_rebuild(*, since: date | None = None) -> dict:
    """Observe every source row (and every counted item gone since), then recompute the rollups
    from ``since`` on from the transitions."""
    observed = 0
    for source in Source.values:
        tracked = set(TrackedItem.objects.filter(source=source).values_list("item_id", flat=True))
        for chunk in _chunks(all_ids(source).iterator(chunk_size=CHUNK)):
            tracked.difference_update(chunk)
            observed += items_observe(source=source, ids=chunk, rebuilding=True)
        for chunk in _chunks(iter(sorted(tracked))):
            observed += items_observe(source=source, ids=chunk, rebuilding=True)
    with transaction.atomic():
        rows = rollups.recompute(since=since)
        open_counts.recompute()
        spans.recompute()
    return {"transitions": observed, "rollups": rows}


def _chunks(ids) -> Iterable[list[int]]:
    while chunk := list(islice(ids, CHUNK)):
        yield chunk


def _organizations_without_health(today: date):
    done = HealthSnapshot.objects.filter(day=today).values("organization_id")
    return Organization.objects.filter(products__isnull=False).exclude(pk__in=done).distinct()


def health_due() -> bool:
    """Whether some organization's health for today is yet to be recorded."""
    return _organizations_without_health(day_of(timezone.now())).exists()


def health_record(*, today: date | None = None) -> int:
    """Record today's health score of every product of every organization not yet recorded
    today; returns how many were recorded."""
    today = today or day_of(timezone.now())
    recorded = 0
    for organization in _organizations_without_health(today):
        products = list(Product.objects.filter(organization=organization))
        scores = health_scores(organization=organization, products=products)
        snapshots = [
            HealthSnapshot(
                organization=organization,
                product=product,
                day=today,
                score=scores[product.pk]["score"],
                parts=scores[product.pk]["parts"],
            )
            for product in products
        ]
        recorded += len(HealthSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True))
    return recorded
