"""Admin pages for mapping remote projects to products, for every registered Mappable.

Three ways in: from one product (a page of project cards), from selected projects (pick a product),
and from selected issues (their projects; the issue admin passes a ``rows_to_ids``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from switchyard.accounts.models import Organization
from switchyard.core.exceptions import ValidationFailed
from switchyard.products.mapping import (
    Mappable,
    MappingResult,
    OnConflict,
    field_value,
    mappable,
    mappable_rows,
    product_map,
    product_unmap,
)
from switchyard.products.models import Product


def _organization_products(request, organization_id=None):
    products = Product.objects.order_by("path")
    if not request.user.is_superuser:
        return products.filter(organization=request.user.organization_id)
    return products.filter(organization=organization_id) if organization_id else products


def describe(result: MappingResult, label: str) -> str:
    parts = [
        f"{len(result.assigned)} assigned",
        f"{len(result.moved)} moved",
        f"{len(result.skipped)} skipped (mapped to another product)",
        f"{len(result.unchanged)} already there",
    ]
    return f"{label}: " + ", ".join(parts) + "."


# -- 1. from a product: the card page ---------------------------------------------------------


def bulk_assign_view(model_admin: admin.ModelAdmin, request, product_id: int, key: str):
    """Every project of the product's organization as a card; assign or unassign a selection."""
    target = mappable(key)
    product = get_object_or_404(_organization_products(request), pk=product_id)
    if not model_admin.has_change_permission(request, product):
        raise PermissionDenied
    rows = list(
        mappable_rows(mappable=target, organization=product.organization).order_by(
            target.group_field, "pk"
        )
    )
    selected = {int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()}
    conflicts: list = []
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "assign":
            conflicts = _moves_to_confirm(rows, selected, product)
        try:
            if _apply_card_action(request, target, product, action, selected, conflicts):
                return HttpResponseRedirect(request.path)
        except ValidationFailed as error:
            _show_problems(request, error)
    return _card_page(model_admin, request, target, product, rows, selected, conflicts)


def _moves_to_confirm(rows: list, selected: set, product: Product) -> list:
    """The selected rows that belong to another product."""
    return [row for row in rows if row.pk in selected and row.product_id not in (None, product.pk)]


def _show_problems(request, error: ValidationFailed) -> None:
    for problems in error.fields.values():
        for problem in problems:
            messages.error(request, problem)


def _apply_card_action(
    request, target: Mappable, product: Product, action: str | None, selected: set, conflicts: list
) -> bool:
    """Unassign or assign the selection; False when nothing was done (moves wait for a confirm)."""
    if action == "unassign":
        done = product_unmap(
            mappable=target, organization=product.organization, ids=selected, product=product
        )
        messages.success(request, f"{target.label}: {len(done)} unassigned from {product.name}.")
        return True
    if action != "assign":
        return False
    if conflicts and not request.POST.get("confirm_move"):
        messages.warning(
            request,
            f"{len(conflicts)} selected {target.label.lower()} belong to other "
            "products. Tick “Move them to this product” to confirm, or deselect them.",
        )
        return False
    result = product_map(
        mappable=target, product=product, ids=selected, on_conflict=OnConflict.MOVE
    )
    messages.success(request, describe(result, target.label))
    return True


def _card_page(
    model_admin: admin.ModelAdmin,
    request,
    target: Mappable,
    product: Product,
    rows: list,
    selected: set,
    conflicts: list,
) -> TemplateResponse:
    """The cards grouped by the mappable's group field, with its facets to select by."""
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        row.facet_value = field_value(row, target.facet_field) or ""
        groups[str(field_value(row, target.group_field) or "—")].append(row)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Assign {target.label.lower()} to {product.full_path}",
        "product": product,
        "mappable": target,
        "groups": sorted(groups.items()),
        "facets": sorted({row.facet_value for row in rows} - {""}),
        "facet_field": target.facet_field,
        "selected": selected,
        "conflicts_to_confirm": {row.pk for row in conflicts},
        "total": len(rows),
    }
    return TemplateResponse(request, "admin/products/bulk_assign.html", context)


def open_bulk_assign_action(target: Mappable):
    """The product admin action that opens the card page for exactly one product."""

    def action(model_admin, request, queryset):
        if queryset.count() != 1:
            model_admin.message_user(
                request,
                f"Select exactly one product to assign {target.label.lower()} to "
                f"({queryset.count()} selected).",
                messages.WARNING,
            )
            return None
        url = reverse("admin:products_product_bulk_assign", args=[queryset.get().pk, target.key])
        return HttpResponseRedirect(url)

    action.__name__ = f"bulk_assign_{target.key.replace('-', '_')}"
    return admin.action(description=f"Bulk assign {target.label}")(action)


# -- 2. and 3. from selected rows: pick a product -----------------------------------------------


class ChooseProductForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none())
    on_conflict = forms.ChoiceField(
        choices=OnConflict.choices, initial=OnConflict.SKIP, widget=forms.RadioSelect
    )

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].label_from_instance = lambda p: f"{'— ' * (p.depth - 1)}{p.name}"


def assign_to_product_action(
    target: Mappable,
    *,
    description: str,
    rows_to_ids: Callable = lambda queryset: list(queryset.values_list("pk", flat=True)),
):
    """An admin action: selected rows (or the projects behind them) → choose a product → mapped."""

    def action(model_admin, request, queryset):
        ids = sorted(set(rows_to_ids(queryset)))
        organizations = set(
            mappable_rows_any(target)
            .filter(pk__in=ids)
            .values_list(target.organization_lookup, flat=True)
        )
        if len(organizations) > 1:
            model_admin.message_user(
                request, "Select rows of one organization at a time.", messages.ERROR
            )
            return None
        products = _organization_products(request, next(iter(organizations), None))
        form = ChooseProductForm(
            request.POST if "apply" in request.POST else None, products=products
        )
        if "apply" in request.POST and form.is_valid():
            result = product_map(
                mappable=target,
                product=form.cleaned_data["product"],
                ids=ids,
                on_conflict=form.cleaned_data["on_conflict"],
            )
            model_admin.message_user(request, describe(result, target.label))
            if result.skipped:
                model_admin.message_user(
                    request,
                    f"{len(result.skipped)} skipped because they belong to another product; "
                    "choose “Move them to this product” to move them.",
                    messages.WARNING,
                )
            return None
        conflicts = (
            mappable_rows_any(target)
            .filter(pk__in=ids, product__isnull=False)
            .select_related("product")
        )
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": description,
            "form": form,
            "queryset": queryset,
            "action_name": request.POST.get("action"),
            "count": len(ids),
            "mappable": target,
            "conflicts": conflicts,
        }
        return TemplateResponse(request, "admin/products/choose_product.html", context)

    action.__name__ = f"assign_{target.key.replace('-', '_')}_via_{description.split()[0].lower()}"
    return admin.action(description=description)(action)


def remove_product_action(target: Mappable):
    """An admin action: the selected rows lose their product (a superuser's, per organization)."""

    def action(model_admin, request, queryset):
        ids_by_organization: dict[int, list[int]] = defaultdict(list)
        mapped = queryset.filter(product__isnull=False)
        for pk, organization_id in mapped.values_list("pk", target.organization_lookup):
            ids_by_organization[organization_id].append(pk)
        organizations = Organization.objects.in_bulk(list(ids_by_organization))
        count = sum(
            len(product_unmap(mappable=target, organization=organizations[org_id], ids=ids))
            for org_id, ids in ids_by_organization.items()
        )
        model_admin.message_user(request, f"{count} {target.label.lower()} unassigned.")

    action.__name__ = f"unassign_{target.key.replace('-', '_')}"
    return admin.action(description="Remove product assignment")(action)


def mappable_rows_any(target: Mappable):
    return target.model._default_manager.all()
