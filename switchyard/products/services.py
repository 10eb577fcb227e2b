"""Every write to the product tree."""

from __future__ import annotations

from django.db import models, transaction
from django.utils.text import slugify

from switchyard.accounts.audit import update_logged
from switchyard.accounts.models import Organization, Team
from switchyard.core import events
from switchyard.core.exceptions import ValidationFailed
from switchyard.products.events import MappingChanged
from switchyard.products.mapping import mappables
from switchyard.products.models import PATH_SEPARATOR, Product

_UNSET = object()


def _check_same_organization(
    *, organization: Organization, parent: Product | None, owning_team: Team | None
) -> None:
    errors: dict[str, list[str]] = {}
    if parent is not None and parent.organization_id != organization.id:
        errors["parent"] = ["The parent product must belong to the same organization."]
    if owning_team is not None and owning_team.organization_id != organization.id:
        errors["owning_team"] = ["The owning team must belong to the same organization."]
    if errors:
        raise ValidationFailed("Related objects belong to another organization.", fields=errors)


def _unique_slug(*, organization: Organization, wanted: str, exclude_id: int | None = None) -> str:
    base = slugify(wanted)[:190] or "product"
    taken = set(
        Product.objects.filter(organization=organization, slug__startswith=base)
        .exclude(pk=exclude_id)
        .values_list("slug", flat=True)
    )
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _check_slug_free(*, organization: Organization, slug: str, exclude_id: int | None) -> None:
    clash = Product.objects.filter(organization=organization, slug=slug).exclude(pk=exclude_id)
    if clash.exists():
        raise ValidationFailed(
            "Slug already used.", fields={"slug": ["A product with this slug already exists."]}
        )


def _refresh_full_paths(root: Product) -> None:
    """Recompute ``full_path`` for a product and its whole subtree (two queries and one update)."""
    root.refresh_from_db()
    ancestor_paths = [root.path[:end] for end in range(root.steplen, len(root.path), root.steplen)]
    names = dict(Product.objects.filter(path__in=ancestor_paths).values_list("path", "name"))
    subtree = list(Product.objects.filter(path__startswith=root.path).order_by("path"))
    for node in subtree:
        names[node.path] = node.name
        node.full_path = PATH_SEPARATOR.join(
            names[node.path[:end]] for end in range(node.steplen, len(node.path) + 1, node.steplen)
        )
    Product.objects.bulk_update(subtree, ["full_path"], batch_size=500)


@transaction.atomic
def product_create(
    *,
    organization: Organization,
    name: str,
    parent: Product | None = None,
    slug: str = "",
    description: str = "",
    priority: str = Product._meta.get_field("priority").default,
    owning_team: Team | None = None,
    is_active: bool = True,
) -> Product:
    """Create a product under ``parent`` (or as a root of the organization's tree)."""
    _check_same_organization(organization=organization, parent=parent, owning_team=owning_team)
    if slug:
        _check_slug_free(organization=organization, slug=slug, exclude_id=None)
    else:
        slug = _unique_slug(organization=organization, wanted=name)
    product = Product(
        organization=organization,
        name=name,
        slug=slug,
        description=description,
        priority=priority,
        owning_team=owning_team,
        is_active=is_active,
    )
    if parent is None:
        product = Product.objects.add_root(instance=product)
    else:
        product = Product.objects.add_child(parent, instance=product)
    _refresh_full_paths(product)
    return product


def _move(product: Product, new_parent: Product | None) -> None:
    """Append ``product`` (with its subtree) under ``new_parent``, or after the last root."""
    if new_parent is None:
        Product.objects.move(product, Product.objects.get_last_root_node(), "last-sibling")
    else:
        Product.objects.move(product, new_parent, "last-child")


@transaction.atomic
def product_update(
    *, product: Product, parent: Product | None | object = _UNSET, **changes
) -> Product:
    """Change a product's fields and, when ``parent`` is given, move it with its whole subtree."""
    unknown = set(changes) - {field.name for field in Product._meta.concrete_fields}
    if unknown:
        raise TypeError(f"Product has no field {', '.join(sorted(unknown))}")
    organization = product.organization
    owning_team = changes.get("owning_team")
    _check_same_organization(
        organization=organization,
        parent=parent if isinstance(parent, Product) else None,
        owning_team=owning_team,
    )
    if isinstance(parent, Product) and (
        parent.pk == product.pk or parent.path.startswith(product.path)
    ):
        raise ValidationFailed(
            "A product cannot be moved under itself.",
            fields={
                "parent": ["A product cannot be moved under itself or one of its descendants."]
            },
        )
    if changes.get("slug"):
        _check_slug_free(organization=organization, slug=changes["slug"], exclude_id=product.pk)
    elif "slug" in changes:
        changes["slug"] = _unique_slug(
            organization=organization,
            wanted=changes.get("name", product.name),
            exclude_id=product.pk,
        )

    renamed = "name" in changes and changes["name"] != product.name
    for field, value in changes.items():
        setattr(product, field, value)
    product.save()

    moved = parent is not _UNSET and (
        (parent.path if isinstance(parent, Product) else None) != product.parent_path
    )
    if moved:
        _move(product, parent)
    if moved or renamed:
        _refresh_full_paths(product)
    product.refresh_from_db()
    return product


def _protected_relations() -> list[models.ForeignObjectRel]:
    """Relations from other apps whose rows must not vanish with a product (mapped projects, ...).

    Higher apps (monitoring, trackers) point at Product with ``on_delete=PROTECT``; finding them
    through the model's metadata keeps this app unaware of them.
    """
    return [
        rel
        for rel in Product._meta.related_objects
        if rel.on_delete in (models.PROTECT, models.RESTRICT) and not rel.many_to_many
    ]


def product_usage(product: Product) -> dict[str, int]:
    """What still hangs on a product: sub-products and rows of protected relations, by label."""
    usage = {"sub-products": Product.objects.get_children_count(product)}
    for rel in _protected_relations():
        label = str(rel.related_model._meta.verbose_name_plural)
        usage[label] = rel.related_model._default_manager.filter(
            **{rel.field.name: product}
        ).count()
    return {label: count for label, count in usage.items() if count}


@transaction.atomic
def product_delete(*, product: Product, reparent: bool = False) -> None:
    """Delete a product; with ``reparent`` its children and mappings move to its parent first."""
    usage = product_usage(product)
    if usage and not reparent:
        described = ", ".join(f"{count} {label}" for label, count in usage.items())
        raise ValidationFailed(
            f"Product “{product.name}” still has {described}. Move or unmap them first, or delete "
            "with reparent=true to move them to its parent."
        )
    parent = Product.objects.get_parent(product)
    mapped = {m.model: m for m in mappables()}
    for rel in _protected_relations():
        rows = list(
            rel.related_model._default_manager.select_for_update().filter(
                **{rel.field.name: product}
            )
        )
        update_logged(rows, **{rel.field.name: parent})
        if rows and rel.related_model in mapped:
            key = mapped[rel.related_model].key
            events.publish(
                MappingChanged(mappable=key, ids=tuple(row.pk for row in rows)),
                organization_id=product.organization_id,
            )
    for child in list(Product.objects.get_children(product)):
        child.refresh_from_db()
        _move(child, parent)
        _refresh_full_paths(child)
    Product.objects.get(pk=product.pk).delete()
