"""Typed records for Jira Cloud objects, built by pure functions from the REST v3 JSON.

Reading is tolerant: only a record's identity (an id, an issue's key) is required; a field left
out takes a default. The functions raise KeyError, TypeError or ValueError when the identity is
missing or a field present has the wrong type; the client turns those into RemoteBadResponse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from switchyard.trackers.connectors.jira.adf import adf_to_markdown

# The fields an issue search or fetch asks for: exactly what issue_from_json reads.
ISSUE_FIELDS: tuple[str, ...] = (
    "summary",
    "description",
    "issuetype",
    "status",
    "priority",
    "labels",
    "assignee",
    "reporter",
    "project",
    "created",
    "updated",
    "resolutiondate",
)


@dataclass(frozen=True, slots=True)
class JiraUser:
    """An Atlassian account; email is None when the user's privacy settings hide it."""

    account_id: str
    display_name: str
    email: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class JiraProject:
    """A Jira project (software, service_desk or business)."""

    id: str
    key: str
    name: str
    project_type: str
    lead: JiraUser | None


@dataclass(frozen=True, slots=True)
class JiraIssue:
    """A Jira issue with its description converted from ADF to Markdown-like text."""

    id: str
    key: str
    url: str
    project_key: str
    summary: str
    description: str
    issue_type: str
    status: str
    status_category: str
    priority: str | None
    labels: tuple[str, ...]
    assignee: JiraUser | None
    reporter: JiraUser | None
    created: datetime
    updated: datetime
    resolved: datetime | None


@dataclass(frozen=True, slots=True)
class JiraTransition:
    """A workflow transition available on an issue, with the status it leads to."""

    id: str
    name: str
    to_status: str
    to_status_category: str


@dataclass(frozen=True, slots=True)
class JiraComment:
    """A comment on an issue, its ADF body converted to Markdown-like text."""

    id: str
    author: JiraUser | None
    body: str
    created: datetime
    updated: datetime | None = None


# The moment of a record whose answer left its dates out: older than anything, so it never
# moves a sync cursor forward.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def parse_datetime(value: Any) -> datetime:
    """An aware datetime from Jira's ``2024-05-01T10:00:00.000+0000`` (or RFC 3339)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    return parsed


def _optional_datetime(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} should be a string, got {type(value).__name__}")
    return value


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} should be a string, got {type(value).__name__}")
    return value


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data[key]
    if not isinstance(value, Mapping):
        raise TypeError(f"{key} should be an object, got {type(value).__name__}")
    return value


def _optional_object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An object field, or an empty one when it is left out or null."""
    return {} if data.get(key) is None else _object(data, key)


def user_from_json(data: Mapping[str, Any]) -> JiraUser:
    """JiraUser from a User or UserDetails object."""
    return JiraUser(
        account_id=_str(data, "accountId"),
        display_name=_optional_str(data, "displayName") or "",
        email=_optional_str(data, "emailAddress") or None,
        time_zone=_optional_str(data, "timeZone"),
    )


def _optional_user(value: Any) -> JiraUser | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"a user should be an object, got {type(value).__name__}")
    return user_from_json(value)


def project_from_json(data: Mapping[str, Any]) -> JiraProject:
    """JiraProject from a Project object (``lead`` is there with ``expand=lead``)."""
    return JiraProject(
        id=_str(data, "id"),
        key=_str(data, "key"),
        name=_optional_str(data, "name") or _str(data, "key"),
        project_type=_optional_str(data, "projectTypeKey") or "",
        lead=_optional_user(data.get("lead")),
    )


def site_of(self_url: str) -> str:
    """The site root (``https://acme.atlassian.net``) of a REST ``self`` link."""
    parts = urlsplit(self_url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {self_url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def issue_from_json(data: Mapping[str, Any], *, site_url: str | None = None) -> JiraIssue:
    """JiraIssue from an IssueBean; the browse URL is on ``site_url`` or the ``self`` link's site.

    Only ``id`` and ``key`` are required. The project defaults to the key's prefix (``PAY`` of
    ``PAY-12``); a missing status or category is blank, missing dates are unknown.
    """
    fields = _optional_object(data, "fields")
    key = _str(data, "key")
    status = _optional_object(fields, "status")
    created, updated = _created_and_updated(fields)
    return JiraIssue(
        id=_str(data, "id"),
        key=key,
        url=_browse_url(data, key, site_url),
        project_key=_name_in(fields, "project", "key") or key.rpartition("-")[0],
        summary=_optional_str(fields, "summary") or "",
        description=_description(fields),
        issue_type=_name_in(fields, "issuetype", "name") or "",
        status=_optional_str(status, "name") or "",
        status_category=_name_in(status, "statusCategory", "key") or "",
        priority=_priority(fields),
        labels=_labels(fields),
        assignee=_optional_user(fields.get("assignee")),
        reporter=_optional_user(fields.get("reporter")),
        created=created,
        updated=updated,
        resolved=_optional_datetime(fields.get("resolutiondate")),
    )


def _created_and_updated(fields: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """Each date stands in for the other when left out; with neither, the time is unknown."""
    created = _optional_datetime(fields.get("created"))
    updated = _optional_datetime(fields.get("updated"))
    return created or updated or UNKNOWN_TIME, updated or created or UNKNOWN_TIME


def _priority(fields: Mapping[str, Any]) -> str | None:
    priority = fields.get("priority")
    return _optional_str(priority, "name") if isinstance(priority, Mapping) else None


def _browse_url(data: Mapping[str, Any], key: str, site_url: str | None) -> str:
    """The issue's page on ``site_url``, else on the site of its ``self`` link; blank if neither."""
    self_url = _optional_str(data, "self")
    site = (site_url or (site_of(self_url) if self_url else "")).rstrip("/")
    return f"{site}/browse/{key}" if site else ""


def _name_in(data: Mapping[str, Any], key: str, name: str) -> str | None:
    """A string field of an optional nested object (``fields.project.key``)."""
    return _optional_str(_optional_object(data, key), name)


def _labels(fields: Mapping[str, Any]) -> tuple[str, ...]:
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise TypeError("labels should be a list of strings")
    return tuple(labels)


def _description(fields: Mapping[str, Any]) -> str:
    """The ADF description as Markdown-like text; blank when there is none."""
    description = fields.get("description")
    if description is not None and not isinstance(description, Mapping):
        raise TypeError("description should be an ADF document")
    return adf_to_markdown(dict(description)) if description else ""


def transition_from_json(data: Mapping[str, Any]) -> JiraTransition:
    """JiraTransition from an IssueTransition object."""
    to = _optional_object(data, "to")
    return JiraTransition(
        id=_str(data, "id"),
        name=_optional_str(data, "name") or "",
        to_status=_optional_str(to, "name") or "",
        to_status_category=_optional_str(_optional_object(to, "statusCategory"), "key") or "",
    )


def comment_from_json(data: Mapping[str, Any]) -> JiraComment:
    """JiraComment from a Comment object with an ADF body."""
    body = data.get("body")
    if body is not None and not isinstance(body, Mapping):
        raise TypeError("comment body should be an ADF document")
    return JiraComment(
        id=_str(data, "id"),
        author=_optional_user(data.get("author")),
        body=adf_to_markdown(dict(body)) if body else "",
        created=_optional_datetime(data.get("created")) or UNKNOWN_TIME,
        updated=_optional_datetime(data.get("updated")),
    )


@dataclass(frozen=True, slots=True)
class JiraChange:
    """One changelog item of an issue update (``status``: ``To Do`` -> ``Done``)."""

    field: str
    from_string: str | None
    to_string: str | None


@dataclass(frozen=True, slots=True)
class JiraWebhookEvent:
    """A Jira webhook delivery; ``issue`` is None when the payload carries only a trimmed issue."""

    event: str
    timestamp: datetime
    issue_id: str
    issue_key: str
    issue: JiraIssue | None
    changes: tuple[JiraChange, ...]
    comment: JiraComment | None
    user: JiraUser | None


def change_from_json(data: Mapping[str, Any]) -> JiraChange:
    """JiraChange from a changelog item."""
    return JiraChange(
        field=_str(data, "field"),
        from_string=_optional_str(data, "fromString"),
        to_string=_optional_str(data, "toString"),
    )


def webhook_event_from_json(data: Mapping[str, Any]) -> JiraWebhookEvent:
    """JiraWebhookEvent from a webhook body (issue and comment events)."""
    timestamp = data["timestamp"]
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise TypeError("timestamp should be epoch milliseconds")
    event = _str(data, "webhookEvent")
    raw_issue = _object(data, "issue")
    # Comment events carry a trimmed issue (no dates, no description), not one to store:
    # https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-a-comment-related-event
    # An issue event whose issue lacks its status or update time is trimmed too: the caller reads
    # the issue instead of storing blanks over what it knows.
    fields = raw_issue.get("fields")
    full = isinstance(fields, Mapping) and {"status", "updated"} <= fields.keys()
    issue = issue_from_json(raw_issue) if full and event.startswith("jira:issue_") else None
    changelog = data.get("changelog") or {}
    items = (changelog.get("items") or []) if isinstance(changelog, Mapping) else []
    if not isinstance(items, list):
        raise TypeError("changelog items should be a list")
    comment = data.get("comment")
    return JiraWebhookEvent(
        event=event,
        timestamp=datetime.fromtimestamp(timestamp / 1000, tz=UTC),
        issue_id=_str(raw_issue, "id"),
        issue_key=_str(raw_issue, "key"),
        issue=issue,
        changes=tuple(change_from_json(item) for item in items),
        comment=comment_from_json(comment) if isinstance(comment, Mapping) else None,
        user=_optional_user(data.get("user")),
    )
