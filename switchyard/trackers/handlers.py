"""What trackers plug in at start-up: sync handlers, operations, the product mapping, event reactions."""

from switchyard.core import events
from switchyard.monitoring.events import (
    SentryIssueAssigned,
    SentryIssueCommented,
    SentryIssueStatusChanged,
)
from switchyard.monitoring.models import IssueStatus, SentryIssue
from switchyard.products.mapping import Mappable, register_mappable
from switchyard.sync.registry import KindHandlers, register_kind, register_operation
from switchyard.trackers import services
from switchyard.trackers.connectors.registry import CONNECTORS
from switchyard.trackers.models import StatusCategory, TrackerProject
from switchyard.trackers.sources import SentryIssueSource, register_source

TRACKER_PROJECTS = Mappable(
    key="tracker-projects",
    model=TrackerProject,
    label="Tracker projects",
    organization_lookup="connection__organization",
    group_field="connection__name",
    facet_field="project_type",
)


def _sentry_status_changed(event: SentryIssueStatusChanged) -> None:
    issue = SentryIssue.objects.filter(pk=event.issue_id).first()
    if issue is None:
        return
    if event.new_status == IssueStatus.RESOLVED:
        services.source_status_changed(
            source=issue,
            category=StatusCategory.DONE,
            comment="Resolved in Sentry.",
            origin_connection_id=event.origin_connection_id,
        )
    elif event.new_status == IssueStatus.UNRESOLVED:
        services.source_status_changed(
            source=issue,
            category=StatusCategory.TODO,
            comment="Reopened: the Sentry issue came back.",
            origin_connection_id=event.origin_connection_id,
            regressed=event.old_status == IssueStatus.RESOLVED,
        )


def _sentry_assigned(event: SentryIssueAssigned) -> None:
    issue = SentryIssue.objects.filter(pk=event.issue_id).first()
    if issue is not None and event.email:
        services.source_assigned(
            source=issue, email=event.email, origin_connection_id=event.origin_connection_id
        )


def _sentry_commented(event: SentryIssueCommented) -> None:
    issue = SentryIssue.objects.filter(pk=event.issue_id).first()
    if issue is not None:
        services.source_commented(
            source=issue,
            comment_external_id=event.comment_external_id,
            text=f"Sentry note on {issue.short_id}:\n\n{event.text}",
            origin_connection_id=event.origin_connection_id,
        )


def register() -> None:
    handlers = KindHandlers(
        pull=services.tracker_pull,
        test_connection=services.tracker_test_connection,
        verify_webhook=services.tracker_verify_webhook,
        apply_webhook=services.tracker_apply_webhook,
    )
    for kind, connector in CONNECTORS.items():
        register_kind(kind, handlers, needs=connector)
    register_operation(services.CREATE_TICKET, services.deliver_create_ticket)
    register_operation(services.MOVE_TICKET, services.deliver_move_ticket)
    register_operation(services.UPDATE_TICKET, services.deliver_update_ticket)
    register_operation(services.COMMENT_TICKET, services.deliver_comment)
    register_operation(services.ASSIGN_TICKET, services.deliver_assign)
    register_mappable(TRACKER_PROJECTS)
    register_source(SentryIssueSource())
    events.subscribe(SentryIssueStatusChanged, _sentry_status_changed)
    events.subscribe(SentryIssueAssigned, _sentry_assigned)
    events.subscribe(SentryIssueCommented, _sentry_commented)
