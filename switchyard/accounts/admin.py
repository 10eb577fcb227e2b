"""Admin for tenants and people, and the organization scoping every admin page uses."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from switchyard.accounts.models import Order, Organization, Team, User, Vendor


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Organization admins see and edit only their organization's rows; superusers see all.

    ``organization_field`` names the lookup to the owning organization.
    """

    organization_field = "organization"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.organization_field: request.user.organization_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if not request.user.is_superuser:
            if related is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=request.user.organization_id)
            elif any(f.name == "organization" for f in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(
                    organization=request.user.organization_id
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.organization_field == "organization":
            excluded.append("organization")
        return excluded

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and self.organization_field == "organization":
            obj.organization_id = request.user.organization_id
        super().save_model(request, obj, form, change)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_field = "pk"
    list_display = ["name", "slug", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin, OrganizationScopedAdmin):
    list_display = ["username", "email", "get_full_name", "role", "organization", "is_active"]
    list_filter = ["role", "organization", "is_active", "is_staff"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Switchyard", {"fields": ["role", "organization", "vendor"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Switchyard", {"fields": ["email", "role", "organization", "vendor"]}),
    ]


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


from switchyard.accounts import admin_audit  # noqa: E402, F401  (registers the audit log page)
