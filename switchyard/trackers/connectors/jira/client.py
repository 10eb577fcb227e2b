"""JiraClient: the Jira Cloud platform REST API v3, with basic auth (account email + API token).

Reference: https://developer.atlassian.com/cloud/jira/platform/rest/v3/
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from switchyard.core.exceptions import RemoteBadResponse, RemoteError
from switchyard.core.http import RemoteClient, bad_shape
from switchyard.trackers.connectors.jira.adf import markdown_to_adf
from switchyard.trackers.connectors.jira.mapping import (
    ISSUE_FIELDS,
    JiraComment,
    JiraIssue,
    JiraProject,
    JiraTransition,
    JiraUser,
    comment_from_json,
    issue_from_json,
    project_from_json,
    transition_from_json,
    user_from_json,
)

API = "/rest/api/3"
T = TypeVar("T")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


# -- JQL ----------------------------------------------------------------------------------


def jql_quote(value: str) -> str:
    """A JQL string literal: double quotes, with backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql_updated_since(
    project_keys: Iterable[str], since: datetime | None, *, time_zone: str = "UTC"
) -> str:
    """JQL for issues of some projects updated since a moment, oldest change first.

    JQL dates have minute precision and are read in the searching user's time zone
    (https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated), so the moment
    is converted to that zone and floored to the minute: the window only ever overlaps.
    ``since=None`` asks for every issue of the projects (a first or full sync).
    """
    keys = list(project_keys)
    if not keys:
        raise ValueError("at least one project key is needed (Jira refuses unbounded searches)")
    projects = ", ".join(jql_quote(key) for key in keys)
    if since is None:
        return f"project in ({projects}) ORDER BY updated ASC"
    if since.tzinfo is None:
        raise ValueError("since must be an aware datetime")
    local = since.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M")
    return f"project in ({projects}) AND updated >= {jql_quote(local)} ORDER BY updated ASC"


def jql_recent(project_keys: Iterable[str]) -> str:
    """JQL for the issues of some projects, most recently updated first."""
    projects = ", ".join(jql_quote(key) for key in project_keys)
    return f"project in ({projects}) ORDER BY updated DESC"


def jql_keys(keys: Iterable[str]) -> str:
    """JQL for the issues with these keys."""
    keys = list(keys)
    if not keys:
        raise ValueError("at least one issue key is needed")
    return f"key in ({', '.join(jql_quote(key) for key in keys)}) ORDER BY key ASC"


def jql_label(label: str) -> str:
    """JQL for the issues carrying a label."""
    return f"labels = {jql_quote(label)} ORDER BY created ASC"


# -- client -------------------------------------------------------------------------------


class JiraClient(RemoteClient):
    """Calls of the Jira Cloud REST API v3 that Switchyard needs, returning typed records."""

    kind = "jira"
    max_pages = 1_000
    search_page_size = 100  # Jira caps search pages at 100 issues when fields are requested.
    project_page_size = 50
    comment_page_size = 100

    def __init__(
        self,
        site_url: str,
        *,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._email = email
        self._api_token = api_token
        self._time_zone: str | None = None
        super().__init__(
            site_url, timeout=timeout, transport=transport, max_attempts=max_attempts, sleep=sleep
        )

    def __repr__(self) -> str:
        return f"JiraClient({self.base_url!r}, email={self._email!r})"

    # -- RemoteClient hooks ---------------------------------------------------------------

    def auth(self) -> httpx.Auth:
        """Basic auth with the account email and an API token."""
        return httpx.BasicAuth(self._email, self._api_token)

    def error_for_response(self, response: httpx.Response) -> RemoteError | None:
        """The base mapping, with Jira's own error messages appended for people to read."""
        error = super().error_for_response(response)
        if error is not None and response.status_code != 401:
            messages = _error_messages(response)
            if messages:
                error.message = f"{error.message}: {'; '.join(messages)}"
                error.args = (error.message,)
        return error

    def field_errors(self, response: httpx.Response) -> dict[str, str]:
        """Jira's ``{"errorMessages": [...], "errors": {field: message}}``; messages go to __all__."""
        body = _error_body(response)
        errors = body.get("errors")
        fields = {
            str(name): str(message)
            for name, message in (errors.items() if isinstance(errors, Mapping) else [])
        }
        messages = _error_messages(response)
        if messages:
            fields["__all__"] = "; ".join(messages)
        return fields

    # -- users ----------------------------------------------------------------------------

    def myself(self) -> JiraUser:
        """The account the client authenticates as (the connection test)."""
        data = self.request_json("GET", f"{API}/myself")
        user = self._map(user_from_json, data, "user")
        self._time_zone = user.time_zone or "UTC"
        return user

    def find_users(self, query: str, *, max_results: int = 50) -> list[JiraUser]:
        """Users whose name or email matches a query (one page; emails may be hidden)."""
        data = self.request_json(
            "GET", f"{API}/user/search", params={"query": query, "maxResults": max_results}
        )
        if not isinstance(data, list):
            raise bad_shape(self.kind, "user search", TypeError("expected a list"))
        return [self._map(user_from_json, item, "user") for item in data]

    def find_user_by_email(self, email: str) -> JiraUser | None:
        """The user with this email: an exact (visible) email match, else a single hit."""
        users = self.find_users(email)
        for user in users:
            if user.email and user.email.casefold() == email.casefold():
                return user
        hidden = [user for user in users if user.email is None]
        return hidden[0] if len(users) == 1 and hidden else None

    # -- projects -------------------------------------------------------------------------

    def iter_projects(self) -> Iterator[JiraProject]:
        """Every project the account can browse, with its lead."""
        start = 0
        for _ in range(self.max_pages):
            data = self.request_json(
                "GET",
                f"{API}/project/search",
                params={"startAt": start, "maxResults": self.project_page_size, "expand": "lead"},
            )
            values = self._field(data, "values", list, "project page")
            for item in values:
                yield self._map(project_from_json, item, "project")
            if data.get("isLast", True) or not values:
                return
            start += len(values)
        self._page_cap_reached("project/search")

    # -- issues ---------------------------------------------------------------------------

    def iter_issues(self, jql: str, *, page_size: int | None = None) -> Iterator[JiraIssue]:
        """Issues matching a JQL query, through the enhanced search (nextPageToken)."""
        # /rest/api/3/search is removed; /search/jql pages with a token only:
        # https://developer.atlassian.com/changelog/#CHANGE-2046
        token: str | None = None
        for _ in range(self.max_pages):
            body: dict[str, Any] = {
                "jql": jql,
                "maxResults": min(page_size or self.search_page_size, self.search_page_size),
                "fields": list(ISSUE_FIELDS),
            }
            if token:
                body["nextPageToken"] = token
            data = self.request_json("POST", f"{API}/search/jql", json_body=body, idempotent=True)
            for item in self._field(data, "issues", list, "search page"):
                yield self._map(self._issue, item, "issue")
            token = data.get("nextPageToken")
            if data.get("isLast") is True or not token:
                return
            if not isinstance(token, str):
                raise bad_shape(self.kind, "search page", TypeError("nextPageToken"))
        self._page_cap_reached("search/jql")

    def iter_issues_updated_since(
        self, project_keys: Iterable[str], since: datetime
    ) -> Iterator[JiraIssue]:
        """Issues of these projects updated at or after ``since`` (minute precision), oldest first."""
        return self.iter_issues(
            jql_updated_since(project_keys, since, time_zone=self._search_time_zone())
        )

    def recent_issues(self, project_keys: Iterable[str], limit: int) -> list[JiraIssue]:
        """The ``limit`` most recently updated issues of these projects (only the pages needed)."""
        issues = self.iter_issues(jql_recent(project_keys), page_size=limit)
        return list(itertools.islice(issues, limit))

    def find_issue_by_label(self, label: str) -> JiraIssue | None:
        """The first issue carrying a label, e.g. the ``sy-<uuid>`` idempotency label of a create."""
        return next(iter(self.iter_issues(jql_label(label))), None)

    def get_issue(self, key: str) -> JiraIssue:
        """One issue by key or id."""
        data = self.request_json(
            "GET", f"{API}/issue/{_segment(key)}", params={"fields": ",".join(ISSUE_FIELDS)}
        )
        return self._map(self._issue, data, "issue")

    def create_issue(
        self,
        *,
        project_key: str,
        summary: str,
        issue_type: str = "Task",
        description: str = "",
        priority: str | None = None,
        labels: Iterable[str] = (),
        assignee_account_id: str | None = None,
    ) -> JiraIssue | None:
        """Create an issue; not retried, so mark it with a unique label and search before retrying.

        The created issue is read back by the key (or id) the answer names; None when the answer
        (a 2xx: the issue exists) names neither, and the caller finds it by its label.
        """
        fields: dict[str, Any] = {
            "project": {"key": project_key},
            "summary": summary,
            "issuetype": {"name": issue_type},
            "labels": list(labels),
        }
        if description:
            fields["description"] = markdown_to_adf(description)
        if priority:
            fields["priority"] = {"name": priority}
        if assignee_account_id:
            fields["assignee"] = {"accountId": assignee_account_id}
        data = self.decode_answer(
            self.request("POST", f"{API}/issue", json_body={"fields": fields})
        )
        named = [data.get(name) for name in ("key", "id")] if isinstance(data, Mapping) else []
        key = next((value for value in named if isinstance(value, str) and value), None)
        return self.get_issue(key) if key else None

    def update_issue(
        self,
        key: str,
        *,
        summary: str | _Unset = UNSET,
        description: str | _Unset = UNSET,
        priority: str | _Unset = UNSET,
        labels: Iterable[str] | _Unset = UNSET,
        assignee_account_id: str | None | _Unset = UNSET,
    ) -> None:
        """Set the given fields (``assignee_account_id=None`` unassigns); others stay as they are."""
        fields: dict[str, Any] = {}
        if not isinstance(summary, _Unset):
            fields["summary"] = summary
        if not isinstance(description, _Unset):
            fields["description"] = markdown_to_adf(description) if description else None
        if not isinstance(priority, _Unset):
            fields["priority"] = {"name": priority}
        if not isinstance(labels, _Unset):
            fields["labels"] = list(labels)
        if not isinstance(assignee_account_id, _Unset):
            fields["assignee"] = {"accountId": assignee_account_id} if assignee_account_id else None
        if not fields:
            return
        self.request("PUT", f"{API}/issue/{_segment(key)}", json_body={"fields": fields})

    def get_transitions(self, key: str) -> list[JiraTransition]:
        """The transitions the workflow allows from the issue's current status."""
        data = self.request_json("GET", f"{API}/issue/{_segment(key)}/transitions")
        items = self._field(data, "transitions", list, "transitions")
        return [self._map(transition_from_json, item, "transition") for item in items]

    def transition_issue(self, key: str, transition_id: str) -> None:
        """Perform a transition; a transition not available now is a RemoteRejected (400)."""
        # Not retried: a transition that went through but answered late would fail when repeated.
        self.request(
            "POST",
            f"{API}/issue/{_segment(key)}/transitions",
            json_body={"transition": {"id": transition_id}},
        )

    # -- comments -------------------------------------------------------------------------

    def iter_comments(self, key: str) -> Iterator[JiraComment]:
        """The comments of an issue, oldest first."""
        start = 0
        for _ in range(self.max_pages):
            data = self.request_json(
                "GET",
                f"{API}/issue/{_segment(key)}/comment",
                params={
                    "startAt": start,
                    "maxResults": self.comment_page_size,
                    "orderBy": "created",
                },
            )
            comments = self._field(data, "comments", list, "comment page")
            for item in comments:
                yield self._map(comment_from_json, item, "comment")
            start += len(comments)
            total = data.get("total")
            if not comments or not isinstance(total, int) or start >= total:
                return
        self._page_cap_reached("comment")

    def add_comment(self, key: str, body: str) -> JiraComment | None:
        """Add a comment (Markdown-like text, sent as ADF); the comment, if the answer has it."""
        response = self.request(
            "POST",
            f"{API}/issue/{_segment(key)}/comment",
            json_body={"body": markdown_to_adf(body)},
        )
        data = self.decode_answer(response)
        try:
            return self._map(comment_from_json, data, "comment")
        except RemoteBadResponse as unread:
            self.logger.info("jira.write.answer_unread", extra={"error": str(unread)})
            return None

    # -- helpers --------------------------------------------------------------------------

    def _issue(self, data: Mapping[str, Any]) -> JiraIssue:
        return issue_from_json(data, site_url=self.base_url)

    def _map(self, build: Callable[[Any], T], data: Any, what: str) -> T:
        if not isinstance(data, Mapping):
            raise bad_shape(
                self.kind, what, TypeError(f"expected an object, got {type(data).__name__}")
            )
        try:
            return build(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_shape(self.kind, what, exc) from exc

    def _field(self, data: Any, name: str, kind: type[T], what: str) -> T:
        if not isinstance(data, Mapping) or not isinstance(data.get(name), kind):
            raise bad_shape(self.kind, what, TypeError(f"missing or mistyped {name!r}"))
        return data[name]

    def _search_time_zone(self) -> str:
        if self._time_zone is None:
            self.myself()
        zone = self._time_zone or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.logger.warning("jira.time_zone.unknown", extra={"time_zone": zone})
            return "UTC"
        return zone

    def _page_cap_reached(self, what: str) -> None:
        self.logger.warning("jira.pages.capped", extra={"endpoint": what, "pages": self.max_pages})


def _segment(key: str) -> str:
    """An issue key or id as one path segment (keys are ``ABC-123``, ids digits)."""
    if not key or "/" in key or "?" in key or "#" in key:
        raise ValueError(f"not an issue key or id: {key!r}")
    return key


def _error_body(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _error_messages(response: httpx.Response) -> list[str]:
    messages = _error_body(response).get("errorMessages")
    return [str(m) for m in messages] if isinstance(messages, list) else []
