"""Linear GraphQL API client: https://linear.app/developers/graphql

A personal API key goes in ``Authorization`` as it is (no "Bearer"). Every document lives in
``queries.py``; every answer becomes a record from ``mapping.py``; the transport (errors, paging,
read-back of written objects) is ``transport.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from switchyard.core.exceptions import RemoteRejected
from switchyard.core.http import bad_shape
from switchyard.trackers.connectors.linear import queries
from switchyard.trackers.connectors.linear.mapping import (
    LinearComment,
    LinearIssue,
    LinearLabel,
    LinearShapeError,
    LinearState,
    LinearTeam,
    LinearUser,
    comment_from_json,
    issue_from_json,
    label_from_json,
    state_from_json,
    team_from_json,
    user_from_json,
)
from switchyard.trackers.connectors.linear.transport import LinearTransport


class _Unset:
    """The marker of an argument left out (None means "clear it" to Linear)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class LinearClient(LinearTransport):
    """The Linear calls Switchyard needs, returning typed records."""

    # -- reads ------------------------------------------------------------------------------

    def viewer(self) -> LinearUser:
        """The user the API key belongs to (the connection test)."""
        return self._map(user_from_json, self.graphql(queries.VIEWER).get("viewer"), "viewer")

    def iter_teams(self) -> Iterator[LinearTeam]:
        """Every team the key can see."""
        for node in self._pages(queries.TEAMS, {}, ("teams",)):
            yield self._map(team_from_json, node, "team")

    def workflow_states(self, team_id: str) -> list[LinearState]:
        """A team's workflow states, with their type (backlog, started, completed, ...)."""
        nodes = self._pages(queries.WORKFLOW_STATES, {"teamId": team_id}, ("workflowStates",))
        return [self._map(state_from_json, node, "workflow state") for node in nodes]

    def iter_issues(
        self, team_id: str, *, updated_since: datetime | None = None
    ) -> Iterator[LinearIssue]:
        """A team's issues (updated at or after ``updated_since``), oldest change first."""
        issue_filter: dict[str, Any] = {"team": {"id": {"eq": team_id}}}
        if updated_since is not None:
            if updated_since.tzinfo is None:
                raise ValueError("updated_since must be an aware datetime")
            stamp = updated_since.astimezone(UTC).isoformat(timespec="milliseconds")
            issue_filter["updatedAt"] = {"gte": stamp.replace("+00:00", "Z")}
        for node in self._pages(queries.ISSUES, {"filter": issue_filter}, ("issues",)):
            yield self._map(issue_from_json, node, "issue")

    def recent_issues(self, team_id: str, limit: int) -> list[LinearIssue]:
        """The ``limit`` most recently updated issues of a team, newest first, in one request
        (Linear serves up to 250 nodes a page)."""
        variables = {"filter": {"team": {"id": {"eq": team_id}}}, "first": min(limit, 250)}
        data = self.graphql(queries.RECENT_ISSUES, variables).get("issues")
        nodes = data.get("nodes") if isinstance(data, Mapping) else None
        if not isinstance(nodes, list):
            raise bad_shape(self.kind, "connection", TypeError("no page at issues"))
        return [self._map(issue_from_json, node, "issue") for node in nodes[:limit]]

    def get_issue(self, issue_id: str) -> LinearIssue:
        """One issue by id or identifier (ENG-12); RemoteNotFound if there is none."""
        data = self.graphql(queries.ISSUE, {"id": issue_id})
        return self._map(issue_from_json, data.get("issue"), "issue")

    def iter_comments(self, issue_id: str) -> Iterator[LinearComment]:
        """An issue's comments, oldest first."""
        for node in self._pages(queries.ISSUE_COMMENTS, {"id": issue_id}, ("issue", "comments")):
            yield self._map(
                lambda data: comment_from_json(data, issue_id=issue_id), node, "comment"
            )

    def get_comment(self, comment_id: str) -> LinearComment:
        """One comment by id; RemoteNotFound if there is none."""
        data = self.graphql(queries.COMMENT, {"id": comment_id})
        return self._map(comment_from_json, data.get("comment"), "comment")

    def find_user_by_email(self, email: str) -> LinearUser | None:
        """The user with this address (any case), or None."""
        data = self.graphql(queries.USERS_BY_EMAIL, {"email": email})
        nodes = (data.get("users") or {}).get("nodes")
        if not isinstance(nodes, list):
            raise bad_shape(self.kind, "users", TypeError("no nodes"))
        return self._map(user_from_json, nodes[0], "user") if nodes else None

    def find_issue_labels(self, team_id: str, names: Iterable[str]) -> dict[str, LinearLabel]:
        """The team's and the workspace's labels of these names (any case), by lower-case name.

        One query for all the names. Where a name matches twice (a team label and a workspace
        one), either applies; the first listed is kept.
        """
        variables = {"teamId": team_id, "names": [{"name": {"eqIgnoreCase": n}} for n in names]}
        found: dict[str, LinearLabel] = {}
        for node in self._pages(queries.ISSUE_LABELS, variables, ("issueLabels",)):
            label = self._map(label_from_json, node, "label")
            found.setdefault(label.name.lower(), label)
        return found

    # -- writes -----------------------------------------------------------------------------

    def create_issue(
        self,
        *,
        issue_id: str,
        team_id: str,
        title: str,
        description: str = "",
        priority: int | None = None,
        state_id: str | None = None,
        assignee_id: str | None = None,
        label_ids: Sequence[str] = (),
    ) -> LinearIssue:
        """issueCreate with a client-supplied id (UUID v4), so a repeat never makes a second issue.

        When the create is refused because an earlier attempt made it (its answer was lost), the
        issue that attempt made is returned.
        """
        fields = {
            "id": issue_id,
            "teamId": team_id,
            "title": title,
            "description": description,
            "priority": priority,
            "stateId": state_id,
            "assigneeId": assignee_id,
            "labelIds": list(label_ids) or None,
        }
        payload = {name: value for name, value in fields.items() if value is not None}
        try:
            created = self.mutate(queries.ISSUE_CREATE, {"input": payload}, "issueCreate", "issue")
        except RemoteRejected as rejected:
            existing = self._earlier(self.get_issue, issue_id, rejected)
            if existing.team_id != team_id:
                raise rejected from None
            return existing
        return self._written(issue_from_json, created, self.get_issue, issue_id, "created issue")

    def update_issue(
        self,
        issue_id: str,
        *,
        stateId: str | _Unset = UNSET,
        priority: int | _Unset = UNSET,
        assigneeId: str | None | _Unset = UNSET,
        title: str | _Unset = UNSET,
        description: str | _Unset = UNSET,
    ) -> LinearIssue:
        """issueUpdate of the given fields (Linear's names); ``assigneeId=None`` unassigns."""
        given = {
            "stateId": stateId,
            "priority": priority,
            "assigneeId": assigneeId,
            "title": title,
            "description": description,
        }
        payload = {name: value for name, value in given.items() if value is not UNSET}
        updated = self.mutate(
            queries.ISSUE_UPDATE, {"id": issue_id, "input": payload}, "issueUpdate", "issue"
        )
        return self._written(issue_from_json, updated, self.get_issue, issue_id, "updated issue")

    def create_comment(
        self, *, issue_id: str, body: str, comment_id: str | None = None
    ) -> LinearComment | None:
        """commentCreate; with a client-supplied ``comment_id`` (UUID v4) it is retried safely.

        None when the answer does not show a comment made without a client-supplied id.
        """
        payload = {"issueId": issue_id, "body": body, **({"id": comment_id} if comment_id else {})}
        try:
            created = self.mutate(
                queries.COMMENT_CREATE,
                {"input": payload},
                "commentCreate",
                "comment",
                idempotent=comment_id is not None,
            )
        except RemoteRejected as rejected:
            if comment_id is None:
                raise
            existing = self._earlier(self.get_comment, comment_id, rejected)
            if existing.issue_id != issue_id:
                raise rejected from None
            return existing
        if comment_id is None:
            try:
                return comment_from_json(created, issue_id=issue_id)
            except LinearShapeError:
                return None
        return self._written(
            lambda data: comment_from_json(data, issue_id=issue_id),
            created,
            self.get_comment,
            comment_id,
            "created comment",
        )

    def create_issue_label(self, *, team_id: str, name: str) -> LinearLabel:
        """issueLabelCreate of a team label, with a client-supplied id so that it is retried safely.

        Linear refuses a label whose name the team or the workspace already uses; when that is
        why (an earlier attempt whose answer was lost, or someone meanwhile), that label is
        returned.
        """
        payload = {"id": str(uuid.uuid4()), "teamId": team_id, "name": name}
        try:
            created = self.mutate(
                queries.ISSUE_LABEL_CREATE, {"input": payload}, "issueLabelCreate", "issueLabel"
            )
        except RemoteRejected:
            existing = self.find_issue_labels(team_id, [name]).get(name.lower())
            if existing is None:
                raise
            return existing
        try:
            return label_from_json(created)
        except LinearShapeError:
            return LinearLabel(id=payload["id"], name=name)  # made as asked, with our id

    def issue_label_ids(self, team_id: str, names: Iterable[str]) -> list[str]:
        """The ids of the labels of these names for the team's issues, creating missing ones.

        Names are matched without case, as Linear does: one query finds the existing labels,
        then each missing name is created as a team label.
        """
        wanted: dict[str, str] = {}
        for name in names:
            wanted.setdefault(name.lower(), name)
        found = self.find_issue_labels(team_id, wanted.values()) if wanted else {}
        return [
            (found.get(key) or self.create_issue_label(team_id=team_id, name=name)).id
            for key, name in wanted.items()
        ]
