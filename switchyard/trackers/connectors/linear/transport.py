"""Linear GraphQL transport: the API key, Linear's errors by kind, running one document, paging a
connection, and reading back what a mutation wrote. The calls themselves are in ``client.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

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
from switchyard.trackers.connectors.linear.mapping import LinearShapeError

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


class LinearTransport(RemoteClient):
    """Linear's GraphQL endpoint: errors by kind, documents, pages and written objects."""

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

    # -- written objects --------------------------------------------------------------------

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
