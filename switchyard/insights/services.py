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
from django.db.models import Case, DateField, DateTimeField, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.core.bulk import insert_rows, insert_selected
from switchyard.insights import facts, open_counts, rollups, spans
from switchyard.insights.facts import Fact
from switchyard.insights.health import health_scores
from switchyard.insights.models import HealthSnapshot, Kind, Source, TrackedItem, Transition
from switchyard.insights.transitions import Row, day_of, resolution, transition
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


def items_first_seen(*, source: str, rows: QuerySet, now: datetime) -> list[tuple[int, int]]:
    """Source rows (of ``facts.live(source)``) no item tracks yet, inserted as tracked items
    straight from their facts (one ``INSERT ... SELECT``, no row through Python): first observed
    ``now``, their first sight kept on them. Counts nothing (``items_observe`` does, and a bulk
    fill recomputes); returns their keys and item ids."""
    fact = facts.columns(source)
    closed = Case(
        When(fact["is_open"], then=None),
        default=Coalesce(fact["closed_at"], Value(now)),
        output_field=DateTimeField(),
    )
    inserted = {
        "organization_id": fact["organization_id"],
        "source": Value(source),
        "item_id": F("pk"),
        "product_key": fact["product_key"],
        "container_key": fact["container_key"],
        "bucket": fact["bucket"],
        "is_open": fact["is_open"],
        "opened_at": fact["opened_at"],
        "closed_at": closed,
        "events": fact["events"],
        "users": fact["users"],
        "assignee": fact["assignee"],
        "first_closed_at": closed,
        "first_events": fact["events"],
        "observed_on": Value(day_of(now), output_field=DateField()),
    }
    return insert_selected(
        TrackedItem, list(inserted), rows.values_list(*inserted.values()), ["id", "item_id"]
    )


Moving = dict[int, TrackedItem]


def _follow(item: TrackedItem, fact: Fact, now: datetime, moving: Moving) -> list[Row]:
    """Transitions from what ``item`` counted to ``fact``; a moved item goes into ``moving``."""
    added = []
    if (item.product_key, item.bucket) != (fact.product_key, fact.bucket):
        moving[item.pk] = item
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


def _refile(moving: Moving, change: rollups.Change) -> list[Transition]:
    """Moved items' stored history withdrawn (into ``change``) from the rows it was counted in and
    re-filed under their new product and bucket (one update per destination); returns it, to be
    added there. Their first sights move with the items themselves."""
    if not moving:
        return []
    history = list(Transition.objects.filter(item_id__any=list(moving)))
    change.add(history, -1)
    destinations: dict[tuple, list[int]] = defaultdict(list)
    for item in moving.values():
        destinations[(item.product_key, item.bucket)].append(item.pk)
    for (product_key, bucket), item_ids in sorted(destinations.items()):
        Transition.objects.filter(item_id__any=item_ids).update(
            product_key=product_key, bucket=bucket
        )
    for t in history:
        item = moving[t.item_id]
        t.product_key, t.bucket = item.product_key, item.bucket
    return history


def _observe_tracked(
    source: str,
    items: dict[int, TrackedItem],
    now: datetime,
    change: rollups.Change,
    counts: open_counts.Tally,
) -> tuple[int, list[int]]:
    """What changed in these tracked items (locked, by item id) since they were counted: followed
    to their facts, moved, or gone; counted into ``change`` and ``counts``. Returns how many
    transitions were added or withdrawn and the item ids whose resolution spans change."""
    if not items:
        return 0, []
    found = facts.facts(source, list(items))
    counts.withdraw(items.values())
    gone = [item.pk for item_id, item in items.items() if item_id not in found]
    spanned = [item_id for item_id in items if item_id not in found]
    added: list[Row] = []
    moving: Moving = {}
    changed = []
    for item_id, fact in found.items():
        item = items[item_id]
        before = [getattr(item, name) for name in FOLLOWED]
        added += _follow(item, fact, now, moving)
        after = [getattr(item, name) for name in FOLLOWED]
        if after != before:
            changed.append(item)
        if (after[0], after[4]) != (before[0], before[4]):  # product, closed_at
            spanned.append(item_id)
    withdrawn = list(Transition.objects.filter(item_id__any=gone))
    counted = len(added) + len(withdrawn)
    # First sights counted as stored before the moved and gone items change, then after.
    refiled = TrackedItem.objects.filter(pk__any=list(moving))
    if moving:
        change.add_first_sights(refiled, -1)
    if gone:
        counted += change.add_first_sights(TrackedItem.objects.filter(pk__any=gone), -1)
    TrackedItem.objects.bulk_update(changed, FOLLOWED, batch_size=500)
    if moving:
        change.add_first_sights(refiled, 1)
    moved = _refile(moving, change)
    insert_rows(Transition, Row._fields, added)
    change.add(withdrawn, -1)
    TrackedItem.objects.filter(pk__any=gone).delete()
    change.add(added + moved, 1)
    counts.add(item for item in items.values() if item.item_id in found)
    return counted, spanned


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
    with transaction.atomic():
        items = {
            item.item_id: item
            for item in TrackedItem.objects.select_for_update()
            .filter(source=source, item_id__any=ids)
            .order_by("item_id")
        }
        change = rollups.Change(with_totals=not rebuilding)
        counts = open_counts.Tally()
        counted, spanned = _observe_tracked(source, items, now, change, counts)
        unseen = [item_id for item_id in ids if item_id not in items]
        first_seen = []
        if unseen:
            first_seen = items_first_seen(
                source=source, rows=facts.live(source).filter(pk__any=unseen), now=now
            )
        if first_seen:
            # By key: the primary key's index, whatever the table's statistics say (a table a
            # first pull is filling has none to speak of yet).
            new = TrackedItem.objects.filter(pk__any=[pk for pk, _ in first_seen])
            counted += change.add_first_sights(new, 1)
            counts.add_stored(source, new)
        change.write()
        counts.apply()
        if not rebuilding:
            spans.refresh(source=source, item_ids=spanned + [item_id for _, item_id in first_seen])
    return counted


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
        for chunk in _chunks(facts.all_ids(source).iterator(chunk_size=CHUNK)):
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
