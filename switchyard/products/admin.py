"""Admin for the product tree: path shown as a tree, priority badges, writes through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.core.exceptions import ValidationFailed
from switchyard.products import services
from switchyard.products.admin_mapping import bulk_assign_view, open_bulk_assign_action
from switchyard.products.figures import product_figures
from switchyard.products.mapping import mappables
from switchyard.products.models import Product

PRIORITY_COLOURS = {"critical": "#c62828", "high": "#ef6c00", "medium": "#1565c0", "low": "#607d8b"}


def priority_badge(priority: str, label: str):
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 8px;border-radius:9px;'
        'font-size:11px">{}</span>',
        PRIORITY_COLOURS.get(priority, "#607d8b"),
        label,
    )


class IndentedProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, product: Product) -> str:
        return f"{'— ' * (product.depth - 1)}{product.name}"


class ProductForm(forms.ModelForm):
    parent = IndentedProductChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="(top level)"
    )

    class Meta:
        model = Product
        fields = [
            "organization",
            "parent",
            "name",
            "slug",
            "description",
            "priority",
            "owning_team",
            "is_active",
        ]


@admin.register(Product)
class ProductAdmin(OrganizationScopedAdmin):
    form = ProductForm
    list_display = [
        "tree_name",
        "priority_badge",
        "owning_team",
        "is_active",
        "mapped",
        "figures",
        "full_path",
    ]
    list_filter = ["priority", "owning_team", "is_active"]
    search_fields = ["name", "slug", "full_path", "description"]
    list_select_related = ["owning_team"]
    ordering = ["path"]
    actions: list = []

    @admin.display(description="Product", ordering="path")
    def tree_name(self, product: Product):
        return format_html(
            '<span style="padding-left:{}em">{}{}</span>',
            (product.depth - 1) * 1.5,
            "└ " if product.depth > 1 else "",
            product.name,
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        for index, target in enumerate(mappables()):
            queryset = queryset.annotate(
                **{f"mapped_{index}": Count(target.product_lookup, distinct=True)}
            )
        return queryset.annotate(
            **{f"figure_{n}": expression for n, expression in enumerate(product_figures().values())}
        )

    @admin.display(description="Mapped projects")
    def mapped(self, product: Product):
        lines = []
        for index, target in enumerate(mappables()):
            opts = target.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            lines.append(
                format_html(
                    '<a href="{}?product__id__exact={}">{} {}</a>',
                    url,
                    product.pk,
                    getattr(product, f"mapped_{index}"),
                    target.label,
                )
            )
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="Figures")
    def figures(self, product: Product):
        return ", ".join(
            f"{label}: {getattr(product, f'figure_{n}') or 0}"
            for n, label in enumerate(product_figures())
        )

    @admin.display(description="Priority", ordering="priority")
    def priority_badge(self, product: Product):
        return priority_badge(product.priority, product.get_priority_display())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        candidates = Product.objects.order_by("path")
        if obj is not None:
            candidates = candidates.filter(organization=obj.organization).exclude(
                path__startswith=obj.path
            )
        elif not request.user.is_superuser:
            candidates = candidates.filter(organization=request.user.organization_id)
        form.base_fields["parent"].queryset = candidates
        if obj is not None:
            parent = Product.objects.get_parent(obj)
            form.base_fields["parent"].initial = parent.pk if parent else None
        return form

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in ["name", "slug", "description", "priority", "owning_team", "is_active"]
        }
        organization = (
            form.cleaned_data.get("organization")
            if request.user.is_superuser
            else request.user.organization
        )
        if change:
            services.product_update(product=obj, parent=form.cleaned_data["parent"], **data)
        else:
            created = services.product_create(
                organization=organization, parent=form.cleaned_data["parent"], **data
            )
            obj.pk = created.pk

    def get_urls(self):
        return [
            path(
                "<int:product_id>/assign/<slug:key>/",
                self.admin_site.admin_view(
                    lambda request, product_id, key: bulk_assign_view(
                        self, request, product_id, key
                    )
                ),
                name="products_product_bulk_assign",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            for target in mappables():
                action = open_bulk_assign_action(target)
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationFailed as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:products_product_change", args=[object_id]))

    def delete_model(self, request, obj):
        services.product_delete(product=obj)
