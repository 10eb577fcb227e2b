"""Linear GraphQL API client: https://linear.app/developers/graphql

A personal API key goes in ``Authorization`` as it is (no "Bearer"). GraphQL errors come back with
HTTP 200 or 400 and an ``errors`` list; their ``extensions.code`` says what went wrong
(AUTHENTICATION_ERROR, RATELIMITED, INVALID_INPUT, ...). Every document lives in ``queries.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from switchyard.core.exceptions import (
    RemoteError,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteRejected,
    RemoteUnauthorized,
)
from switchyard.core.http import RemoteClient, bad_shape
from switchyard.trackers.connectors.linear import queries
from switchyard.trackers.connectors.linear.mapping import (
    LinearComment,
    LinearIssue,
    LinearShapeError,
    LinearState,
    LinearTeam,
    LinearUser,
    comment_from_json,
    issue_from_json,
    state_from_json,
    team_from_json,
    user_from_json,
)

DEFAULT_URL = "https://api.linear.app/graphql"
AUTH_CODES = frozenset({"AUTHENTICATION_ERROR", "FORBIDDEN"})
INPUT_CODES = frozenset(
    {"INVALID_INPUT", "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "INPUT_ERROR"}
)


class ApiKey(httpx.Auth):
    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._key
        yield request


def _codes(errors: list) -> list[str]:
    return [
        str((error.get("extensions") or {}).get("code", "")).upper()
        for error in errors
        if isinstance(error, Mapping)
    ]


class LinearClient(RemoteClient):
    """The Linear calls Switchyard needs, returning typed records."""

    kind: ClassVar[str] = "linear"
    page_size: ClassVar[int] = 100

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._key = api_key
        super().__init__(
            base_url, timeout=timeout, transport=transport, max_attempts=max_attempts, sleep=sleep
        )

    def auth(self) -> httpx.Auth:
        return ApiKey(self._key)

    def error_for_response(self, response: httpx.Response) -> RemoteError | None:
        if response.status_code in (200, 400) and "json" in response.headers.get(
            "content-type", ""
        ):
            try:
                body = response.json()
            except ValueError:
                body = None
            errors = body.get("errors") if isinstance(body, Mapping) else None
            if errors:
                return self._graphql_error(response, errors)
        return super().error_for_response(response)

    def _graphql_error(self, response: httpx.Response, errors: list) -> RemoteError:
        codes = _codes(errors)
        message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, Mapping))[
            :500
        ]
        what = f"linear answered {', '.join(filter(None, codes)) or 'an error'}: {message}"
        if AUTH_CODES & set(codes):
            return RemoteUnauthorized(what, status=response.status_code, body=response.text)
        if "RATELIMITED" in codes:
            # Linear's reset header is an epoch in milliseconds (X-RateLimit-Requests-Reset).
            reset = response.headers.get("X-RateLimit-Requests-Reset", "")
            retry_after = max(0.0, float(reset) / 1000 - time.time()) if reset.isdigit() else None
            return RemoteRateLimited(what, status=429, body=response.text, retry_after=retry_after)
        if any(
            "not found" in str(e.get("message", "")).lower()
            for e in errors
            if isinstance(e, Mapping)
        ):
            return RemoteNotFound(what, status=response.status_code, body=response.text)
        return RemoteRejected(what, status=response.status_code, body=response.text)

    def graphql(
        self, document: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True
    ) -> Mapping[str, Any]:
        """Run one GraphQL document; the ``data`` object, or a RemoteError."""
        body = self.request_json(
            "POST",
            "",
            json_body={"query": document, "variables": dict(variables or {})},
            idempotent=idempotent,
        )
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            raise bad_shape(self.kind, "GraphQL answer", TypeError("no data object"))
        return data

    def _map(self, build: Callable[[Any], Any], data: Any, what: str) -> Any:
        try:
            return build(data)
        except (LinearShapeError, KeyError, TypeError, ValueError) as exc:
            raise bad_shape(self.kind, what, exc) from exc

    def _pages(
        self, document: str, variables: dict[str, Any], path: tuple[str, ...]
    ) -> Iterator[Any]:
        after: str | None = None
        for _ in range(self.max_pages):
            data: Any = self.graphql(
                document, {**variables, "first": self.page_size, "after": after}
            )
            for key in path:
                data = data.get(key) if isinstance(data, Mapping) else None
            if not isinstance(data, Mapping) or not isinstance(data.get("nodes"), list):
                raise bad_shape(self.kind, "connection", TypeError(f"no nodes at {'.'.join(path)}"))
            yield from data["nodes"]
            page = data.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            after = page["endCursor"]

    # -- reads ------------------------------------------------------------------------------

    def viewer(self) -> LinearUser:
        return self._map(user_from_json, self.graphql(queries.VIEWER).get("viewer"), "viewer")

    def iter_teams(self) -> Iterator[LinearTeam]:
        for node in self._pages(queries.TEAMS, {}, ("teams",)):
            yield self._map(team_from_json, node, "team")

    def workflow_states(self, team_id: str) -> list[LinearState]:
        nodes = self._pages(queries.WORKFLOW_STATES, {"teamId": team_id}, ("workflowStates",))
        return [self._map(state_from_json, node, "workflow state") for node in nodes]

    def iter_issues(
        self, team_id: str, *, updated_since: datetime | None = None
    ) -> Iterator[LinearIssue]:
        """A team's issues (updated at or after ``updated_since``), oldest change first."""
        issue_filter: dict[str, Any] = {"team": {"id": {"eq": team_id}}}
        if updated_since is not None:
            issue_filter["updatedAt"] = {"gte": updated_since.isoformat()}
        for node in self._pages(queries.ISSUES, {"filter": issue_filter}, ("issues",)):
            yield self._map(issue_from_json, node, "issue")

    def get_issue(self, issue_id: str) -> LinearIssue:
        """One issue by id or identifier (ENG-12)."""
        return self._map(
            issue_from_json, self.graphql(queries.ISSUE, {"id": issue_id}).get("issue"), "issue"
        )

    def iter_comments(self, issue_id: str) -> Iterator[LinearComment]:
        for node in self._pages(queries.ISSUE_COMMENTS, {"id": issue_id}, ("issue", "comments")):
            yield self._map(
                lambda data: comment_from_json(data, issue_id=issue_id), node, "comment"
            )

    def find_user_by_email(self, email: str) -> LinearUser | None:
        nodes = (self.graphql(queries.USERS_BY_EMAIL, {"email": email}).get("users") or {}).get(
            "nodes"
        ) or []
        return self._map(user_from_json, nodes[0], "user") if nodes else None

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
    ) -> LinearIssue:
        """issueCreate with a client-supplied id: a repeat after a lost answer finds the first one."""
        fields = {
            "id": issue_id,
            "teamId": team_id,
            "title": title,
            "description": description,
            "priority": priority,
            "stateId": state_id,
            "assigneeId": assignee_id,
        }
        payload = {name: value for name, value in fields.items() if value is not None}
        try:
            data = self.graphql(queries.ISSUE_CREATE, {"input": payload})
        except RemoteRejected as rejected:
            # Refused because an earlier attempt already created it (its answer was lost)?
            try:
                return self.get_issue(issue_id)
            except RemoteNotFound:
                raise rejected from None
        return self._map(
            issue_from_json, (data.get("issueCreate") or {}).get("issue"), "created issue"
        )

    def update_issue(self, issue_id: str, **fields: Any) -> LinearIssue:
        """issueUpdate with any of stateId, priority, assigneeId, title, description."""
        data = self.graphql(queries.ISSUE_UPDATE, {"id": issue_id, "input": fields})
        return self._map(
            issue_from_json, (data.get("issueUpdate") or {}).get("issue"), "updated issue"
        )

    def create_comment(
        self, *, issue_id: str, body: str, comment_id: str | None = None
    ) -> LinearComment:
        """commentCreate; with ``comment_id`` a retry cannot post the comment twice."""
        payload = {"issueId": issue_id, "body": body, **({"id": comment_id} if comment_id else {})}
        data = self.graphql(
            queries.COMMENT_CREATE, {"input": payload}, idempotent=comment_id is not None
        )
        return self._map(
            comment_from_json, (data.get("commentCreate") or {}).get("comment"), "comment"
        )
