"""Status and priority mappings per tracker project: defaults, learning, and lookups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from switchyard.trackers.connectors.registry import CONNECTORS
from switchyard.trackers.models import (
    PriorityMapping,
    StatusCategory,
    StatusMapping,
    TrackerProject,
)

# The status a ticket is moved to, by category, when the project has no preferred one yet.
DEFAULT_PREFERRED = {
    StatusCategory.TODO: ("To Do", "Todo", "Backlog"),
    StatusCategory.IN_PROGRESS: ("In Progress",),
    StatusCategory.DONE: ("Done",),
    StatusCategory.CANCELED: ("Canceled", "Won't Do"),
}


def _default_priorities(project: TrackerProject) -> Mapping[str, str]:
    return CONNECTORS[project.connection.kind].default_priorities


def ensure_default_priorities(projects: Iterable[TrackerProject]) -> None:
    """Give new tracker projects the default priority mapping (existing rows are kept)."""
    rows = [
        PriorityMapping(tracker_project=project, priority=priority, remote_priority=remote)
        for project in projects
        for priority, remote in _default_priorities(project).items()
    ]
    PriorityMapping.objects.bulk_create(rows, ignore_conflicts=True)


def learn_statuses(statuses: Iterable[tuple[int, str, str, str]]) -> None:
    """Record statuses seen remotely as (project id, name, remote id, category); edits are kept."""
    rows = [
        StatusMapping(
            tracker_project_id=project_id,
            remote_status=name,
            remote_status_id=remote_id,
            category=category,
            preferred=name in DEFAULT_PREFERRED.get(category, ()),
        )
        for project_id, name, remote_id, category in {(p, n, i, c) for p, n, i, c in statuses}
    ]
    StatusMapping.objects.bulk_create(rows, ignore_conflicts=True)


def status_categories(project_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(project id, remote status) -> local category, as edited in the admin."""
    return {
        (project_id, name): category
        for project_id, name, category in StatusMapping.objects.filter(
            tracker_project_id__in=set(project_ids)
        ).values_list("tracker_project_id", "remote_status", "category")
    }


def status_targets(project: TrackerProject, category: str) -> list[str]:
    """Remote statuses counting as ``category`` in a project, preferred ones first."""
    mappings = StatusMapping.objects.filter(tracker_project=project, category=category).order_by(
        "-preferred", "remote_status"
    )
    return list(mappings.values_list("remote_status", flat=True))


def remote_priority(project: TrackerProject, priority: str) -> str:
    mapping = PriorityMapping.objects.filter(tracker_project=project, priority=priority).first()
    if mapping:
        return mapping.remote_priority
    return _default_priorities(project).get(priority, "")


def local_priority(project: TrackerProject, remote: str) -> str | None:
    return (
        PriorityMapping.objects.filter(tracker_project=project, remote_priority=remote)
        .values_list("priority", flat=True)
        .first()
    )
