"""Reads of the product tree."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from switchyard.accounts.models import Organization
from switchyard.products.models import Product


def product_list(*, organization: Organization) -> QuerySet[Product]:
    """An organization's products in tree order, with their owning team."""
    return (
        Product.objects.filter(organization=organization)
        .select_related("owning_team")
        .order_by("path")
    )


def product_list_with_parent(*, organization: Organization) -> QuerySet[Product]:
    """``product_list`` with each product's parent id as ``parent_pk`` (a correlated subquery)."""
    parent = Product.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Product.steplen)
    ).values("pk")[:1]
    return product_list(organization=organization).annotate(parent_pk=Subquery(parent))


def product_subtree(*, product: Product, include_self: bool = True) -> QuerySet[Product]:
    """A product and everything below it (materialized-path prefix match: one indexed query)."""
    subtree = Product.objects.filter(
        organization_id=product.organization_id, path__startswith=product.path
    )
    return subtree if include_self else subtree.exclude(pk=product.pk)


def product_children(*, product: Product) -> QuerySet[Product]:
    return product_subtree(product=product, include_self=False).filter(depth=product.depth + 1)


def product_tree(*, organization: Organization) -> list[dict]:
    """The whole tree as nested dicts (one query), children sorted by name."""
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for product in product_list(organization=organization):
        node = {"product": product, "children": []}
        nodes[product.path] = node
        parent = nodes.get(product.parent_path) if product.parent_path else None
        (parent["children"] if parent else roots).append(node)
    _sort_by_name(roots)
    return roots


def _sort_by_name(nodes: list[dict]) -> None:
    nodes.sort(key=lambda node: (node["product"].name.casefold(), node["product"].name))
    for node in nodes:
        _sort_by_name(node["children"])
