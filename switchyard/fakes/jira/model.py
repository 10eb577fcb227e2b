"""The fake Jira's state (users, projects with workflows, issues, comments) and its JSON.

JSON shapes follow the Jira Cloud REST API v3 as its OpenAPI spec describes them; timestamps
use Jira's own ``2024-05-01T10:00:00.000+0000`` form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from switchyard.fakes.base import FakeResponse, json_response

CATEGORIES: dict[str, tuple[int, str, str]] = {
    # key: (id, name, colour), as GET /rest/api/3/statuscategory lists them.
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
PRIORITIES: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest")
ISSUE_TYPES: tuple[tuple[str, str], ...] = (("10001", "Task"), ("10002", "Bug"), ("10003", "Story"))


def jira_time(moment: datetime) -> str:
    """Jira's timestamp form: milliseconds and a ``+0000`` offset."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Status:
    id: str
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class Transition:
    id: str
    name: str
    to: Status
    sources: frozenset[str]  # status names it can start from


@dataclass(slots=True)
class User:
    account_id: str
    display_name: str
    email: str
    time_zone: str = "UTC"
    email_visible: bool = True
    account_type: str = "atlassian"


@dataclass(slots=True)
class Project:
    id: str
    key: str
    name: str
    lead_id: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]
    type_key: str = "software"
    next_number: int = 1

    def status(self, name: str) -> Status:
        return next(status for status in self.statuses if status.name == name)

    def transitions_from(self, status: Status) -> list[Transition]:
        return [t for t in self.transitions if status.name in t.sources and t.to != status]


@dataclass(slots=True)
class Comment:
    id: str
    author_id: str
    body: dict[str, Any]
    created: datetime
    updated: datetime


@dataclass(slots=True)
class Issue:
    id: int
    key: str
    number: int
    project: Project
    summary: str
    description: dict[str, Any] | None
    issue_type: tuple[str, str]
    status: Status
    priority: str | None
    labels: list[str]
    assignee_id: str | None
    reporter_id: str | None
    created: datetime
    updated: datetime
    resolved: datetime | None = None
    comments: list[Comment] = field(default_factory=list)

    @property
    def resolution(self) -> str | None:
        return self.status.name if self.status.category == "done" else None


def default_workflow(
    *, done_transitions: bool = True
) -> tuple[tuple[Status, ...], tuple[Transition, ...]]:
    """Statuses and transitions of a classic software workflow.

    ``done_transitions=False`` leaves out every way into a done status, for tests of a
    transition that cannot happen.
    """
    todo = Status("10000", "To Do", "new")
    doing = Status("3", "In Progress", "indeterminate")
    review = Status("10001", "In Review", "indeterminate")
    done = Status("10002", "Done", "done")
    wont = Status("10003", "Won't Do", "done")
    open_states = frozenset({"To Do", "In Progress", "In Review"})
    transitions = [
        Transition("11", "Start Progress", doing, frozenset({"To Do", "In Review"})),
        Transition("21", "Submit for Review", review, frozenset({"In Progress"})),
        Transition("31", "Back to To Do", todo, frozenset({"In Progress", "In Review"})),
        Transition("61", "Reopen", todo, frozenset({"Done", "Won't Do"})),
    ]
    if done_transitions:
        transitions += [
            Transition("41", "Done", done, open_states),
            Transition("51", "Won't Do", wont, open_states),
        ]
    return (todo, doing, review, done, wont), tuple(transitions)


class Renderer:
    """Builds the REST JSON of the fake's objects for one site URL."""

    def __init__(self, site_url: str, users: dict[str, User]) -> None:
        self.site = site_url.rstrip("/")
        self.users = users

    def avatars(self, seed: str) -> dict[str, str]:
        base = "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials"
        return {f"{n}x{n}": f"{base}/{seed}-{n}.png" for n in (16, 24, 32, 48)}

    def user(self, user: User, *, full: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "self": f"{self.site}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": user.account_type,
            "avatarUrls": self.avatars(user.account_id[:6]),
            "displayName": user.display_name,
            "active": True,
            "timeZone": user.time_zone,
        }
        if user.email_visible:
            data["emailAddress"] = user.email
        if full:
            data["locale"] = "en_US"
            data["groups"] = {"size": 1, "items": []}
            data["applicationRoles"] = {"size": 1, "items": []}
            data["expand"] = "groups,applicationRoles"
        return data

    def user_ref(self, account_id: str | None) -> dict[str, Any] | None:
        user = self.users.get(account_id) if account_id else None
        return self.user(user) if user else None

    def status(self, status: Status) -> dict[str, Any]:
        category_id, category_name, colour = CATEGORIES[status.category]
        return {
            "self": f"{self.site}/rest/api/3/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.site}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.site}/rest/api/3/statuscategory/{category_id}",
                "id": category_id,
                "key": status.category,
                "colorName": colour,
                "name": category_name,
            },
        }

    def project(self, project: Project, *, expand: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
        data: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": f"{self.site}/rest/api/3/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "avatarUrls": self.avatars(f"project-{project.id}"),
            "projectTypeKey": project.type_key,
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
            "properties": {},
        }
        if "lead" in expand and project.lead_id in self.users:
            data["lead"] = self.user(self.users[project.lead_id])
        if "issueTypes" in expand:
            data["issueTypes"] = [self.issue_type(t) for t in ISSUE_TYPES]
        return data

    def project_ref(self, project: Project) -> dict[str, Any]:
        return {
            "self": f"{self.site}/rest/api/3/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": project.type_key,
            "simplified": False,
            "avatarUrls": self.avatars(f"project-{project.id}"),
        }

    def issue_type(self, issue_type: tuple[str, str]) -> dict[str, Any]:
        type_id, name = issue_type
        return {
            "self": f"{self.site}/rest/api/3/issuetype/{type_id}",
            "id": type_id,
            "description": f"A {name.lower()}.",
            "iconUrl": f"{self.site}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def priority(self, name: str) -> dict[str, Any]:
        priority_id = str(PRIORITIES.index(name) + 1)
        return {
            "self": f"{self.site}/rest/api/3/priority/{priority_id}",
            "iconUrl": f"{self.site}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": priority_id,
        }

    def issue_fields(self, issue: Issue) -> dict[str, Any]:
        resolution = issue.resolution
        return {
            "summary": issue.summary,
            "description": issue.description,
            "issuetype": self.issue_type(issue.issue_type),
            "status": self.status(issue.status),
            "priority": self.priority(issue.priority) if issue.priority else None,
            "labels": list(issue.labels),
            "assignee": self.user_ref(issue.assignee_id),
            "reporter": self.user_ref(issue.reporter_id),
            "creator": self.user_ref(issue.reporter_id),
            "project": self.project_ref(issue.project),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "resolution": {"name": resolution} if resolution else None,
            "statuscategorychangedate": jira_time(issue.updated),
        }

    def issue(self, issue: Issue, fields: set[str] | None = None) -> dict[str, Any]:
        """IssueBean; ``fields`` None means all fields, as ``*all`` asks."""
        data: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": str(issue.id),
            "self": f"{self.site}/rest/api/3/issue/{issue.id}",
            "key": issue.key,
        }
        all_fields = self.issue_fields(issue)
        data["fields"] = (
            all_fields if fields is None else {k: v for k, v in all_fields.items() if k in fields}
        )
        return data

    def transition(self, transition: Transition) -> dict[str, Any]:
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(transition.to),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "looped": False,
        }

    def comment(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.site}/rest/api/3/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user_ref(comment.author_id),
            "body": comment.body,
            "updateAuthor": self.user_ref(comment.author_id),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }


def text_to_adf(text: str) -> dict[str, Any]:
    """Plain text as ADF: a paragraph per blank-line-separated block, hard breaks within.

    Deliberately simpler than the connector's converter: the fake must not share its bugs.
    """
    content = []
    for block in (b for b in text.split("\n\n") if b.strip()):
        inline: list[dict[str, Any]] = []
        for index, line in enumerate(block.split("\n")):
            if index:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def error_response(
    status: int, messages: Iterable[str] = (), errors: dict[str, str] | None = None
) -> FakeResponse:
    """Jira's ErrorCollection body: ``{"errorMessages": [...], "errors": {field: message}}``."""
    return json_response({"errorMessages": list(messages), "errors": dict(errors or {})}, status)
