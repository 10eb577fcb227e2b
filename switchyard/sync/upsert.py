"""Bulk upserts for pulls: one read and one write per page, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> UpsertCounts:
    """Insert new rows and update changed ones (``update_fields`` compared), skipping the rest.

    Unchanged rows are not written, so pulling the same page twice writes nothing the second time.
    Every row must share the values of all ``unique_fields`` but the last (e.g. one connection's
    rows keyed by external id), which keeps the read a single indexed query.
    """
    if not rows:
        return UpsertCounts()

    attnames = {
        name: model._meta.get_field(name).attname for name in [*unique_fields, *update_fields]
    }
    lookup = models.Q()
    # All rows of a page share every unique field but the last (e.g. connection); filter on that.
    *scope_fields, last = unique_fields
    for name in scope_fields:
        scope_value = getattr(rows[0], attnames[name])
        if any(getattr(row, attnames[name]) != scope_value for row in rows):
            raise ValueError(f"bulk_upsert rows must share {name!r}.")
        lookup &= models.Q(**{attnames[name]: scope_value})
    lookup &= models.Q(**{f"{attnames[last]}__in": [getattr(row, attnames[last]) for row in rows]})
    existing = {
        tuple(values[attnames[name]] for name in unique_fields): values
        for values in model._default_manager.filter(lookup).values(*attnames.values())
    }

    changed, created, unchanged = [], 0, 0
    for row in rows:
        current = existing.get(tuple(getattr(row, attnames[name]) for name in unique_fields))
        if current is None:
            created += 1
            changed.append(row)
        elif any(current[attnames[name]] != getattr(row, attnames[name]) for name in update_fields):
            changed.append(row)
        else:
            unchanged += 1
    if changed:
        model._default_manager.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=list(unique_fields),
            update_fields=list(update_fields),
        )
    return UpsertCounts(created=created, updated=len(changed) - created, unchanged=unchanged)
