"""Every write to Sentry projects and issues: pulls, webhooks, status changes pushed to Sentry."""

from __future__ import annotations

import logging

from django.db import transaction

from switchyard.core import events
from switchyard.core.exceptions import ValidationFailed
from switchyard.monitoring.connectors.base import (
    CommentEvent,
    IssueEvent,
    RemoteIssue,
    RemoteProject,
)
from switchyard.monitoring.connectors.registry import connector_for
from switchyard.monitoring.events import (
    SentryIssueAssigned,
    SentryIssueCommented,
    SentryIssuesDeleted,
    SentryIssuesStored,
    SentryIssueStatusChanged,
)
from switchyard.monitoring.models import IssueStatus, SentryIssue, SentryProject
from switchyard.sync.batches import BATCH, batches, read_ahead
from switchyard.sync.models import Connection, OutboxEntry, WebhookDelivery
from switchyard.sync.outbox import UNDELIVERED, outbox_add
from switchyard.sync.pulled import announce_rows, mark_unseen_deleted, upsert_pulled
from switchyard.sync.registry import VerifiedWebhook
from switchyard.sync.runs import RunRecorder
from switchyard.sync.upsert import BatchUpsert

logger = logging.getLogger(__name__)

PROJECT_FIELDS = ["slug", "name", "platform", "status", "sentry_organization", "is_deleted"]
ISSUE_FIELDS = [
    "project",
    "short_id",
    "title",
    "culprit",
    "level",
    "status",
    "substatus",
    "event_count",
    "user_count",
    "first_seen",
    "last_seen",
    "permalink",
    "assignee_email",
    "is_deleted",
]
SET_STATUS = "sentry.set_status"
ADD_COMMENT = "sentry.add_comment"
ASSIGN = "sentry.assign"


def issue_ordering_key(external_id: str) -> str:
    return f"sentry-issue:{external_id}"


# -- pull --------------------------------------------------------------------------------------


def sentry_pull(connection: Connection, recorder: RunRecorder) -> None:
    """Pull projects, then issues seen since the cursor (all of them on a full sync)."""
    connector = connector_for(connection)
    seen_projects = upsert_pulled(
        SentryProject,
        (_project_row(connection, project) for project in connector.iter_projects()),
        update_fields=PROJECT_FIELDS,
        recorder=recorder,
    )
    recorder.add_scope("projects")
    if recorder.full:
        mark_unseen_deleted(SentryProject, connection, seen_projects, recorder=recorder)

    project_ids = dict(
        SentryProject.objects.filter(connection=connection).values_list("external_id", "pk")
    )
    since = recorder.since("issues")
    seen_issues: set[str] = set()
    newest_per_batch = []
    remote_issues = connector.iter_issues(seen_since=since, every_status=True)
    for batch in read_ahead(batches(remote_issues, BATCH)):
        with transaction.atomic():
            stored = _store_issues(connection, batch, project_ids, recorder)
        seen_issues.update(issue.external_id for issue in batch)
        newest_per_batch += [max(issue.last_seen for issue in stored)] if stored else []
    recorder.advance("issues", max(newest_per_batch, default=None))
    recorder.add_scope("issues")
    if recorder.full:
        mark_unseen_deleted(
            SentryIssue, connection, seen_issues, recorder=recorder, announce=SentryIssuesDeleted
        )


def _project_row(connection: Connection, project: RemoteProject) -> SentryProject:
    return SentryProject(
        connection=connection,
        external_id=project.external_id,
        slug=project.slug,
        name=project.name,
        platform=project.platform,
        status=project.status,
        sentry_organization=project.organization_slug,
        is_deleted=False,
    )


def _issue_row(connection: Connection, issue: RemoteIssue, project_pk: int) -> SentryIssue:
    return SentryIssue(
        connection=connection,
        project_id=project_pk,
        external_id=issue.external_id,
        short_id=issue.short_id,
        title=issue.title[:1000],
        culprit=issue.culprit[:1000],
        level=issue.level,
        status=issue.status,
        substatus=issue.substatus,
        event_count=issue.event_count,
        user_count=issue.user_count,
        first_seen=issue.first_seen or issue.last_seen,
        last_seen=issue.last_seen or issue.first_seen,
        permalink=issue.permalink,
        assignee_email=issue.assignee_email or "",
        is_deleted=False,
    )


def _store_issues(
    connection: Connection,
    page: list[RemoteIssue],
    project_ids: dict[str, int],
    recorder: RunRecorder | None,
) -> list[RemoteIssue]:
    """Upsert one page of issues; returns those stored (issues of unknown projects are not)."""
    stored = [
        issue for issue in page if issue.project_external_id in project_ids and issue.last_seen
    ]
    # A status or assignee changed here but not yet delivered to Sentry must not be overwritten
    # by Sentry's older value: that field keeps its local value until the outbox has delivered
    # it. Only a pending change of the same field holds back what the pull brings in (a failed
    # note does not freeze the status).
    waiting = set(
        OutboxEntry.objects.filter(
            connection=connection,
            status__in=UNDELIVERED,
            operation__in=(SET_STATUS, ASSIGN),
            ordering_key__any=[issue_ordering_key(issue.external_id) for issue in stored],
        ).values_list("ordering_key", "operation")
    )
    rows = [_issue_row(connection, i, project_ids[i.project_external_id]) for i in stored]
    upsert = BatchUpsert(
        SentryIssue, rows, unique_fields=["connection", "external_id"], update_fields=ISSUE_FIELDS
    )
    before = {}
    for row in rows:
        if current := upsert.stored(row):
            before[row.external_id] = (current["status"], current["assignee_email"])
            key = issue_ordering_key(row.external_id)
            if (key, SET_STATUS) in waiting:
                row.status = current["status"]
            if (key, ASSIGN) in waiting:
                row.assignee_email = current["assignee_email"]
    counts = upsert.write()
    if recorder is not None:
        recorder.count_upsert(SentryIssue, counts, failed=len(page) - len(stored))
    _publish_changes(connection, rows, before)
    announce_rows(SentryIssuesStored, connection, [row.external_id for row in upsert.written])
    return stored


def _publish_changes(
    connection: Connection, rows: list[SentryIssue], before: dict[str, tuple[str, str]]
) -> None:
    """Tell subscribers about issues whose status or assignee changed in Sentry."""
    changed = [
        row
        for row in rows
        if row.external_id in before and before[row.external_id] != (row.status, row.assignee_email)
    ]
    if not changed:
        return
    ids = dict(
        SentryIssue.objects.filter(
            connection=connection, external_id__any=[row.external_id for row in changed]
        ).values_list("external_id", "pk")
    )
    for row in changed:
        old_status, old_assignee = before[row.external_id]
        if old_status != row.status:
            events.publish(
                SentryIssueStatusChanged(
                    issue_id=ids[row.external_id],
                    old_status=old_status,
                    new_status=row.status,
                    origin_connection_id=connection.pk,
                ),
                organization_id=connection.organization_id,
            )
        if old_assignee != row.assignee_email:
            events.publish(
                SentryIssueAssigned(
                    issue_id=ids[row.external_id],
                    email=row.assignee_email,
                    origin_connection_id=connection.pk,
                ),
                organization_id=connection.organization_id,
            )


# -- webhooks ----------------------------------------------------------------------------------


def sentry_verify_webhook(connection: Connection, headers, body: bytes) -> VerifiedWebhook:
    delivery_id, event_type = connector_for(connection).verify_webhook(
        headers, body, connection.webhook_secret
    )
    return VerifiedWebhook(delivery_id=delivery_id, event_type=event_type)


def sentry_apply_webhook(delivery: WebhookDelivery) -> bool:
    """Apply an issue webhook; other resources are stored and ignored."""
    connection = delivery.connection
    event = connector_for(connection).parse_webhook(delivery.event_type, delivery.body.encode())
    if isinstance(event, CommentEvent):
        return _apply_comment_event(connection, event)
    if not isinstance(event, IssueEvent):
        return False
    project_ids = dict(
        SentryProject.objects.filter(
            connection=connection, external_id=event.issue.project_external_id
        ).values_list("external_id", "pk")
    )
    if not project_ids:
        logger.info("monitoring.webhook.unknown_project", extra={"delivery": delivery.pk})
        return False
    _store_issues(connection, [event.issue], project_ids, recorder=None)
    return True


def _apply_comment_event(connection: Connection, event: CommentEvent) -> bool:
    # Notes this integration wrote (copies of tracker comments) are not news.
    if event.action != "created" or event.by_this_integration:
        return False
    issue = SentryIssue.objects.filter(
        connection=connection, external_id=event.comment.issue_external_id
    ).first()
    if issue is None:
        return False
    events.publish(
        SentryIssueCommented(
            issue_id=issue.pk,
            comment_external_id=event.comment.external_id,
            text=event.comment.text,
            origin_connection_id=connection.pk,
        ),
        organization_id=connection.organization_id,
    )
    return True


# -- local changes pushed to Sentry ------------------------------------------------------------


@transaction.atomic
def sentry_issue_set_status(
    *, issue: SentryIssue, status: str, origin: Connection | None = None
) -> SentryIssue:
    """Resolve, ignore or reopen an issue here; Sentry follows through the outbox."""
    if status not in IssueStatus.values:
        raise ValidationFailed(
            "Unknown status.", fields={"status": [f'"{status}" is not a valid choice.']}
        )
    issue = SentryIssue.objects.select_for_update().select_related("connection").get(pk=issue.pk)
    if issue.status == status:
        return issue
    old_status = issue.status
    issue.status = status
    issue.save(update_fields=["status", "synced_at"])
    outbox_add(
        connection=issue.connection,
        operation_name=SET_STATUS,
        ordering_key=issue_ordering_key(issue.external_id),
        payload={"issue": issue.pk, "status": status},
        origin=origin,
    )
    events.publish(
        SentryIssueStatusChanged(
            issue_id=issue.pk,
            old_status=old_status,
            new_status=status,
            origin_connection_id=origin.pk if origin else None,
        ),
        organization_id=issue.connection.organization_id,
    )
    return issue


@transaction.atomic
def sentry_issue_comment(
    *, issue: SentryIssue, text: str, origin: Connection | None = None
) -> None:
    """Leave a note on the Sentry issue (through the outbox).

    Notes keep their own order, apart from the issue's status and assignee: a note the server
    refuses must not hold back a status change behind it.
    """
    outbox_add(
        connection=issue.connection,
        operation_name=ADD_COMMENT,
        ordering_key=f"{issue_ordering_key(issue.external_id)}:notes",
        payload={"issue": issue.pk, "text": text},
        origin=origin,
    )


@transaction.atomic
def sentry_issue_assign(
    *, issue: SentryIssue, email: str, origin: Connection | None = None
) -> SentryIssue:
    """Assign the issue to the Sentry user with this email (empty: unassign); Sentry follows."""
    issue = SentryIssue.objects.select_for_update().select_related("connection").get(pk=issue.pk)
    if issue.assignee_email == email:
        return issue
    issue.assignee_email = email
    issue.save(update_fields=["assignee_email", "synced_at"])
    outbox_add(
        connection=issue.connection,
        operation_name=ASSIGN,
        ordering_key=issue_ordering_key(issue.external_id),
        payload={"issue": issue.pk, "email": email},
        origin=origin,
    )
    return issue


def _entry_issue(entry: OutboxEntry) -> SentryIssue | None:
    """The issue an outbox entry is about (None if it was deleted meanwhile)."""
    return SentryIssue.objects.filter(pk=entry.payload["issue"]).first()


def deliver_assign(entry: OutboxEntry) -> dict:
    if (issue := _entry_issue(entry)) is None:
        return {"skipped": "issue deleted"}
    remote = connector_for(entry.connection).assign(
        issue.external_id, entry.payload["email"] or None
    )
    return {"assignee": entry.payload["email"] if remote is None else remote.assignee_email}


def deliver_set_status(entry: OutboxEntry) -> dict:
    if (issue := _entry_issue(entry)) is None:
        return {"skipped": "issue deleted"}
    remote = connector_for(entry.connection).set_status(issue.external_id, entry.payload["status"])
    return {"status": entry.payload["status"] if remote is None else remote.status}


def deliver_comment(entry: OutboxEntry) -> dict:
    if (issue := _entry_issue(entry)) is None:
        return {"skipped": "issue deleted"}
    comment = connector_for(entry.connection).add_comment(issue.external_id, entry.payload["text"])
    return {"comment": "" if comment is None else comment.external_id}


def sentry_test_connection(connection: Connection) -> str:
    return connector_for(connection).whoami()


def sentry_issue_project_ids(*, organization, issue_ids: list[int]) -> list[int]:
    """The distinct projects behind some issues of an organization; unknown issue ids are an error."""
    wanted = set(issue_ids)
    found = dict(
        SentryIssue.objects.filter(
            connection__organization=organization, pk__in=wanted
        ).values_list("pk", "project_id")
    )
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationFailed(
            "Unknown issues.",
            fields={"issue_ids": [f"Unknown ids: {', '.join(map(str, unknown))}."]},
        )
    return sorted(set(found.values()))
