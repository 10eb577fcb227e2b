"""Transitions as they are counted: plain rows of ``Transition``'s columns.

An item's first sight (new on the day it opened, resolved when first seen closed, the events it
had when first observed) is kept on its ``TrackedItem`` rather than as transitions, so the items a
pull sees for the first time write no transition at all; ``rollups.first_sights`` counts it in
SQL. Whatever counts or withdraws an item's history counts both: its stored transitions and its
first sight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

from django.db.models import BigIntegerField, Func

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


def transition(item: TrackedItem, kind: str, day: date, **extra) -> Row:
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


def resolution(item: TrackedItem, at: datetime) -> Row:
    """Resolved at ``at``: counted with the whole seconds since it opened (never negative)."""
    seconds = max(0, int((at - item.opened_at).total_seconds()))
    return transition(item, Kind.RESOLVED, day_of(at), seconds=seconds)


class ResolveSeconds(Func):
    """``resolution``'s seconds in SQL: whole seconds from ``opened`` to ``closed``, never
    negative (exact to the microsecond on both databases, as Python's are)."""

    output_field = BigIntegerField()

    def __init__(self, closed, opened):
        super().__init__(closed, opened)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(
            compiler,
            connection,
            template="GREATEST(0, FLOOR(EXTRACT(EPOCH FROM %(expressions)s)))::bigint",
            arg_joiner=" - ",
        )

    def as_sqlite(self, compiler, connection):
        # Django's own function: the difference in whole microseconds, divided as integers.
        return self.as_sql(
            compiler,
            connection,
            template="MAX(0, django_timestamp_diff(%(expressions)s) / 1000000)",
        )
