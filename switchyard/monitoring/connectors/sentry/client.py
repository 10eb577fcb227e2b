"""SentryClient: the calls Switchyard makes to Sentry's web API (``/api/0/``), sentry.io or self-hosted."""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

import httpx

from switchyard.core.exceptions import (
    RemoteError,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteUnauthorized,
)
from switchyard.core.http import RemoteClient, bad_shape
from switchyard.core.remote_answers import validation_errors
from switchyard.monitoring.connectors.sentry.mapping import (
    SentryComment,
    SentryIdentity,
    SentryIssue,
    SentryOrganization,
    SentryProject,
    SentryShapeError,
    comment_from_json,
    identity_from_json,
    issue_from_json,
    organization_from_json,
    project_from_json,
)

IssueStatus = Literal["resolved", "unresolved", "ignored"]
ISSUE_STATUSES: frozenset[str] = frozenset({"resolved", "unresolved", "ignored"})


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._header
        yield request


def issue_search_query(*, status: str | None = "unresolved", extra: str = "") -> str:
    """Sentry search syntax for an issue listing, e.g. ``is:unresolved level:error``.

    Time bounds are not expressed in search: Sentry-compatible servers read search differently
    (GlitchTip takes ``lastSeen:>=…`` for a tag filter and matches nothing), so an incremental
    read stops by itself once the newest-first listing passes its bound (``iter_issues``).
    """
    if status is not None and status not in ISSUE_STATUSES:
        raise ValueError(f"unknown Sentry issue status {status!r}")
    terms = [f"is:{status}"] if status else []
    if extra.strip():
        terms.append(extra.strip())
    return " ".join(terms)


def _until(issues: Iterator[SentryIssue], since: datetime | None) -> Iterator[SentryIssue]:
    """Issues of a newest-first listing down to ``since``; the first older one ends the read."""
    for issue in issues:
        if since is not None and issue.last_seen is not None and issue.last_seen < since:
            return
        yield issue


class SentryClient(RemoteClient):
    """Sentry web API client for one organization, authenticated with a bearer auth token."""

    kind: ClassVar[str] = "sentry"
    page_size: ClassVar[int] = 100  # Sentry's maximum for limit / per_page

    def __init__(
        self,
        base_url: str = "https://sentry.io",
        *,
        token: str,
        organization: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._token = token
        self.organization = organization
        super().__init__(
            base_url, timeout=timeout, transport=transport, max_attempts=max_attempts, sleep=sleep
        )

    def __repr__(self) -> str:
        return f"SentryClient({self.base_url!r}, organization={self.organization!r})"

    # -- RemoteClient hooks -----------------------------------------------------------------

    def auth(self) -> httpx.Auth:
        return BearerToken(self._token)

    def error_for_response(self, response: httpx.Response) -> RemoteError | None:
        error = super().error_for_response(response)
        # Sentry announces its window in X-Sentry-Rate-Limit-Reset (UTC epoch seconds) rather than
        # Retry-After: https://docs.sentry.io/api/ratelimits/
        if isinstance(error, RemoteRateLimited) and error.retry_after is None:
            reset = response.headers.get("X-Sentry-Rate-Limit-Reset", "")
            try:
                error.retry_after = max(0.0, float(reset) - time.time())
            except ValueError:
                pass
        return error

    def field_errors(self, response: httpx.Response) -> dict[str, str]:
        # Sentry answers in DRF's shape ({"status": ["…"]}); GlitchTip in django-ninja's
        # ({"detail": [{"loc": ["query", "sort"], "msg": "…"}]}).
        try:
            return validation_errors(response.json())
        except ValueError:
            return {}

    # -- identity and organizations ---------------------------------------------------------

    def get_identity(self) -> SentryIdentity:
        """Who the token belongs to, for "test connection".

        ``GET /api/0/`` is Sentry's index endpoint (not in the public OpenAPI schema); it answers
        200 even without credentials, with ``auth`` and ``user`` null, which we treat as a refusal.
        """
        response = self.request("GET", "/api/0/")
        identity = self._map(identity_from_json, self.decode_json(response), "index")
        if identity.user_id is None and not identity.scopes:
            raise RemoteUnauthorized(
                "sentry answered GET /api/0/ without an authenticated user or token",
                status=response.status_code,
                body=response.text,
            )
        return identity

    def list_organizations(self) -> list[SentryOrganization]:
        """Every organization the token can see."""
        return [
            self._map(organization_from_json, item, "organization")
            for item in self._paginate("/api/0/organizations/", {"per_page": self.page_size})
        ]

    def iter_projects(self) -> Iterator[SentryProject]:
        """The organization's projects, page by page."""
        path = f"/api/0/organizations/{self._org()}/projects/"
        for item in self._paginate(path, {"per_page": self.page_size}):
            yield self._map(project_from_json, item, "project")

    # -- issues -----------------------------------------------------------------------------

    def iter_issues(
        self,
        *,
        projects: Sequence[str | int] = (),
        status: IssueStatus | None = "unresolved",
        last_seen_since: datetime | None = None,
        query: str = "",
    ) -> Iterator[SentryIssue]:
        """Issues matching a search, most recently seen first (the server's default order).

        ``status=None`` lists every status; ``last_seen_since`` ends the read at the first issue
        last seen before it (incremental sync). No ``sort`` is sent: Sentry's default is ``date``
        and GlitchTip's ``-last_seen`` (it refuses ``date`` with a 422), both newest first.
        Status changes do not move ``lastSeen`` in Sentry, so a reconcile that must catch them
        lists without ``last_seen_since``. Older self-hosted servers lack the organization-wide
        endpoint (404); then the deprecated per-project listing is used, one project after another.
        """
        search = issue_search_query(status=status, extra=query)
        params: list[tuple[str, Any]] = [("project", str(p)) for p in projects]
        params += [("query", search), ("limit", self.page_size)]
        pages = self._paginate(f"/api/0/organizations/{self._org()}/issues/", params)
        try:
            first = next(pages, None)
        except RemoteNotFound:
            self.logger.info("sentry.issues.per_project_fallback", extra={"org": self.organization})
            yield from self._iter_project_issues(projects, search, last_seen_since)
            return
        if first is None:
            return
        issues = (
            self._map(issue_from_json, item, "issue") for item in itertools.chain([first], pages)
        )
        yield from _until(issues, last_seen_since)

    def _iter_project_issues(
        self, projects: Sequence[str | int], search: str, since: datetime | None
    ) -> Iterator[SentryIssue]:
        targets = [str(p) for p in projects] or [p.id for p in self.iter_projects()]
        params = {"query": search, "limit": self.page_size}
        for project in targets:
            path = f"/api/0/projects/{self._org()}/{project}/issues/"
            items = self._paginate(path, params)
            yield from _until((self._map(issue_from_json, i, "issue") for i in items), since)

    def get_issue(self, issue_id: str) -> SentryIssue:
        """One issue by its numeric id.

        GlitchTip serves the organization-scoped route for PUT only (405 to a GET); the unscoped
        ``/api/0/issues/{id}/``, which Sentry serves too, answers there.
        """
        try:
            data = self.request_json("GET", self._issue_path(issue_id))
        except RemoteNotFound as error:
            if error.status != 405:
                raise
            data = self.request_json("GET", f"/api/0/issues/{issue_id}/")
        return self._map(issue_from_json, data, "issue")

    def update_issue_status(self, issue_id: str, status: IssueStatus) -> SentryIssue | None:
        """Resolve, unresolve or ignore (archive) an issue; the updated issue, if the answer has it."""
        if status not in ISSUE_STATUSES:
            raise ValueError(f"unknown Sentry issue status {status!r}")
        return self._update_issue(issue_id, {"status": status})

    def assign_issue(self, issue_id: str, assignee: str | None) -> SentryIssue | None:
        """Assign an issue to ``user:<id>``, ``team:<id>``, a username or an email; None unassigns."""
        return self._update_issue(issue_id, {"assignedTo": assignee or ""})

    def _update_issue(self, issue_id: str, body: Mapping[str, Any]) -> SentryIssue | None:
        # Real Sentry accepts partial bodies although the schema lists every field as required.
        data = self.request_json("PUT", self._issue_path(issue_id), json_body=dict(body))
        # A 2xx is the success; the issue in the answer is a courtesy (GlitchTip's lacks fields).
        return self._courtesy(issue_from_json, data, "issue")

    # -- comments (notes) -------------------------------------------------------------------

    def iter_comments(self, issue_id: str) -> Iterator[SentryComment]:
        """An issue's notes, newest first.

        ``/api/0/issues/{id}/comments/`` is Sentry's private GroupNotesEndpoint (not in the public
        schema; also served under ``/organizations/{org}/``), and the only route GlitchTip has.
        """
        note = functools.partial(comment_from_json, issue_id=str(issue_id))
        for item in self._paginate(self._notes_path(issue_id), {"per_page": self.page_size}):
            yield self._map(note, item, "note")

    def create_comment(self, issue_id: str, text: str) -> SentryComment | None:
        """Add a note to an issue as the token's user; the note, if the answer has it.

        Sentry reads ``text``, GlitchTip ``data.text``; each ignores the other. Not retried: a
        repeat within an hour is refused by Sentry as a duplicate (400).
        """
        note = functools.partial(comment_from_json, issue_id=str(issue_id))
        data = self.request_json(
            "POST", self._notes_path(issue_id), json_body={"text": text, "data": {"text": text}}
        )
        return self._courtesy(note, data, "note")

    # -- plumbing ---------------------------------------------------------------------------

    def _org(self) -> str:
        if not self.organization:
            raise ValueError("this SentryClient was built without an organization slug")
        return self.organization

    def _issue_path(self, issue_id: str) -> str:
        return f"/api/0/organizations/{self._org()}/issues/{issue_id}/"

    def _notes_path(self, issue_id: str) -> str:
        return f"/api/0/issues/{issue_id}/comments/"

    def _map(self, build: Callable[[Any], Any], data: Any, what: str) -> Any:
        try:
            return build(data)
        except SentryShapeError as exc:
            raise bad_shape(self.kind, what, exc) from exc

    def _courtesy(self, build: Callable[[Any], Any], data: Any, what: str) -> Any:
        """The record in the answer to a write that succeeded, or None when it cannot be read."""
        try:
            return build(data)
        except SentryShapeError as exc:
            self.logger.info("sentry.write.answer_unread", extra={"what": what, "error": str(exc)})
            return None

    def _paginate(
        self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]
    ) -> Iterator[Any]:
        """Items of a listing, following ``Link: <…>; rel="next"; results="true"; cursor="…"``.

        https://docs.sentry.io/api/pagination/ — a next link is always sent; only
        ``results="true"`` says it leads anywhere.
        """
        base = list(params.items()) if isinstance(params, Mapping) else list(params)
        cursor: str | None = None
        for _ in range(self.max_pages):
            query = base if cursor is None else [*base, ("cursor", cursor)]
            response = self.request("GET", path, params=query)
            items = self.decode_json(response)
            if not isinstance(items, list):
                raise bad_shape(self.kind, f"listing at {path}", TypeError("not a JSON array"))
            yield from items
            next_link = response.links.get("next") or {}
            if next_link.get("results") != "true" or not next_link.get("cursor"):
                return
            cursor = next_link["cursor"]
        self.logger.warning(
            "sentry.pagination.capped", extra={"path": path, "max_pages": self.max_pages}
        )
