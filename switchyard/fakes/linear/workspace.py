"""The fake Linear's rows, their look-ups, and how they render (API answers and webhook data)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from switchyard.fakes.linear.schema import iso, offset_connection, refuse
from switchyard.fakes.linear.state import PRIORITY_LABELS, IssueIndex, _Comment, _Issue, _Label

WORKSPACE = "acme"


class Workspace:
    """People, teams with their workflow states, labels, issues and comments, indexed for paging."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, dict[str, Any]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, _Label] = {}
        self.issues: dict[str, _Issue] = {}
        self.comments: dict[str, _Comment] = {}
        self.viewer_id = ""
        self._index = IssueIndex()
        self._by_identifier: dict[str, str] = {}
        self._comment_ids: dict[str, list[str]] = defaultdict(list)

    def team_by_key(self, key: str) -> dict[str, Any]:
        """A team by its key (ENG); StopIteration if there is none."""
        return next(team for team in self.teams.values() if team["key"] == key)

    def state_named(self, team_id: str, name: str) -> dict[str, Any]:
        """A team's workflow state by name (Done)."""
        return next(
            s for s in self.states.values() if s["team"]["id"] == team_id and s["name"] == name
        )

    def user_by_email(self, email: str) -> dict[str, Any]:
        """A user by address, in any case."""
        return next(user for user in self.users.values() if user["email"].lower() == email.lower())

    def label_clashing(self, name: str, team_id: str | None) -> _Label | None:
        """The label a new one of this name would duplicate: same name in any case, same scope.

        Workspace labels share their scope with every team, so a name used anywhere clashes
        with a new workspace label, and a workspace label's name with a new team label.
        """
        return next(
            (
                label
                for label in self.labels.values()
                if label.name.lower() == name.lower()
                and (team_id is None or label.team_id in (None, team_id))
            ),
            None,
        )

    def label_names(self, issue: _Issue) -> list[str]:
        """The names of the issue's labels."""
        return [self.labels[label_id].name for label_id in issue.label_ids]

    def issue(self, id_or_identifier: str) -> _Issue:
        """An issue by id or identifier (ENG-12); KeyError if there is none."""
        issue_id = self._by_identifier.get(id_or_identifier, id_or_identifier)
        return self.issues[issue_id]

    def _identifier(self, issue: _Issue) -> str:
        """The issue's human identifier (ENG-12)."""
        return f"{self.teams[issue.team_id]['key']}-{issue.number}"

    def issue_comments(self, issue_id: str) -> list[_Comment]:
        """An issue's comments, oldest first."""
        return [self.comments[c] for c in self._comment_ids[issue_id] if c in self.comments]

    # -- rendering ---------------------------------------------------------------------------

    def _issue_json(self, issue: _Issue) -> dict[str, Any]:
        """The issue as the GraphQL API resolves it."""
        identifier = self._identifier(issue)
        return {
            "id": issue.id,
            "identifier": identifier,
            "number": float(issue.number),
            "url": f"https://linear.app/{WORKSPACE}/issue/{identifier}",
            "title": issue.title,
            "description": issue.description,
            "priority": float(issue.priority),
            "priorityLabel": PRIORITY_LABELS[issue.priority],
            "state": self.states[issue.state_id],
            "team": self.teams[issue.team_id],
            "assignee": self.users.get(issue.assignee_id or ""),
            "creator": self.users.get(issue.creator_id or ""),
            "labels": {"nodes": [self._label_json(self.labels[i]) for i in issue.label_ids]},
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "startedAt": iso(issue.started_at) if issue.started_at else None,
            "completedAt": iso(issue.completed_at) if issue.completed_at else None,
            "canceledAt": iso(issue.canceled_at) if issue.canceled_at else None,
            "comments": lambda info, first=None, after=None, **rest: self._comments_page(
                issue, first, after, rest
            ),
        }

    def _label_json(self, label: _Label) -> dict[str, Any]:
        """The label as the GraphQL API resolves it (``IssueLabel``)."""
        return {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "isGroup": False,
            "createdAt": iso(label.created_at),
            "updatedAt": iso(label.created_at),
            "team": self.teams.get(label.team_id or ""),
        }

    def _comment_json(self, comment: _Comment) -> dict[str, Any]:
        return {
            "id": comment.id,
            "body": comment.body,
            "createdAt": iso(comment.created_at),
            "updatedAt": iso(comment.updated_at or comment.created_at),
            "user": self.users.get(comment.user_id),
            "issue": lambda info, **_: self._issue_json(self.issues[comment.issue_id]),
        }

    def _user_child(self, user_id: str | None) -> dict[str, Any] | None:
        user = self.users.get(user_id or "")
        if user is None:
            return None
        return {k: user[k] for k in ("id", "name", "email", "url")}

    def _actor(self, email: str | None) -> dict[str, Any] | None:
        user = self.user_by_email(email) if email else self.users[self.viewer_id]
        return {**self._user_child(user["id"]), "type": "user"}  # type: ignore[dict-item]

    def _issue_webhook_data(self, issue: _Issue) -> dict[str, Any]:
        """The issue as Linear's webhooks carry it (``IssueWebhookPayload``)."""
        state = self.states[issue.state_id]
        team = self.teams[issue.team_id]
        identifier = self._identifier(issue)
        labels = [self.labels[label_id] for label_id in issue.label_ids]
        return {
            "id": issue.id,
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "number": float(issue.number),
            "title": issue.title,
            "description": issue.description,
            "priority": float(issue.priority),
            "priorityLabel": PRIORITY_LABELS[issue.priority],
            "prioritySortOrder": float(issue.priority or 5),
            "sortOrder": float(issue.number),
            "identifier": identifier,
            "url": f"https://linear.app/{WORKSPACE}/issue/{identifier}",
            "teamId": team["id"],
            "team": dict(team),
            "stateId": state["id"],
            "state": {k: state[k] for k in ("id", "name", "type", "color")},
            "creatorId": issue.creator_id,
            "creator": self._user_child(issue.creator_id),
            "assigneeId": issue.assignee_id,
            "assignee": self._user_child(issue.assignee_id),
            "labelIds": list(issue.label_ids),
            "labels": [
                {"id": label.id, "name": label.name, "color": label.color} for label in labels
            ],
            "previousIdentifiers": [],
            "subscriberIds": [i for i in (issue.creator_id, issue.assignee_id) if i],
            "reactionData": {},
            "startedAt": iso(issue.started_at) if issue.started_at else None,
            "completedAt": iso(issue.completed_at) if issue.completed_at else None,
            "canceledAt": iso(issue.canceled_at) if issue.canceled_at else None,
        }

    def _comment_webhook_data(self, comment: _Comment) -> dict[str, Any]:
        """The comment as Linear's webhooks carry it (``CommentWebhookPayload``)."""
        issue = self.issues[comment.issue_id]
        identifier = self._identifier(issue)
        team = self.teams[issue.team_id]
        return {
            "id": comment.id,
            "createdAt": iso(comment.created_at),
            "updatedAt": iso(comment.updated_at or comment.created_at),
            "body": comment.body,
            "issueId": issue.id,
            "issue": {
                "id": issue.id,
                "identifier": identifier,
                "title": issue.title,
                "url": f"https://linear.app/{WORKSPACE}/issue/{identifier}",
                "teamId": team["id"],
                "team": dict(team),
            },
            "userId": comment.user_id,
            "user": self._user_child(comment.user_id),
            "reactionData": {},
        }

    def _comments_page(
        self, issue: _Issue, first: int | None, after: str | None, rest: dict[str, Any]
    ) -> dict[str, Any]:
        refuse(rest, "comments")
        return offset_connection(
            [self._comment_json(c) for c in self.issue_comments(issue.id)], first, after
        )
