"""Typed records for Sentry objects and the pure functions that build them from Sentry's JSON.

Reading is tolerant: Sentry-compatible servers (GlitchTip, older self-hosted Sentry) leave out
fields or name them differently, so a missing optional field takes a default and only a record's
identity (its id) is required. A function raises ``SentryShapeError`` (a ValueError) when that
identity is missing or a field present has the wrong type; the client turns that into a
``RemoteBadResponse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class SentryShapeError(ValueError):
    """Sentry JSON decoded fine but is not shaped as documented."""


@dataclass(frozen=True, slots=True)
class SentryIdentity:
    """Who a token belongs to (``GET /api/0/``); org auth tokens have no user."""

    user_id: str | None
    email: str | None
    name: str | None
    username: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentryOrganization:
    """A Sentry organization."""

    id: str
    slug: str
    name: str
    status: str
    date_created: datetime | None


@dataclass(frozen=True, slots=True)
class SentryProject:
    """A Sentry project of an organization."""

    id: str
    slug: str
    name: str
    platform: str | None
    date_created: datetime | None
    first_event: datetime | None
    is_member: bool
    team_slugs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentryAssignee:
    """Who an issue is assigned to: a user (with an email when Sentry shares it) or a team."""

    type: str
    id: str
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class SentryIssue:
    """A Sentry issue (a "group" in Sentry's code)."""

    id: str
    short_id: str
    title: str
    culprit: str | None
    level: str
    status: str
    substatus: str | None
    priority: str | None
    platform: str | None
    count: int
    user_count: int
    num_comments: int
    first_seen: datetime | None
    last_seen: datetime | None
    permalink: str | None
    project_id: str
    project_slug: str
    assigned_to: SentryAssignee | None

    @property
    def assignee_email(self) -> str | None:
        """The assigned user's email, if the issue is assigned to a user Sentry shares it for."""
        if self.assigned_to is None or self.assigned_to.type != "user":
            return None
        return self.assigned_to.email


@dataclass(frozen=True, slots=True)
class SentryComment:
    """A note (comment) on an issue, as Sentry serializes a NOTE activity."""

    id: str
    issue_id: str
    text: str
    author_id: str | None
    author_name: str | None
    author_email: str | None
    date_created: datetime | None


# -- field readers ----------------------------------------------------------------------------


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SentryShapeError(f"{what} is not an object")
    return value


def _field(data: Mapping[str, Any], key: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise SentryShapeError(f"missing field {key!r}") from None


def _str(data: Mapping[str, Any], key: str) -> str:
    value = _field(data, key)
    # Sentry serializes ids as strings, but a few payloads (webhooks, GlitchTip) use ints.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise SentryShapeError(f"field {key!r} is not a string")
    return value


def _opt_str(data: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` present and not null (servers differ: ``userCount``/``user_count``)."""
    for key in keys:
        if data.get(key) is not None:
            return _str(data, key)
    return None


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = _opt_str(data, key)
    return default if value is None else value


def _int(data: Mapping[str, Any], *keys: str, default: int = 0) -> int:
    key = next((k for k in keys if data.get(k) is not None), None)
    if key is None:
        return default
    value = data[key]
    # `count` is a string in Sentry's issue JSON (it can exceed 2**53); userCount is an int.
    if isinstance(value, bool):
        raise SentryShapeError(f"field {key!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise SentryShapeError(f"field {key!r} is not an integer")


def _url(data: Mapping[str, Any], *keys: str) -> str | None:
    # GlitchTip answers `permalink: "Not implemented"`: only a web address is a link.
    for key in keys:
        value = _opt_str(data, key)
        if value and value.startswith(("https://", "http://")):
            return value
    return None


def parse_timestamp(value: Any) -> datetime:
    """An aware datetime from Sentry's ISO-8601 text (``2019-08-19T20:58:37.391000Z``)."""
    if not isinstance(value, str):
        raise SentryShapeError("timestamp is not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise SentryShapeError(f"unreadable timestamp {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _opt_dt(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else parse_timestamp(value)


# -- records ----------------------------------------------------------------------------------


def identity_from_json(data: Any) -> SentryIdentity:
    """Build a SentryIdentity from the body of ``GET /api/0/``."""
    data = _obj(data, "index")
    auth = data.get("auth")
    scopes: tuple[str, ...] = ()
    if auth is not None:
        raw_scopes = _obj(auth, "auth").get("scopes") or []
        if not isinstance(raw_scopes, list) or not all(isinstance(s, str) for s in raw_scopes):
            raise SentryShapeError("auth.scopes is not a list of strings")
        scopes = tuple(raw_scopes)
    user = data.get("user")
    if user is None:
        return SentryIdentity(None, None, None, None, scopes)
    user = _obj(user, "user")
    return SentryIdentity(
        user_id=_str(user, "id"),
        email=_opt_str(user, "email"),
        name=_opt_str(user, "name"),
        username=_opt_str(user, "username"),
        scopes=scopes,
    )


def organization_from_json(data: Any) -> SentryOrganization:
    """Build a SentryOrganization from one item of ``GET /api/0/organizations/``."""
    data = _obj(data, "organization")
    status = data.get("status")
    status_id = _text(_obj(status, "organization.status"), "id") if status is not None else ""
    slug = _str(data, "slug")
    return SentryOrganization(
        id=_text(data, "id", slug),
        slug=slug,
        name=_text(data, "name", slug),
        status=status_id or "active",
        date_created=_opt_dt(data, "dateCreated"),
    )


def project_from_json(data: Any) -> SentryProject:
    """Build a SentryProject from one item of an organization's project list."""
    data = _obj(data, "project")
    teams = data.get("teams") or []
    if not isinstance(teams, list):
        raise SentryShapeError("project.teams is not a list")
    project_id = _str(data, "id")
    slug = _text(data, "slug", project_id)
    return SentryProject(
        id=project_id,
        slug=slug,
        name=_text(data, "name", slug),
        platform=_opt_str(data, "platform") or None,
        date_created=_opt_dt(data, "dateCreated"),
        first_event=_opt_dt(data, "firstEvent"),
        is_member=bool(data.get("isMember", False)),
        team_slugs=tuple(
            slug for team in teams if (slug := _opt_str(_obj(team, "team"), "slug")) is not None
        ),
    )


def assignee_from_json(data: Any) -> SentryAssignee | None:
    """Build a SentryAssignee from an issue's ``assignedTo`` (None when unassigned)."""
    if data is None:
        return None
    data = _obj(data, "assignedTo")
    return SentryAssignee(
        type=_text(data, "type", "user"),
        id=_text(data, "id"),
        name=_text(data, "name"),
        email=_opt_str(data, "email"),
    )


def issue_from_json(data: Any) -> SentryIssue:
    """Build a SentryIssue from Sentry's issue JSON (lists, details, updates and webhooks).

    GlitchTip sends no ``substatus``, ``priority`` or ``assignedTo``, and writes ``user_count``
    in the answer to a PUT: those take their defaults.
    """
    data = _obj(data, "issue")
    project = data.get("project")
    project = {} if project is None else _obj(project, "issue.project")
    issue_id = _str(data, "id")
    return SentryIssue(
        id=issue_id,
        short_id=_text(data, "shortId", issue_id),
        title=_text(data, "title"),
        culprit=_opt_str(data, "culprit"),
        level=_text(data, "level", "error"),
        status=_text(data, "status", "unresolved"),
        substatus=_opt_str(data, "substatus"),
        priority=_opt_str(data, "priority"),
        platform=_opt_str(data, "platform") or None,
        count=_int(data, "count"),
        user_count=_int(data, "userCount", "user_count"),
        num_comments=_int(data, "numComments", "num_comments"),
        first_seen=_opt_dt(data, "firstSeen"),
        last_seen=_opt_dt(data, "lastSeen"),
        # Webhook payloads send `permalink: null` and carry the web URL as `web_url` instead.
        permalink=_url(data, "permalink", "web_url"),
        project_id=_text(project, "id"),
        project_slug=_text(project, "slug"),
        assigned_to=assignee_from_json(data.get("assignedTo")),
    )


def comment_from_json(data: Any, *, issue_id: str) -> SentryComment:
    """Build a SentryComment from a NOTE activity (``{"id", "user", "type", "data", ...}``)."""
    data = _obj(data, "note")
    if data.get("type", "note") != "note":
        raise SentryShapeError(f"activity type {data.get('type')!r} is not a note")
    body = data.get("data")
    body = {} if body is None else _obj(body, "note.data")
    user = data.get("user")
    user = None if user is None else _obj(user, "note.user")
    return SentryComment(
        id=_str(data, "id"),
        issue_id=issue_id,
        text=_text(body, "text"),
        author_id=None if user is None else _opt_str(user, "id"),
        author_name=None if user is None else _opt_str(user, "name"),
        author_email=None if user is None else _opt_str(user, "email"),
        date_created=_opt_dt(data, "dateCreated"),
    )
