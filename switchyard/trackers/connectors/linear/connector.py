"""Linear behind the TrackerConnector protocol."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from datetime import datetime

from switchyard.core.exceptions import RemoteNotFound, WebhookInvalid, WebhookMalformed
from switchyard.core.webhooks import delivery_id
from switchyard.trackers.connectors.base import (
    NewTicket,
    RemoteComment,
    RemoteStatus,
    RemoteTicket,
    RemoteTrackerProject,
    StatusNotReachable,
    TicketChange,
    TicketEvent,
)
from switchyard.trackers.connectors.linear import webhooks
from switchyard.trackers.connectors.linear.client import LinearClient
from switchyard.trackers.connectors.linear.mapping import (
    LinearComment,
    LinearIssue,
    LinearUser,
    parse_datetime,
)

# Linear's workflow state types, in our categories.
CATEGORIES = {
    "triage": "todo",
    "backlog": "todo",
    "unstarted": "todo",
    "started": "in_progress",
    "completed": "done",
    "canceled": "canceled",
}


def _email(user: LinearUser | None) -> str:
    return user.email if user else ""


class LinearConnector:
    kind = "linear"
    label = "Linear"
    required_fields = ("api_token",)
    default_base_url = "https://api.linear.app/graphql"
    # Linear's priority numbers: 1 urgent .. 4 low (0 is none).
    default_priorities = {"low": "4", "medium": "3", "high": "2", "urgent": "1"}
    customer_issue_contract = True

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self._settings = (base_url, api_key, timeout)

    @classmethod
    def from_connection(cls, connection) -> LinearConnector:
        return cls(base_url=connection.base_url, api_key=connection.api_token)

    @functools.cached_property
    def client(self) -> LinearClient:
        # Built on first use: verifying a webhook needs only the secret and the body.
        base_url, api_key, timeout = self._settings
        return LinearClient(base_url, api_key=api_key, timeout=timeout)

    @functools.cached_property
    def me(self) -> LinearUser:
        return self.client.viewer()

    def whoami(self) -> str:
        return f"{self.me.name} <{self.me.email}>"

    def iter_projects(self) -> Iterator[RemoteTrackerProject]:
        for team in self.client.iter_teams():
            yield RemoteTrackerProject(
                external_id=team.id, key=team.key, name=team.name, project_type="team", lead=""
            )

    def statuses(self, project: RemoteTrackerProject) -> list[RemoteStatus]:
        return [
            RemoteStatus(
                external_id=state.id, name=state.name, category=CATEGORIES.get(state.type, "todo")
            )
            for state in self.client.workflow_states(project.external_id)
        ]

    def _ticket(self, issue: LinearIssue) -> RemoteTicket:
        return RemoteTicket(
            external_id=issue.id,
            key=issue.identifier,
            url=issue.url,
            project_external_id=issue.team_id,
            summary=issue.title,
            description=issue.description,
            issue_type="Issue",
            status=issue.state.name,
            status_category=CATEGORIES.get(issue.state.type, "todo"),
            priority=str(issue.priority),
            assignee_email=_email(issue.assignee),
            reporter_email=_email(issue.creator),
            created_at=issue.created_at,
            updated_at=issue.updated_at,
            resolved_at=issue.completed_at or issue.canceled_at,
            labels=issue.labels,
        )

    def _comment(self, comment: LinearComment) -> RemoteComment:
        return RemoteComment(
            external_id=comment.id,
            ticket_external_id=comment.issue_id,
            body=comment.body,
            author_email=_email(comment.user),
            by_this_connection=bool(comment.user and comment.user.id == self.me.id),
            created_at=comment.created_at,
        )

    def iter_tickets(
        self, projects: list[RemoteTrackerProject], *, updated_since: datetime | None
    ) -> Iterator[RemoteTicket]:
        for project in projects:
            for issue in self.client.iter_issues(project.external_id, updated_since=updated_since):
                yield self._ticket(issue)

    def recent_tickets(self, project: RemoteTrackerProject, *, limit: int) -> list[RemoteTicket]:
        return [
            self._ticket(issue) for issue in self.client.recent_issues(project.external_id, limit)
        ]

    def get_ticket(self, external_id: str) -> RemoteTicket:
        return self._ticket(self.client.get_issue(external_id))

    def find_created(self, idempotency_key: str) -> RemoteTicket | None:
        # The idempotency key is the issue's own id (issueCreate takes a client-supplied id).
        try:
            return self.get_ticket(idempotency_key)
        except RemoteNotFound:
            return None

    def _user_id(self, email: str) -> str | None:
        user = self.client.find_user_by_email(email) if email else None
        return user.id if user else None

    def create_ticket(self, new: NewTicket, *, idempotency_key: str) -> RemoteTicket:
        # Labels go by id: those missing are created first, and a retry of this create finds
        # them by name, so repeating it makes neither a second label nor a second issue.
        label_ids = self.client.issue_label_ids(new.project_external_id, new.labels)
        issue = self.client.create_issue(
            issue_id=idempotency_key,
            team_id=new.project_external_id,
            title=new.summary,
            description=new.description,
            priority=int(new.priority) if new.priority.isdigit() else None,
            assignee_id=self._user_id(new.assignee_email),
            label_ids=label_ids,
        )
        return self._ticket(issue)

    def update_ticket(self, ticket_external_id: str, change: TicketChange) -> RemoteTicket:
        fields = {
            "title": change.summary,
            "description": change.description,
            "priority": int(change.priority)
            if change.priority and change.priority.isdigit()
            else None,
        }
        fields = {name: value for name, value in fields.items() if value is not None}
        if not fields:
            return self.get_ticket(ticket_external_id)
        return self._ticket(self.client.update_issue(ticket_external_id, **fields))

    def move_to(self, ticket_external_id: str, targets: list[str], category: str) -> RemoteTicket:
        """Linear lets an issue go to any state of its team: the mapped one, else the first of the category."""
        issue = self.client.get_issue(ticket_external_id)
        if issue.state.name in targets or (
            not targets and CATEGORIES.get(issue.state.type) == category
        ):
            return self._ticket(issue)
        states = sorted(
            self.client.workflow_states(issue.team_id), key=lambda state: state.position
        )
        chosen = [s for name in targets for s in states if s.name == name] or [
            s for s in states if CATEGORIES.get(s.type) == category
        ]
        if not chosen:
            raise StatusNotReachable(
                f"Linear team of {issue.identifier} has no state for {category}."
            )
        return self._ticket(self.client.update_issue(ticket_external_id, stateId=chosen[0].id))

    def add_comment(
        self, ticket_external_id: str, body: str, *, idempotency_key: str | None = None
    ) -> RemoteComment | None:
        comment = self.client.create_comment(
            issue_id=ticket_external_id, body=body, comment_id=idempotency_key
        )
        return self._comment(comment) if comment else None

    def iter_comments(self, ticket_external_id: str) -> Iterator[RemoteComment]:
        return (self._comment(comment) for comment in self.client.iter_comments(ticket_external_id))

    def assign(self, ticket_external_id: str, email: str | None) -> RemoteTicket:
        return self._ticket(
            self.client.update_issue(ticket_external_id, assigneeId=self._user_id(email or ""))
        )

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, secret: str
    ) -> tuple[str, str]:
        try:
            data = webhooks.verify(secret, body, headers.get(webhooks.SIGNATURE_HEADER))
        except webhooks.MalformedWebhook as error:
            raise WebhookMalformed(str(error)) from error
        except webhooks.InvalidWebhook as error:
            raise WebhookInvalid(str(error)) from error
        event_type = f"{data.get('type', 'unknown')}.{data.get('action', 'unknown')}"
        return delivery_id(headers, webhooks.DELIVERY_HEADER, body), event_type

    def parse_webhook(self, event_type: str, body: bytes) -> TicketEvent | None:
        try:
            event = webhooks.parse(json.loads(body))
        except (ValueError, webhooks.InvalidWebhook) as error:
            raise WebhookInvalid(str(error)) from error
        if event.type == "Issue" and event.action in ("create", "update"):
            # The webhook's issue shape differs from the API's: read the issue as it is now.
            ticket = self.get_ticket(str(event.data["id"]))
            return TicketEvent(ticket=ticket, ticket_external_id=ticket.external_id)
        if event.type == "Comment" and event.action == "create":
            user = event.data.get("user") or {}
            comment = RemoteComment(
                external_id=str(event.data["id"]),
                ticket_external_id=str(event.data["issueId"]),
                body=str(event.data.get("body", "")),
                author_email=str(user.get("email") or ""),
                by_this_connection=str(event.data.get("userId") or user.get("id")) == self.me.id,
                created_at=parse_datetime(event.data["createdAt"]),
            )
            return TicketEvent(
                ticket=None, ticket_external_id=comment.ticket_external_id, comment=comment
            )
        return None
