"""Admin for tenants and people, and the organization scoping every admin page uses."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models

from switchyard.accounts import selectors, services
from switchyard.accounts.models import STAFF_ROLES, Order, Organization, Role, Team, User, Vendor


class OrganizationValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """Offers the values found in the rows the page shows (Django reads a related model's table)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.scope(request, model._default_manager.all())
            .distinct()
            .order_by(field_path)
            .values_list(field_path, flat=True)
        )


def _organization_list_filter(model: type[models.Model], entry):
    """The list filter ``entry`` with choices drawn from the organization's rows only."""
    if not isinstance(entry, str):
        return entry
    field = get_fields_from_path(model, entry)[-1]
    if field.is_relation:
        return (entry, admin.RelatedOnlyFieldListFilter)
    if field.choices or isinstance(field, models.BooleanField | models.DateField):
        return entry
    return (entry, OrganizationValuesFieldListFilter)


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Organization admins see, pick and edit only their organization's rows; superusers see all.

    ``organization_field`` names the lookup to the owning organization. Everything an organization
    admin is offered is scoped here: the rows (and so actions, raw id popups and autocompletes),
    the choices of related fields (the rows the related model's own admin page shows them; a subclass
    that passes its own ``queryset`` scopes it itself) and the filter sidebar.
    """

    organization_field = "organization"

    def scope(self, request, queryset: models.QuerySet) -> models.QuerySet:
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.organization_field: request.user.organization_id})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def organization_choices(self, request, model: type[models.Model]) -> models.QuerySet:
        """The rows of ``model`` an organization admin may choose: none unless an admin scopes it."""
        related_admin = self.admin_site._registry.get(model)
        if not isinstance(related_admin, OrganizationScopedAdmin):
            return model._default_manager.none()
        choices = related_admin.scope(request, model._default_manager.all())
        ordering = related_admin.get_ordering(request)
        return choices.order_by(*ordering) if ordering else choices

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and "queryset" not in kwargs:
            kwargs["queryset"] = self.organization_choices(request, db_field.related_model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser and "queryset" not in kwargs:
            kwargs["queryset"] = self.organization_choices(request, db_field.related_model)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        list_filter = super().get_list_filter(request)
        if request.user.is_superuser:
            return list_filter
        return [_organization_list_filter(self.model, entry) for entry in list_filter]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.organization_field == "organization":
            excluded.append("organization")
        return excluded

    def get_fieldsets(self, request, obj=None):
        excluded = set(self.get_exclude(request, obj))
        return [
            (name, {**options, "fields": _without(options["fields"], excluded)})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and self.organization_field == "organization":
            obj.organization_id = request.user.organization_id
        super().save_model(request, obj, form, change)


def _without(fields, excluded: set[str]) -> list:
    """Fieldset ``fields`` (names, or tuples of names shown on one line) minus ``excluded``."""
    kept = []
    for entry in fields:
        if isinstance(entry, list | tuple):
            entry = [name for name in entry if name not in excluded]
            if entry:
                kept.append(entry)
        elif entry not in excluded:
            kept.append(entry)
    return kept


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_field = "pk"
    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(OrganizationScopedAdmin, DjangoUserAdmin):
    """People; the role alone decides admin access (staff flag and group follow it on save)."""

    list_display = ["username", "email", "get_full_name", "role", "organization", "is_active"]
    list_filter = ["role", "organization", "is_active"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["role", "organization", "vendor", "is_active", "is_superuser"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Access", {"fields": ["email", "role", "organization", "vendor"]}),
    ]

    def scope(self, request, queryset):
        scoped = super().scope(request, queryset)
        return scoped if request.user.is_superuser else scoped.exclude(is_superuser=True)

    def get_exclude(self, request, obj=None):
        excluded = super().get_exclude(request, obj)
        return excluded if request.user.is_superuser else [*excluded, "is_superuser"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(role.value, role.label) for role in Role if role in STAFF_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.user_apply_role(user=form.instance)


@admin.register(Team)
class TeamAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Vendor)
class VendorAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "contact_email", "is_active"]
    list_filter = ["organization", "is_active"]
    search_fields = ["name", "contact_email"]


@admin.register(Order)
class OrderAdmin(OrganizationScopedAdmin):
    list_display = [
        "number",
        "organization",
        "customer",
        "ordered_on",
        "amount",
        "currency",
        "status",
    ]
    list_filter = ["organization", "status"]
    search_fields = ["number", "customer__username", "customer__email"]
    list_select_related = ["organization", "customer"]
    date_hierarchy = "ordered_on"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "customer" and not request.user.is_superuser:
            kwargs["queryset"] = selectors.customers_of(
                organization_id=request.user.organization_id
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


from switchyard.accounts import admin_audit  # noqa: E402, F401  (registers the audit log page)
