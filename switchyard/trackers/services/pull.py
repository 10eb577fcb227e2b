"""Pulling a tracker: its projects (or teams) and their statuses, then the tickets updated since
the cursor."""

from __future__ import annotations

from django.db import transaction

from switchyard.sync.batches import BATCH, batches, read_ahead
from switchyard.sync.models import Connection
from switchyard.sync.pulled import mark_unseen_deleted, upsert_pulled
from switchyard.sync.runs import RunRecorder
from switchyard.trackers import mappings
from switchyard.trackers.connectors.base import (
    RemoteTicket,
    RemoteTrackerProject,
    TrackerConnector,
)
from switchyard.trackers.connectors.registry import connector_for
from switchyard.trackers.events import TicketsChanged
from switchyard.trackers.models import Ticket, TrackerProject
from switchyard.trackers.services.store import store_tickets

PROJECT_FIELDS = ["key", "name", "project_type", "lead", "is_deleted"]


def tracker_pull(connection: Connection, recorder: RunRecorder) -> None:
    """Pull projects (or teams), their statuses, then tickets updated since the cursor."""
    connector = connector_for(connection)
    remote_projects = list(connector.iter_projects())
    projects = _pull_projects(connection, remote_projects, recorder)
    mappings.ensure_default_priorities(projects)
    by_remote = {p.external_id: p for p in projects}
    mappings.learn_statuses(
        (by_remote[rp.external_id].pk, status.name, status.external_id, status.category)
        for rp in remote_projects
        for status in connector.statuses(rp)
    )
    live = [remote_project(p) for p in projects if not p.is_deleted]
    seen = _pull_tickets(connection, connector, live, recorder)
    recorder.add_scope("tickets")
    if recorder.full:
        mark_unseen_deleted(Ticket, connection, seen, recorder=recorder, announce=TicketsChanged)


def _pull_projects(
    connection: Connection, remote_projects: list[RemoteTrackerProject], recorder: RunRecorder
) -> list[TrackerProject]:
    """Store the remote projects; the connection's projects as they were before a full pull marked
    those gone from the tracker deleted."""
    upsert_pulled(
        TrackerProject,
        (_project_row(connection, remote) for remote in remote_projects),
        update_fields=PROJECT_FIELDS,
        recorder=recorder,
    )
    recorder.add_scope("projects")
    projects = list(
        TrackerProject.objects.filter(connection=connection).select_related("connection")
    )
    if recorder.full:
        seen = {remote.external_id for remote in remote_projects}
        mark_unseen_deleted(TrackerProject, connection, seen, recorder=recorder)
    return projects


def _project_row(connection: Connection, remote: RemoteTrackerProject) -> TrackerProject:
    return TrackerProject(
        connection=connection,
        external_id=remote.external_id,
        key=remote.key,
        name=remote.name,
        project_type=remote.project_type,
        lead=remote.lead,
        is_deleted=False,
    )


def _pull_tickets(
    connection: Connection,
    connector: TrackerConnector,
    projects: list[RemoteTrackerProject],
    recorder: RunRecorder,
) -> set[str]:
    """Store the tickets of these projects updated since the cursor, a batch per transaction, and
    move the cursor; the external ids seen."""
    since = recorder.since("tickets")
    seen: set[str] = set()
    newest_per_batch = []
    for batch in read_ahead(batches(connector.iter_tickets(projects, updated_since=since), BATCH)):
        with transaction.atomic():
            store_tickets(connection, batch, recorder=recorder)
        seen.update(ticket.external_id for ticket in batch)
        newest_per_batch.append(max(ticket.updated_at for ticket in batch))
    recorder.advance("tickets", max(newest_per_batch, default=None))
    return seen


def remote_project(project: TrackerProject) -> RemoteTrackerProject:
    return RemoteTrackerProject(
        external_id=project.external_id,
        key=project.key,
        name=project.name,
        project_type=project.project_type,
        lead=project.lead,
    )


def fetch_recent_tickets(*, project: TrackerProject, limit: int) -> list[RemoteTicket]:
    """The ``limit`` most recently updated tickets of a project, straight from the tracker."""
    return connector_for(project.connection).recent_tickets(remote_project(project), limit=limit)


def tracker_test_connection(connection: Connection) -> str:
    return connector_for(connection).whoami()
