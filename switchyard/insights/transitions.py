"""Transitions as they are counted: plain rows of ``Transition``'s columns, and the ones an item's
first sight counts without storing them.

An item's first sight (new on the day it opened, resolved when first seen closed, the events it
had when first observed) is kept on its ``TrackedItem`` rather than as transitions, so the items a
pull sees for the first time write no transition at all. Whatever counts or withdraws an item's
history counts both: its stored transitions and ``first_sight(item)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

from switchyard.insights.models import Kind, TrackedItem


def day_of(moment: datetime) -> date:
    """Days are UTC days."""
    return moment.astimezone(UTC).date()


class Row(NamedTuple):
    """A transition as inserted and counted: the columns of ``Transition``, no model instance."""

    item_id: int
    organization_id: int
    product_key: int
    source: str
    bucket: str
    day: date
    kind: str
    amount: int = 1
    seconds: int | None = None


class FirstSight(NamedTuple):
    """The fields of a ``TrackedItem`` its transitions and first sight are counted from."""

    pk: int
    organization_id: int
    product_key: int
    source: str
    bucket: str
    opened_at: datetime
    first_closed_at: datetime | None
    first_events: int
    observed_on: date | None


def transition(item: FirstSight | TrackedItem, kind: str, day: date, **extra) -> Row:
    return Row(
        item.pk,
        item.organization_id,
        item.product_key,
        item.source,
        item.bucket,
        day,
        kind,
        **extra,
    )


def resolution(item: FirstSight | TrackedItem, at: datetime) -> Row:
    seconds = max(0, int((at - item.opened_at).total_seconds()))
    return transition(item, Kind.RESOLVED, day_of(at), seconds=seconds)


def first_sight(item: FirstSight | TrackedItem) -> list[Row]:
    """What an item's first sight counts, under the product and level/priority it has now."""
    rows = [transition(item, Kind.NEW, day_of(item.opened_at))]
    if item.first_closed_at is not None:
        rows.append(resolution(item, item.first_closed_at))
    if item.first_events:
        rows.append(transition(item, Kind.EVENTS, item.observed_on, amount=item.first_events))
    return rows
