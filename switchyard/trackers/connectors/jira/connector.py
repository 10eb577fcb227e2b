"""Jira Cloud behind the TrackerConnector protocol."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from datetime import datetime

from switchyard.core.exceptions import RemoteBadResponse, WebhookInvalid
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
from switchyard.trackers.connectors.jira import webhooks
from switchyard.trackers.connectors.jira.client import UNSET, JiraClient
from switchyard.trackers.connectors.jira.mapping import JiraComment, JiraIssue, JiraUser

# Jira's three status categories; "canceled" statuses (Won't Do) live in Jira's done category.
CATEGORIES = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
JIRA_CATEGORY_FOR = {
    "todo": "new",
    "in_progress": "indeterminate",
    "done": "done",
    "canceled": "done",
}
IDEMPOTENCY_LABEL = "sy-{}"
MAX_TRANSITION_STEPS = 3


def _email(user: JiraUser | None) -> str:
    return (user.email or "") if user else ""


class JiraConnector:
    kind = "jira"
    label = "Jira Cloud"
    required_fields = ("account_email", "api_token")
    default_base_url = ""  # every site has its own: https://<site>.atlassian.net
    default_priorities = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Highest"}
    customer_issue_contract = False

    def __init__(self, *, base_url: str, email: str, token: str, timeout: float = 10.0) -> None:
        self._settings = (base_url, email, token, timeout)

    @classmethod
    def from_connection(cls, connection) -> JiraConnector:
        return cls(
            base_url=connection.base_url, email=connection.account_email, token=connection.api_token
        )

    @functools.cached_property
    def client(self) -> JiraClient:
        # Built on first use: verifying a webhook needs only the secret and the body.
        base_url, email, token, timeout = self._settings
        return JiraClient(base_url, email=email, api_token=token, timeout=timeout)

    @functools.cached_property
    def me(self) -> JiraUser:
        return self.client.myself()

    def whoami(self) -> str:
        return (
            f"{self.me.display_name} <{self.me.email}>" if self.me.email else self.me.display_name
        )

    def iter_projects(self) -> Iterator[RemoteTrackerProject]:
        for project in self.client.iter_projects():
            yield RemoteTrackerProject(
                external_id=project.id,
                key=project.key,
                name=project.name,
                project_type=project.project_type,
                lead=project.lead.display_name if project.lead else "",
            )

    def statuses(self, project: RemoteTrackerProject) -> list[RemoteStatus]:
        # Jira statuses are learnt from the tickets and transitions seen: no extra call per project.
        return []

    def _ticket(self, issue: JiraIssue) -> RemoteTicket:
        return RemoteTicket(
            external_id=issue.id,
            key=issue.key,
            url=issue.url,
            project_external_id=issue.project_key,
            summary=issue.summary,
            description=issue.description,
            issue_type=issue.issue_type,
            status=issue.status,
            status_category=CATEGORIES.get(issue.status_category, "todo"),
            priority=issue.priority or "",
            assignee_email=_email(issue.assignee),
            reporter_email=_email(issue.reporter),
            created_at=issue.created,
            updated_at=issue.updated,
            resolved_at=issue.resolved,
            labels=issue.labels,
        )

    def _comment(self, ticket_external_id: str, comment: JiraComment) -> RemoteComment:
        return RemoteComment(
            external_id=comment.id,
            ticket_external_id=ticket_external_id,
            body=comment.body,
            author_email=_email(comment.author),
            by_this_connection=bool(
                comment.author and comment.author.account_id == self.me.account_id
            ),
            created_at=comment.created,
        )

    def iter_tickets(
        self, projects: list[RemoteTrackerProject], *, updated_since: datetime | None
    ) -> Iterator[RemoteTicket]:
        keys = [project.key for project in projects]
        if not keys:
            return iter(())
        return (
            self._ticket(issue)
            for issue in self.client.iter_issues_updated_since(keys, updated_since)
        )

    def recent_tickets(self, project: RemoteTrackerProject, *, limit: int) -> list[RemoteTicket]:
        return [self._ticket(issue) for issue in self.client.recent_issues([project.key], limit)]

    def get_ticket(self, external_id: str) -> RemoteTicket:
        return self._ticket(self.client.get_issue(external_id))

    def find_created(self, idempotency_key: str) -> RemoteTicket | None:
        issue = self.client.find_issue_by_label(IDEMPOTENCY_LABEL.format(idempotency_key))
        return self._ticket(issue) if issue else None

    def _account_id(self, email: str) -> str | None:
        user = self.client.find_user_by_email(email) if email else None
        return user.account_id if user else None

    def create_ticket(self, new: NewTicket, *, idempotency_key: str) -> RemoteTicket:
        # Jira takes no client-supplied id: a unique label marks the create so that a retry can
        # find what an earlier, timed-out attempt made (see find_created), and so can this one
        # when the remote accepted the create but its answer names no key.
        label = IDEMPOTENCY_LABEL.format(idempotency_key)
        issue = self.client.create_issue(
            project_key=new.project_key,
            summary=new.summary,
            issue_type=new.issue_type,
            description=new.description,
            priority=new.priority or None,
            labels=[*new.labels, label],
            assignee_account_id=self._account_id(new.assignee_email),
        ) or self.client.find_issue_by_label(label)
        if issue is None:
            # Search indexes lag behind creates: the retry looks again before creating.
            raise RemoteBadResponse(
                f"Jira accepted the create but neither its answer nor a search for {label} "
                "names the new issue yet.",
                retryable=True,
            )
        return self._ticket(issue)

    def update_ticket(self, ticket_external_id: str, change: TicketChange) -> RemoteTicket:
        self.client.update_issue(
            ticket_external_id,
            summary=UNSET if change.summary is None else change.summary,
            description=UNSET if change.description is None else change.description,
            priority=UNSET if change.priority is None else change.priority,
        )
        return self.get_ticket(ticket_external_id)

    def move_to(self, ticket_external_id: str, targets: list[str], category: str) -> RemoteTicket:
        """Walk the workflow into the category: a mapped status, else any of its Jira category.

        Reopening into "in progress" may take two transitions (Done → To Do → In Progress), so
        a closed ticket may first step to any open status.
        """
        accepted = {JIRA_CATEGORY_FOR[category]} | (
            {"indeterminate"} if category == "todo" else set()
        )
        for _ in range(MAX_TRANSITION_STEPS):
            issue = self.client.get_issue(ticket_external_id)
            if issue.status in targets or issue.status_category in accepted:
                return self._ticket(issue)
            transitions = self.client.get_transitions(ticket_external_id)
            step = (
                [t for name in targets for t in transitions if t.to_status == name]
                or [t for t in transitions if t.to_status_category in accepted]
                or [
                    t
                    for t in transitions
                    if issue.status_category == "done" != t.to_status_category
                ]
            )
            if not step:
                offered = ", ".join(f"{t.name} → {t.to_status}" for t in transitions) or "none"
                raise StatusNotReachable(
                    f"Jira offers no transition from “{issue.status}” into {', '.join(targets) or category} "
                    f"for {issue.key} (available: {offered})."
                )
            self.client.transition_issue(ticket_external_id, step[0].id)
            if step[0].to_status in targets or step[0].to_status_category in accepted:
                return self.get_ticket(ticket_external_id)
        raise StatusNotReachable(
            f"Jira's workflow did not lead into {category} within {MAX_TRANSITION_STEPS} steps."
        )

    def add_comment(
        self, ticket_external_id: str, body: str, *, idempotency_key: str | None = None
    ) -> RemoteComment | None:
        # Jira comments take no client-supplied id: the key cannot be used here.
        comment = self.client.add_comment(ticket_external_id, body)
        return self._comment(ticket_external_id, comment) if comment else None

    def iter_comments(self, ticket_external_id: str) -> Iterator[RemoteComment]:
        return (
            self._comment(ticket_external_id, c)
            for c in self.client.iter_comments(ticket_external_id)
        )

    def assign(self, ticket_external_id: str, email: str | None) -> RemoteTicket:
        self.client.update_issue(
            ticket_external_id, assignee_account_id=self._account_id(email or "")
        )
        return self.get_ticket(ticket_external_id)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, secret: str
    ) -> tuple[str, str]:
        if not webhooks.verify_signature(secret, body, headers.get(webhooks.SIGNATURE_HEADER)):
            raise WebhookInvalid("Missing or wrong X-Hub-Signature.")
        try:
            event_type = str(json.loads(body).get("webhookEvent", "unknown"))
        except (ValueError, AttributeError):
            event_type = "unknown"
        return delivery_id(headers, webhooks.DELIVERY_HEADER, body), event_type

    def parse_webhook(self, event_type: str, body: bytes) -> TicketEvent | None:
        if not (event_type.startswith("jira:issue_") or event_type.startswith("comment_")):
            return None
        try:
            event = webhooks.parse_webhook(body)
        except webhooks.InvalidWebhook as error:
            raise WebhookInvalid(str(error)) from error
        comment = self._comment(event.issue_id, event.comment) if event.comment else None
        if event.issue is not None:
            ticket: RemoteTicket | None = self._ticket(event.issue)
        elif event_type.startswith("jira:issue_"):
            ticket = self.get_ticket(event.issue_id)  # the payload's issue was trimmed
        else:
            ticket = None
        return TicketEvent(
            ticket=ticket,
            ticket_external_id=event.issue_id,
            comment=comment,
            by_this_connection=bool(event.user and event.user.account_id == self.me.account_id),
        )
