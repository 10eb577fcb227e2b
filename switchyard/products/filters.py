"""API filters over the product tree, for lists of rows that belong to a product."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.constants import EMPTY_VALUES

from switchyard.core.filters import IdFilter
from switchyard.products.models import Product


class ProductSubtreeFilter(IdFilter):
    """Rows whose product is the given one or any product below it.

    ``field_name`` is the path from the filtered model to its product (``project__product``).
    """

    def __init__(self, *args, label: str = "Product id (with its sub-products)", **kwargs) -> None:
        super().__init__(*args, label=label, **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        product = Product.objects.filter(pk=value).only("path", "organization_id").first()
        if product is None:
            return qs.none()
        return qs.filter(
            **{
                f"{self.field_name}__path__startswith": product.path,
                f"{self.field_name}__organization_id": product.organization_id,
            }
        )
