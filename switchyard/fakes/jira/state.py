"""The fake Jira's state: people, projects, issues and their indexes, changes and webhooks.

Test-side mutators here simulate people acting in the Jira UI; each change bumps the issue's
update time (keeping the update-time index sorted) and emits the webhook Jira would send.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from switchyard.fakes.jira.model import (
    ISSUE_TYPES,
    Comment,
    Issue,
    Project,
    Renderer,
    Status,
    User,
    default_workflow,
    millis,
    text_to_adf,
)
from switchyard.fakes.jira.webhooks import WebhookSender


class JiraState:
    """Everything a Jira site holds, with the changes people and the REST API make to it."""

    def __init__(
        self, email: str, *, site_url: str, time_zone: str, clock: Callable[[], datetime] | None
    ) -> None:
        # FakeServer provides the lock when the state backs a server; alone it needs its own.
        self.lock = getattr(self, "lock", None) or threading.RLock()
        self.site_url = site_url
        self.users: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.by_key: dict[str, Issue] = {}
        self.by_updated: list[tuple[int, int]] = []  # (updated ms, issue id), sorted
        self.by_label: dict[str, set[int]] = {}
        self._ids = {"issue": 10000, "comment": 10000, "project": 10000, "changelog": 10000}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_now: datetime | None = None
        self.renderer = Renderer(self.site_url, self.users)
        self.webhooks = WebhookSender()
        # Every delivery sent so far, as (headers, body).
        self.sent_webhooks: list[tuple[dict[str, str], bytes]] = self.webhooks.sent
        self.bot = self.add_user(email, "Switchyard Bot", time_zone=time_zone)

    def add_user(
        self, email: str, display_name: str, *, time_zone: str = "UTC", email_visible: bool = True
    ) -> User:
        """Add a person to the site; returns the user with its generated account id."""
        digest = hashlib.sha1(email.lower().encode()).hexdigest()
        return self._register(
            User(f"557058:{digest[:32]}", display_name, email, time_zone, email_visible)
        )

    def _register(self, user: User) -> User:
        with self.lock:
            self.users[user.account_id] = user
        return user

    def add_project(
        self, key: str, name: str, *, lead: str | None = None, done_transitions: bool = True
    ) -> Project:
        """Add a project with the default workflow (optionally with no way into a done status)."""
        with self.lock:
            statuses, transitions = default_workflow(done_transitions=done_transitions)
            lead_user = self.user_by_email(lead) if lead else self.bot
            project = Project(
                self._next_id("project"),
                key.upper(),
                name,
                lead_user.account_id,
                statuses,
                transitions,
            )
            self.projects[project.key] = project
            return project

    def user_by_email(self, email: str) -> User:
        """The user with an email (KeyError when there is none)."""
        for user in self.users.values():
            if user.email.lower() == email.lower():
                return user
        raise KeyError(email)

    def issue(self, key: str) -> Issue:
        """The stored issue with a key (KeyError when there is none), for test assertions."""
        return self.by_key[key.upper()]

    # -- webhooks ------------------------------------------------------------------------

    def subscribe_webhooks(self, url: str | None, secret: str) -> None:
        """Deliver webhooks signed with ``secret``; POST them to ``url`` unless it is None."""
        self.webhooks.subscribe(url, secret)

    def build_webhook(
        self,
        event: str,
        key: str,
        *,
        changelog: list[dict[str, Any]] | None = None,
        comment_id: str | None = None,
        by: str | None = None,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed delivery of ``event`` for an issue, built but not sent."""
        with self.lock:
            issue = self.issue(key)
            actor = self.user_by_email(by) if by else self.bot
            return self.webhooks.build(
                self._webhook_payload(event, issue, actor, changelog, comment_id), secret=secret
            )

    def _webhook_payload(
        self,
        event: str,
        issue: Issue,
        actor: User,
        changelog: list[dict[str, Any]] | None,
        comment_id: str | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "timestamp": millis(self._clock()),
            "webhookEvent": event,
            "user": self.renderer.user(actor),
            "issue": self.renderer.issue(issue),
        }
        if event.startswith("jira:issue_"):
            payload["issue_event_type_name"] = (
                "issue_created" if event.endswith("created") else "issue_generic"
            )
        if changelog is not None:
            payload["changelog"] = {"id": self._next_id("changelog"), "items": changelog}
        if comment_id is not None:
            comment = next(c for c in issue.comments if c.id == comment_id)
            payload["comment"] = self.renderer.comment(issue, comment)
        return payload

    def _emit(
        self,
        event: str,
        issue: Issue,
        actor: User,
        *,
        changelog: list[dict[str, Any]] | None = None,
        comment_id: str | None = None,
    ) -> None:
        if self.webhooks.subscribed:
            self.webhooks.send(self._webhook_payload(event, issue, actor, changelog, comment_id))

    # -- people acting in the Jira UI (test-side mutators) -------------------------------

    def create_issue_as_user(
        self,
        project_key: str,
        summary: str,
        *,
        reporter: str | None = None,
        description: str = "",
        issue_type: str = "Task",
        priority: str = "Medium",
        labels: Iterable[str] = (),
        assignee: str | None = None,
    ) -> str:
        """A person creates an issue in the UI; returns its key."""
        with self.lock:
            person = self._person(reporter)
            issue = self._new_issue(
                self.projects[project_key.upper()],
                summary=summary,
                description=text_to_adf(description) if description else None,
                issue_type=next(t for t in ISSUE_TYPES if t[1] == issue_type),
                priority=priority,
                labels=list(labels),
                reporter_id=person.account_id,
                assignee_id=self.user_by_email(assignee).account_id if assignee else None,
                created=self._now(),
            )
            self._emit("jira:issue_created", issue, person)
            return issue.key

    def transition_by_name(self, key: str, status_name: str, *, by: str | None = None) -> None:
        """A person moves an issue to a status through an available transition (else ValueError)."""
        with self.lock:
            issue = self.issue(key)
            options = [
                t for t in issue.project.transitions_from(issue.status) if t.to.name == status_name
            ]
            if not options:
                raise ValueError(f"no transition from {issue.status.name!r} to {status_name!r}")
            self._transition(issue, options[0].to, self._person(by))

    def add_comment(self, key: str, text: str, *, author: str | None = None) -> str:
        """A person comments on an issue; returns the comment id."""
        with self.lock:
            issue = self.issue(key)
            person = self._person(author)
            comment = self._new_comment(issue, person.account_id, text_to_adf(text), self._now())
            self._touch(issue, issue.updated)
            self._emit("comment_created", issue, person, comment_id=comment.id)
            return comment.id

    def assign(self, key: str, email: str | None, *, by: str | None = None) -> None:
        """A person assigns an issue to someone (None unassigns)."""
        with self.lock:
            issue = self.issue(key)
            new = self.user_by_email(email).account_id if email else None
            self._update(issue, {"assignee": new}, self._person(by))

    def _person(self, email: str | None) -> User:
        if email:
            return self.user_by_email(email)
        humans = [u for u in self.users.values() if u is not self.bot]
        return humans[0] if humans else self.add_user("ada.lovelace@example.com", "Ada Lovelace")

    # -- state changes ---------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_now is not None and now <= self._last_now:
            now = self._last_now + timedelta(milliseconds=1)
        self._last_now = now
        return now

    def _next_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return str(self._ids[kind])

    def _new_issue(
        self,
        project: Project,
        *,
        summary: str,
        description: dict[str, Any] | None,
        issue_type: tuple[str, str],
        priority: str | None,
        labels: list[str],
        reporter_id: str | None,
        assignee_id: str | None,
        created: datetime,
        index: bool = True,
    ) -> Issue:
        number = project.next_number
        project.next_number += 1
        issue = Issue(
            id=int(self._next_id("issue")),
            key=f"{project.key}-{number}",
            number=number,
            project=project,
            summary=summary,
            description=description,
            issue_type=issue_type,
            status=project.statuses[0],
            priority=priority,
            labels=labels,
            assignee_id=assignee_id,
            reporter_id=reporter_id,
            created=created,
            updated=created,
        )
        self.issues[issue.id] = issue
        self.by_key[issue.key] = issue
        for label in labels:
            self.by_label.setdefault(label, set()).add(issue.id)
        if index:
            bisect.insort(self.by_updated, (millis(issue.updated), issue.id))
        return issue

    def _new_comment(
        self, issue: Issue, author_id: str, body: dict[str, Any], when: datetime
    ) -> Comment:
        comment = Comment(self._next_id("comment"), author_id, body, when, when)
        issue.comments.append(comment)
        return comment

    def _touch(self, issue: Issue, previous: datetime) -> None:
        """Bump the update time and move the issue to the end of the update-time index."""
        entry = (millis(previous), issue.id)
        position = bisect.bisect_left(self.by_updated, entry)
        if position < len(self.by_updated) and self.by_updated[position] == entry:
            del self.by_updated[position]
        issue.updated = self._now()
        bisect.insort(self.by_updated, (millis(issue.updated), issue.id))

    def _transition(self, issue: Issue, to: Status, actor: User) -> None:
        old = issue.status
        items = [_change("status", old.id, old.name, to.id, to.name)]
        previous = issue.updated
        issue.status = to
        self._touch(issue, previous)
        if to.category == "done" and old.category != "done":
            issue.resolved = issue.updated
            items.append(_change("resolution", None, None, "10000", to.name))
        elif to.category != "done" and old.category == "done":
            issue.resolved = None
            items.append(_change("resolution", "10000", old.name, None, None))
        self._emit("jira:issue_updated", issue, actor, changelog=items)

    def _update(self, issue: Issue, values: dict[str, Any], actor: User) -> None:
        items = []
        for name, value in values.items():
            old = getattr(issue, _ATTRS[name])
            if old == value:
                continue
            items.append(self._field_change(name, old, value))
            if name == "labels":
                for label in old:
                    self.by_label.get(label, set()).discard(issue.id)
                for label in value:
                    self.by_label.setdefault(label, set()).add(issue.id)
            setattr(issue, _ATTRS[name], value)
        if items:
            self._touch(issue, issue.updated)
            self._emit("jira:issue_updated", issue, actor, changelog=items)

    def _field_change(self, name: str, old: Any, new: Any) -> dict[str, Any]:
        if name == "assignee":
            names = [self.users[a].display_name if a else None for a in (old, new)]
            return _change("assignee", old, names[0], new, names[1])
        if name == "labels":
            return _change("labels", None, " ".join(old), None, " ".join(new))
        if name == "description":
            return _change(
                "description", None, "(ADF)" if old else None, None, "(ADF)" if new else None
            )
        return _change(name, None, old, None, new)


_ATTRS = {
    "summary": "summary",
    "description": "description",
    "priority": "priority",
    "labels": "labels",
    "assignee": "assignee_id",
}


def _change(field: str, old_id: Any, old: Any, new_id: Any, new: Any) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": old_id,
        "fromString": old,
        "to": new_id,
        "toString": new,
    }
