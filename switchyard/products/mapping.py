"""Mapping remote projects (Sentry projects, Jira projects, Linear teams) onto products.

One implementation for every kind: an app registers its model as a ``Mappable`` in its
``AppConfig.ready()``, and the services, the admin pages and the API below work for it. A mappable
model has a nullable ``product`` foreign key (``on_delete=PROTECT``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models, transaction

from switchyard.accounts.audit import update_logged
from switchyard.accounts.models import Organization
from switchyard.core import events
from switchyard.core.exceptions import ValidationFailed
from switchyard.products.events import MappingChanged
from switchyard.products.models import Product


class OnConflict(models.TextChoices):
    SKIP = "skip", "Skip projects mapped to another product"
    MOVE = "move", "Move them to this product"


@dataclass(frozen=True)
class Mappable:
    """A model whose rows can be mapped to products, and how to show them."""

    key: str  # URL-safe name, e.g. "sentry-projects"
    model: type[models.Model]
    label: str  # plural, e.g. "Sentry projects"
    organization_lookup: str  # path from the model to its Organization
    group_field: str  # cards are grouped by this field (e.g. the Sentry organization slug)
    facet_field: str  # "select by ..." buttons (e.g. platform)
    ids_field: str = "project_ids"  # the API's name for a list of ids

    @property
    def product_lookup(self) -> str:
        """How Product reaches this model's rows (the reverse name of its ``product`` field)."""
        return self.model._meta.get_field("product").related_query_name()


_registry: dict[str, Mappable] = {}


def register_mappable(mappable: Mappable) -> None:
    _registry[mappable.key] = mappable


def mappable(key: str) -> Mappable:
    return _registry[key]


def mappables() -> list[Mappable]:
    return sorted(_registry.values(), key=lambda m: m.label)


def mappable_for_model(model: type[models.Model]) -> Mappable:
    return next(m for m in _registry.values() if m.model is model)


@dataclass
class MappingResult:
    assigned: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "assigned": self.assigned,
            "moved": self.moved,
            "skipped": self.skipped,
            "unchanged": self.unchanged,
        }


def mappable_rows(*, mappable: Mappable, organization: Organization) -> models.QuerySet:
    """An organization's rows of a mappable, with their current product (and what they group by)."""
    # The relation to the organization too: the audit log reads it from each row a mapping changes.
    related = {"product"} | {
        path.rsplit("__", 1)[0]
        for path in (mappable.group_field, mappable.organization_lookup)
        if "__" in path
    }
    rows = mappable.model._default_manager.filter(**{mappable.organization_lookup: organization})
    return rows.select_related(*related)


def field_value(row: models.Model, path: str):
    """The value at a ``related__field`` path of a row (related rows must be selected already)."""
    value = row
    for name in path.split("__"):
        value = getattr(value, name) if value is not None else None
    return value


def _rows_for_ids(mappable: Mappable, organization: Organization, ids: Iterable[int]) -> list:
    """The rows to change, locked until the transaction ends: their product is the audit log's
    "before"."""
    ids = sorted(set(ids))
    if not ids:
        raise ValidationFailed(
            "Nothing selected.", fields={mappable.ids_field: ["Select at least one."]}
        )
    rows = mappable_rows(mappable=mappable, organization=organization).filter(pk__in=ids)
    rows = list(rows.select_for_update(of=("self",)))
    unknown = sorted(set(ids) - {row.pk for row in rows})
    if unknown:
        raise ValidationFailed(
            "Unknown ids.",
            fields={mappable.ids_field: [f"Unknown ids: {', '.join(map(str, unknown))}."]},
        )
    return rows


@transaction.atomic
def product_map(
    *, mappable: Mappable, product: Product, ids: Iterable[int], on_conflict: str = OnConflict.SKIP
) -> MappingResult:
    """Map rows to ``product``; rows mapped to another product move only with ``on_conflict=move``."""
    if on_conflict not in OnConflict.values:
        raise ValidationFailed(
            "Bad on_conflict.", fields={"on_conflict": [f'"{on_conflict}" is not a valid choice.']}
        )
    result = MappingResult()
    rows = _rows_for_ids(mappable, product.organization, ids)
    for row in rows:
        if row.product_id is None:
            result.assigned.append(row.pk)
        elif row.product_id == product.pk:
            result.unchanged.append(row.pk)
        elif on_conflict == OnConflict.MOVE:
            result.moved.append(row.pk)
        else:
            result.skipped.append(row.pk)
    to_map = result.assigned + result.moved
    chosen = set(to_map)
    update_logged([row for row in rows if row.pk in chosen], product=product)
    if to_map:
        events.publish(
            MappingChanged(mappable=mappable.key, ids=tuple(to_map)),
            organization_id=product.organization_id,
        )
    return result


@transaction.atomic
def product_unmap(
    *,
    mappable: Mappable,
    organization: Organization,
    ids: Iterable[int],
    product: Product | None = None,
) -> list[int]:
    """Remove the product of the given rows (only those mapped to ``product`` when one is given)."""
    rows = _rows_for_ids(mappable, organization, ids)
    mapped = [
        row for row in rows if row.product_id and (product is None or row.product_id == product.pk)
    ]
    update_logged(mapped, product=None)
    unmapped = [row.pk for row in mapped]
    if unmapped:
        events.publish(
            MappingChanged(mappable=mappable.key, ids=tuple(unmapped)),
            organization_id=organization.pk,
        )
    return unmapped
