"""The audit log's organization scoping (every entry carries the organization its object belongs
to), and logged bulk updates."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from auditlog import get_logentry_model
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntryManager
from auditlog.receivers import check_disable
from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models.signals import pre_save

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


class _UnsavedEntries(AuditEntryManager):
    """The entry manager whose ``log_create`` builds an entry without saving it."""

    def create(self, **kwargs):
        return self.model(**kwargs)


def update_logged(rows: Sequence[models.Model], **values) -> None:
    """Set ``values`` on ``rows`` (all of one model) with one UPDATE, and record each row's change
    in the audit log with one INSERT: the entries a ``save(update_fields=...)`` of each row writes.

    The rows' loaded values are the "before" of the changes: load them locked
    (``select_for_update``) in the transaction this runs in.
    """
    if not rows:
        return
    before = [copy.copy(row) for row in rows]
    for row in rows:
        for name, value in values.items():
            setattr(row, name, value)
    model = type(rows[0])
    with transaction.atomic():
        model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**values)
        if auditlog.contains(model):
            _log_updates(old_rows=before, new_rows=rows, fields=list(values))


@check_disable  # auditlog's own switch: nothing is logged inside ``disable_auditlog()``
def _log_updates(*, old_rows, new_rows, fields: list[str]) -> None:
    entry_model = get_logentry_model()
    builder = _UnsavedEntries()
    builder.model = entry_model
    entries = []
    for old, new in zip(old_rows, new_rows, strict=True):
        changes = model_instance_diff(
            old,
            new,
            fields_to_check=fields,
            use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES,
        )
        if changes:
            entries.append(
                builder.log_create(new, action=entry_model.Action.UPDATE, changes=changes)
            )
    for entry in entries:
        # What saving each entry would do first: auditlog's context (set_actor, its middleware)
        # fills in the actor and the request's address on this signal.
        pre_save.send(
            sender=entry_model,
            instance=entry,
            raw=False,
            using=entry_model.objects.db,
            update_fields=None,
        )
    entry_model.objects.bulk_create(entries)
