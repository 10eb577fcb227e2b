"""Bulk upserts for pulls: one read and one write per batch of rows, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models


@dataclass(frozen=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class BatchUpsert:
    """One batch of rows to upsert: what is stored for them is read once, on construction.

    Callers may look at the stored values (``stored``) and adjust rows before ``write``, which
    inserts new rows and updates changed ones (``update_fields`` compared), skipping the rest:
    pulling the same rows twice writes nothing the second time (``written`` lists the rows that
    were inserted or changed). Every row must share the values
    of all ``unique_fields`` but the last (e.g. one connection's rows keyed by external id), which
    keeps the read a single indexed query.
    """

    def __init__(
        self,
        model: type[models.Model],
        rows: Sequence[models.Model],
        *,
        unique_fields: Sequence[str],
        update_fields: Sequence[str],
    ) -> None:
        self.model, self.rows = model, rows
        self.unique_fields, self.update_fields = list(unique_fields), list(update_fields)
        self._attnames = {
            name: model._meta.get_field(name).attname for name in [*unique_fields, *update_fields]
        }
        self._existing = self._read() if rows else {}
        self.written: list[models.Model] = []

    def _key(self, row: models.Model) -> tuple:
        return tuple(getattr(row, self._attnames[name]) for name in self.unique_fields)

    def _read(self) -> dict[tuple, dict[str, Any]]:
        lookup = models.Q()
        *scope_fields, last = self.unique_fields
        for name in scope_fields:
            scope_value = getattr(self.rows[0], self._attnames[name])
            if any(getattr(row, self._attnames[name]) != scope_value for row in self.rows):
                raise ValueError(f"bulk_upsert rows must share {name!r}.")
            lookup &= models.Q(**{self._attnames[name]: scope_value})
        keys = [getattr(row, self._attnames[last]) for row in self.rows]
        lookup &= models.Q(**{f"{self._attnames[last]}__any": keys})
        return {
            tuple(values[self._attnames[name]] for name in self.unique_fields): values
            for values in self.model._default_manager.filter(lookup).values(
                *self._attnames.values()
            )
        }

    def stored(self, row: models.Model) -> dict[str, Any] | None:
        """The values stored for ``row`` before this upsert (by attname), or None if it is new."""
        return self._existing.get(self._key(row))

    def write(self) -> UpsertCounts:
        changed, created, unchanged = [], 0, 0
        for row in self.rows:
            current = self.stored(row)
            if current is None:
                created += 1
                changed.append(row)
            elif any(
                current[self._attnames[name]] != getattr(row, self._attnames[name])
                for name in self.update_fields
            ):
                changed.append(row)
            else:
                unchanged += 1
        self.written = changed
        if changed:
            self.model._default_manager.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=self.unique_fields,
                update_fields=self.update_fields,
            )
        return UpsertCounts(created=created, updated=len(changed) - created, unchanged=unchanged)


def bulk_upsert(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> UpsertCounts:
    """Upsert ``rows`` with one read and one write (see BatchUpsert)."""
    return BatchUpsert(
        model, rows, unique_fields=unique_fields, update_fields=update_fields
    ).write()


def refresh_statistics(model: type[models.Model]) -> None:
    """Have the database re-read the shape of ``model``'s table (ANALYZE) for its query planner."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
