"""The audit log's organization scoping: every entry carries the organization its object belongs to."""

from __future__ import annotations

from auditlog.models import LogEntryManager
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

# Relations through which a row without an organization of its own reaches one
# (a ticket through its connection, a status mapping through its tracker project).
PARENT_RELATIONS = ("connection", "tracker_project", "ticket")


def organization_id_of(instance: models.Model) -> int | None:
    """The organization a row belongs to, or None for rows of no organization (customers)."""
    if instance._meta.label == "accounts.Organization":
        return instance.pk
    if hasattr(instance, "organization_id"):
        return instance.organization_id
    for name in PARENT_RELATIONS:
        try:
            parent = getattr(instance, name, None)
        except ObjectDoesNotExist:
            continue
        if isinstance(parent, models.Model):
            return organization_id_of(parent)
    return None


class AuditEntryManager(LogEntryManager):
    """Auditlog's manager, stamping each entry with its object's organization."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        kwargs.setdefault("organization_id", organization_id_of(instance))
        return super().log_create(instance, force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        kwargs.setdefault("organization_id", organization_id_of(instance))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)
