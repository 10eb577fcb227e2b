"""Django admin permissions for organization admins."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

ORG_ADMIN_GROUP = "Organization admins"
# Apps whose models organization admins manage in the Django admin (scoped to their organization).
ORG_ADMIN_APPS = ("accounts", "products", "sync", "monitoring", "trackers", "support", "automation")


def org_admin_group() -> Group:
    """The group granting organization admins their admin permissions (created or refreshed)."""
    group, _ = Group.objects.get_or_create(name=ORG_ADMIN_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=ORG_ADMIN_APPS).exclude(
        codename__in=["add_organization", "delete_organization"]
    )
    group.permissions.set(permissions)
    return group
