"""The audit log in the admin: read-only, each organization admin reading their organization's."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.accounts.models import AuditEntry

# django-auditlog registers its own, unscoped page for the log model; this one replaces it.
admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(LogEntryAdmin, OrganizationScopedAdmin):
    """Who changed what and when; nobody edits or deletes entries."""
