"""Writes to what a person sets by hand on a tracker project: its status and priority mappings, and
which directions each of its links carries status in.

Each change is saved on its row (never a queryset ``update()``), so the audit log records it.
"""

from __future__ import annotations

from django.db import models, transaction

from switchyard.trackers.models import PriorityMapping, StatusMapping, TicketLink


def _save_changes(row: models.Model, changes: dict[str, object]) -> None:
    """Set the given fields (those not left out as None) and save only them."""
    changed = {name: value for name, value in changes.items() if value is not None}
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        row.save(update_fields=list(changed))


@transaction.atomic
def status_mapping_update(
    *, mapping: StatusMapping, category: str | None = None, preferred: bool | None = None
) -> StatusMapping:
    """Change which category a remote status counts as, or whether it is the preferred one."""
    _save_changes(mapping, {"category": category, "preferred": preferred})
    return mapping


@transaction.atomic
def priority_mapping_update(
    *, mapping: PriorityMapping, remote_priority: str | None = None
) -> PriorityMapping:
    """Change the remote priority a local priority stands for."""
    _save_changes(mapping, {"remote_priority": remote_priority})
    return mapping


@transaction.atomic
def ticket_link_set_directions(
    *,
    link: TicketLink,
    status_to_source: bool | None = None,
    status_to_tracker: bool | None = None,
) -> TicketLink:
    """Switch status sync from ticket to source, or from source to ticket, on or off."""
    _save_changes(
        link, {"status_to_source": status_to_source, "status_to_tracker": status_to_tracker}
    )
    return link
