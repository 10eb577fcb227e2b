"""Linear GraphQL API client: https://linear.app/developers/graphql

A personal API key goes in ``Authorization`` as it is (no "Bearer"). Every document lives in
``queries.py``; every answer becomes a record from ``mapping.py``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

import httpx

from switchyard.core.exceptions import (
    RemoteError,
    RemoteForbidden,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteRejected,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.core.http import RemoteClient, bad_shape, parse_retry_after
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

DEFAULT_URL = "https://api.linear.app/graphql"

# Linear's GraphQL errors carry ``extensions.type`` (the SDK's error classes key on it, see
# https://github.com/linear/linear/blob/master/packages/sdk/src/error.ts) and ``extensions.code``.
AUTH_ERRORS = frozenset({"authentication error", "AUTHENTICATION_ERROR"})
# Forbidden: the key is valid but may not touch this (a team it cannot see, a missing scope).
FORBIDDEN_ERRORS = frozenset({"forbidden", "FORBIDDEN"})
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "RATELIMITED"})
INPUT_ERRORS = frozenset(
    {
        "invalid input",
        "user error",
        "graphql error",
        "INPUT_ERROR",
        "INVALID_INPUT",
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
    }
)
TRANSIENT_ERRORS = frozenset({"internal error", "lock timeout", "INTERNAL_SERVER_ERROR"})
# Rate-limit resets, in milliseconds since the epoch: https://linear.app/developers/rate-limiting
RESET_HEADERS = ("X-RateLimit-Requests-Reset", "X-RateLimit-Complexity-Reset")


class _Unset:
    """The marker of an argument left out (None means "clear it" to Linear)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class ApiKey(httpx.Auth):
    """Linear's personal API key, sent bare in ``Authorization``."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._key
        yield request


def _error_kinds(errors: list[Any]) -> set[str]:
    kinds: set[str] = set()
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, Mapping) else None
        if isinstance(extensions, Mapping):
            kinds.update(str(extensions[key]) for key in ("type", "code") if extensions.get(key))
    return kinds


def _messages(errors: list[Any]) -> list[str]:
    return [str(error.get("message", "")) for error in errors if isinstance(error, Mapping)]


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = api_key
        self._clock = clock
        super().__init__(
            base_url, timeout=timeout, transport=transport, max_attempts=max_attempts, sleep=sleep
        )

    def auth(self) -> httpx.Auth:
        return ApiKey(self._key)

    # -- errors -----------------------------------------------------------------------------

    def error_for_response(self, response: httpx.Response) -> RemoteError | None:
        """GraphQL errors (HTTP 200 or 4xx with ``errors``) by kind; else the HTTP status."""
        errors = self._graphql_errors(response)
        if errors:
            return self._graphql_error(response, errors)
        if response.status_code == 429:
            return self._rate_limited(response, f"linear answered 429: {response.text[:200]}")
        return super().error_for_response(response)

    def _graphql_errors(self, response: httpx.Response) -> list[Any]:
        if (
            response.status_code >= 500
            or "json" not in response.headers.get("content-type", "")
            or b'"errors"' not in response.content  # spares decoding every good answer twice
        ):
            return []
        try:
            body = response.json()
        except ValueError:
            return []  # unreadable JSON: decode_json reports it
        errors = body.get("errors") if isinstance(body, Mapping) else None
        return errors if isinstance(errors, list) else []

    def _graphql_error(self, response: httpx.Response, errors: list[Any]) -> RemoteError:
        kinds = _error_kinds(errors)
        messages = _messages(errors)
        what = f"linear answered {', '.join(sorted(kinds)) or 'an error'}: {'; '.join(messages)}"
        what = what[:500]
        status, body = response.status_code, response.text
        if kinds & AUTH_ERRORS:
            return RemoteUnauthorized(what, status=status, body=body)
        if kinds & FORBIDDEN_ERRORS:
            return RemoteForbidden(what, status=status, body=body)
        if kinds & RATE_LIMIT_ERRORS:
            return self._rate_limited(response, what)
        # Linear reports a missing entity as invalid input ("Entity not found: Issue", code
        # INPUT_ERROR), so only the message tells it apart from input it refused.
        if any(message.startswith("Entity not found") for message in messages):
            return RemoteNotFound(what, status=status, body=body)
        if kinds & TRANSIENT_ERRORS:
            return RemoteUnavailable(what, status=status, body=body)
        if kinds & INPUT_ERRORS or status in (400, 422):
            return RemoteRejected(
                what, status=status, body=body, field_errors=self._error_fields(errors)
            )
        return RemoteError(what, status=status, body=body)

    def _error_fields(self, errors: list[Any]) -> dict[str, str]:
        fields: dict[str, str] = {}
        for error in errors:
            if not isinstance(error, Mapping):
                continue
            extensions = error.get("extensions") or {}
            path = error.get("path") or []
            name = ".".join(str(part) for part in path) or "input"
            message = extensions.get("userPresentableMessage") or error.get("message") or ""
            fields.setdefault(name, str(message))
        return fields

    def _rate_limited(self, response: httpx.Response, what: str) -> RemoteRateLimited:
        # Linear answers a rate limit with HTTP 400 (or 429) and code RATELIMITED; the error is
        # given status 429 whatever the HTTP status, so that RemoteClient's retry treats it alike.
        return RemoteRateLimited(
            what, status=429, body=response.text, retry_after=self._retry_after(response)
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds until Linear lets us in again: Retry-After, else the latest budget reset."""
        after = parse_retry_after(response.headers.get("Retry-After"))
        if after is not None:
            return after
        resets = []
        for name in RESET_HEADERS:
            try:
                resets.append(float(response.headers.get(name, "")))
            except ValueError:
                continue
        return max(0.0, max(resets) / 1000 - self._clock()) if resets else None

    # -- plumbing ---------------------------------------------------------------------------

    def graphql(
        self, document: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True
    ) -> Mapping[str, Any]:
        """Run one GraphQL document; the ``data`` object, or a RemoteError.

        Queries are safe to repeat; mutations only with a client-supplied id (else pass
        ``idempotent=False`` so that a lost answer is not retried into a duplicate).
        """
        body = self.decode_json(self._post(document, variables, idempotent=idempotent))
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            raise bad_shape(self.kind, "GraphQL answer", TypeError("no data object"))
        return data

    def mutate(
        self,
        document: str,
        variables: Mapping[str, Any],
        mutation: str,
        entity: str,
        *,
        idempotent: bool = True,
    ) -> Any:
        """Run a mutation; the entity of its payload (``issueCreate { success issue }``), or None.

        An answer without errors is the success; one that is unreadable or lacks the entity gives
        None, and the caller reads the entity by the id it knows. Only ``success: false`` fails.
        """
        response = self._post(document, variables, idempotent=idempotent)
        body = self.decode_answer(response)
        data = body.get("data") if isinstance(body, Mapping) else None
        payload = data.get(mutation) if isinstance(data, Mapping) else None
        if not isinstance(payload, Mapping):
            return None
        if payload.get("success") is False:
            raise RemoteRejected(
                f"linear answered {mutation} without success",
                status=response.status_code,
                body=response.text,
            )
        return payload.get(entity)

    def _post(
        self, document: str, variables: Mapping[str, Any] | None, *, idempotent: bool
    ) -> httpx.Response:
        # The endpoint is the base URL itself: httpx would turn a relative "" into "/graphql/".
        return self.request(
            "POST",
            self.base_url,
            json_body={"query": document, "variables": dict(variables or {})},
            idempotent=idempotent,
        )

    def _map(self, build: Callable[[Any], Any], data: Any, what: str) -> Any:
        try:
            return build(data)
        except (LinearShapeError, KeyError, TypeError, ValueError) as exc:
            raise bad_shape(self.kind, what, exc) from exc

    def _pages(
        self, document: str, variables: dict[str, Any], path: tuple[str, ...]
    ) -> Iterator[Any]:
        """The nodes of a connection, page after page, up to ``max_pages`` pages."""
        after: str | None = None
        for _ in range(self.max_pages):
            data: Any = self.graphql(
                document, {**variables, "first": self.page_size, "after": after}
            )
            for key in path:
                data = data.get(key) if isinstance(data, Mapping) else None
            nodes = data.get("nodes") if isinstance(data, Mapping) else None
            page = data.get("pageInfo") if isinstance(data, Mapping) else None
            if not isinstance(nodes, list) or not isinstance(page, Mapping):
                raise bad_shape(self.kind, "connection", TypeError(f"no page at {'.'.join(path)}"))
            yield from nodes
            if not page.get("hasNextPage"):
                return
            cursor = page.get("endCursor")
            if not isinstance(cursor, str) or not cursor or cursor == after:
                raise bad_shape(self.kind, "page info", ValueError(f"end cursor {cursor!r}"))
            after = cursor
        self.logger.warning("remote.pages.capped", extra={"path": ".".join(path)})

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

    def _written(
        self,
        build: Callable[[Any], Any],
        answer: Any,
        fetch: Callable[[str], Any],
        object_id: str,
        what: str,
    ) -> Any:
        """The object a mutation wrote, from its answer, else read back by its id."""
        try:
            return build(answer)
        except LinearShapeError as unread:
            self.logger.info(
                "linear.write.answer_unread", extra={"what": what, "error": str(unread)}
            )
            return fetch(object_id)

    def _earlier(
        self, fetch: Callable[[str], Any], object_id: str, rejected: RemoteRejected
    ) -> Any:
        """What an earlier attempt with this client-supplied id made; else the refusal."""
        try:
            return fetch(object_id)
        except RemoteNotFound:
            raise rejected from None
