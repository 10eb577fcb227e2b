"""Sentry behind the MonitoringConnector protocol: our words outside, Sentry's inside."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import datetime

from switchyard.core.exceptions import RemoteNotFound, WebhookInvalid
from switchyard.core.webhooks import delivery_id
from switchyard.monitoring.connectors.base import (
    CommentEvent,
    IssueEvent,
    RemoteComment,
    RemoteIssue,
    RemoteProject,
)
from switchyard.monitoring.connectors.sentry import webhooks
from switchyard.monitoring.connectors.sentry.client import SentryClient
from switchyard.monitoring.connectors.sentry.mapping import (
    SentryComment,
    SentryIssue,
    SentryProject,
)


def _issue(issue: SentryIssue) -> RemoteIssue:
    return RemoteIssue(
        external_id=issue.id,
        short_id=issue.short_id,
        title=issue.title,
        culprit=issue.culprit or "",
        level=issue.level,
        status=issue.status,
        substatus=issue.substatus or "",
        event_count=issue.count,
        user_count=issue.user_count,
        first_seen=issue.first_seen,
        last_seen=issue.last_seen,
        permalink=issue.permalink or "",
        project_external_id=issue.project_id,
        assignee_email=issue.assignee_email or "",
    )


def _comment(comment: SentryComment) -> RemoteComment:
    return RemoteComment(
        external_id=comment.id,
        issue_external_id=comment.issue_id,
        text=comment.text,
        author_email=comment.author_email,
        created_at=comment.date_created,
    )


class SentryConnector:
    kind = "sentry"
    label = "Sentry"
    required_fields = ("remote_organization", "api_token")
    default_base_url = "https://sentry.io"

    def __init__(
        self, *, base_url: str, token: str, organization: str, timeout: float = 10.0
    ) -> None:
        self.organization = organization
        self._settings = (base_url, token, timeout)

    @classmethod
    def from_connection(cls, connection) -> SentryConnector:
        return cls(
            base_url=connection.base_url,
            token=connection.api_token,
            organization=connection.remote_organization,
        )

    @functools.cached_property
    def client(self) -> SentryClient:
        # Built on first use: verifying a webhook needs only the secret and the body.
        base_url, token, timeout = self._settings
        return SentryClient(base_url, token=token, organization=self.organization, timeout=timeout)

    def whoami(self) -> str:
        identity = self.client.get_identity()
        visible = sorted(org.slug for org in self.client.list_organizations())
        if self.organization not in visible:
            raise RemoteNotFound(
                f"No Sentry organization {self.organization!r} is visible to this token"
                f" (it sees: {', '.join(visible) or 'none'})."
            )
        who = identity.email or identity.username or identity.name
        return who or f"an organization token with scopes {', '.join(identity.scopes) or 'none'}"

    def _project(self, project: SentryProject) -> RemoteProject:
        return RemoteProject(
            external_id=project.id,
            slug=project.slug,
            name=project.name,
            platform=project.platform or "",
            status="active",
            organization_slug=self.organization,
        )

    def iter_projects(self) -> Iterator[RemoteProject]:
        return (self._project(project) for project in self.client.iter_projects())

    def iter_issues(
        self, *, seen_since: datetime | None, every_status: bool
    ) -> Iterator[RemoteIssue]:
        status = None if every_status else "unresolved"
        return (
            _issue(issue)
            for issue in self.client.iter_issues(status=status, last_seen_since=seen_since)
        )

    # Writes answer None when the remote accepted the change but its answer could not be read.

    def set_status(self, external_id: str, status: str) -> RemoteIssue | None:
        issue = self.client.update_issue_status(external_id, status)
        return None if issue is None else _issue(issue)

    def add_comment(self, external_id: str, text: str) -> RemoteComment | None:
        comment = self.client.create_comment(external_id, text)
        return None if comment is None else _comment(comment)

    def assign(self, external_id: str, email: str | None) -> RemoteIssue | None:
        issue = self.client.assign_issue(external_id, email)
        return None if issue is None else _issue(issue)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, secret: str
    ) -> tuple[str, str]:
        if not webhooks.verify_signature(body, headers.get(webhooks.SIGNATURE_HEADER), secret):
            raise WebhookInvalid("Missing or wrong Sentry-Hook-Signature.")
        # Sentry signs neither the timestamp nor the Request-ID, so this only turns away late
        # deliveries: a replayed body with a fresh timestamp passes, and the inbox refuses it.
        if not webhooks.timestamp_is_fresh(headers.get(webhooks.TIMESTAMP_HEADER)):
            raise WebhookInvalid("Sentry-Hook-Timestamp is missing or outside the allowed window.")
        resource = headers.get(webhooks.RESOURCE_HEADER) or "unknown"
        return delivery_id(headers, webhooks.REQUEST_ID_HEADER, body), resource

    def parse_webhook(self, event_type: str, body: bytes) -> IssueEvent | CommentEvent | None:
        try:
            if event_type == "issue":
                event = webhooks.parse_issue_webhook(body)
                return IssueEvent(
                    action=event.action,
                    issue=_issue(event.issue),
                    by_this_integration=_by_integration(event.actor),
                )
            if event_type == "comment":
                event = webhooks.parse_comment_webhook(body)
                comment = RemoteComment(
                    external_id=event.comment_id,
                    issue_external_id=event.issue_id,
                    text=event.text,
                    author_email=None,
                    created_at=event.timestamp,
                )
                return CommentEvent(
                    action=event.action,
                    comment=comment,
                    by_this_integration=_by_integration(event.actor),
                )
        except webhooks.InvalidWebhook as error:
            raise WebhookInvalid(str(error)) from error
        return None


def _by_integration(actor: webhooks.SentryActor | None) -> bool:
    # Changes made through the integration's own token come back with an "application" actor.
    return actor is not None and actor.type == "application"
