"""Linear's JSON as typed records (pure functions).

Two shapes come in: the GraphQL API's (the selections in ``queries.py``) and the webhooks'
(``IssueWebhookPayload`` / ``CommentWebhookPayload`` in Linear's schema), which flatten ids
(``teamId``, ``issueId``) and carry lists where the API has connections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class LinearShapeError(ValueError):
    """Linear JSON decoded fine but is not shaped as the schema says."""


@dataclass(frozen=True, slots=True)
class LinearUser:
    """A Linear user (a person or an app actor)."""

    id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class LinearTeam:
    """A Linear team: Switchyard's tracker project."""

    id: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class LinearState:
    """A workflow state; ``type`` is triage, backlog, unstarted, started, completed or canceled.

    Webhook payloads do not carry ``position``: states built from them have 0.0.
    """

    id: str
    name: str
    type: str
    position: float


@dataclass(frozen=True, slots=True)
class LinearLabel:
    """An issue label: a team's, or the workspace's (which every team's issues may carry)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class LinearIssue:
    """A Linear issue; ``priority`` is 0 (none), 1 (urgent) ... 4 (low)."""

    id: str
    identifier: str
    url: str
    title: str
    description: str
    priority: int
    state: LinearState
    team_id: str
    assignee: LinearUser | None
    creator: LinearUser | None
    labels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    canceled_at: datetime | None


@dataclass(frozen=True, slots=True)
class LinearComment:
    """A comment on a Linear issue; ``user`` is None for comments made by integrations."""

    id: str
    issue_id: str
    body: str
    user: LinearUser | None
    created_at: datetime


# -- field readers --------------------------------------------------------------------------


def _get(data: Any, key: str) -> Any:
    if not isinstance(data, Mapping) or key not in data:
        raise LinearShapeError(f"missing {key!r}")
    return data[key]


def _str(data: Any, key: str) -> str:
    value = _get(data, key)
    if not isinstance(value, str):
        raise LinearShapeError(f"{key!r} is not a string: {value!r}")
    return value


def _optional_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _number(data: Any, key: str) -> float:
    value = _get(data, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LinearShapeError(f"{key!r} is not a number: {value!r}")
    return float(value)


def parse_datetime(value: Any) -> datetime:
    """An aware datetime from Linear's ISO 8601 text (``2024-05-01T10:00:00.000Z``)."""
    if not isinstance(value, str):
        raise LinearShapeError(f"expected an ISO 8601 date-time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LinearShapeError(f"bad date-time {value!r}") from exc
    if moment.tzinfo is None:
        raise LinearShapeError(f"date-time without a time zone: {value!r}")
    return moment


def _optional_datetime(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


# -- API shapes -----------------------------------------------------------------------------


def user_from_json(data: Any) -> LinearUser:
    """A user from the API's ``User`` selection (or a webhook's ``UserChildWebhookPayload``)."""
    return LinearUser(
        id=_str(data, "id"), name=_str(data, "name"), email=_optional_str(data, "email")
    )


def optional_user_from_json(data: Any) -> LinearUser | None:
    """A user, or None where Linear answers null (no assignee, an integration's comment)."""
    return None if data is None else user_from_json(data)


def team_from_json(data: Any) -> LinearTeam:
    """A team from the API's ``Team`` selection."""
    return LinearTeam(id=_str(data, "id"), key=_str(data, "key"), name=_str(data, "name"))


def state_from_json(data: Any) -> LinearState:
    """A workflow state from the API's ``WorkflowState`` selection."""
    return LinearState(
        id=_str(data, "id"),
        name=_str(data, "name"),
        type=_str(data, "type"),
        position=_number(data, "position") if "position" in data else 0.0,
    )


def label_from_json(data: Any) -> LinearLabel:
    """A label from the API's ``IssueLabel`` selection."""
    return LinearLabel(id=_str(data, "id"), name=_str(data, "name"))


def issue_from_json(data: Any) -> LinearIssue:
    """An issue from the API's ``Issue`` selection (``queries.ISSUE_FIELDS``)."""
    labels = _get(_get(data, "labels"), "nodes")
    if not isinstance(labels, list):
        raise LinearShapeError("labels.nodes is not a list")
    return LinearIssue(
        id=_str(data, "id"),
        identifier=_str(data, "identifier"),
        url=_str(data, "url"),
        title=_str(data, "title"),
        description=_optional_str(data, "description"),
        priority=int(_number(data, "priority")),
        state=state_from_json(_get(data, "state")),
        team_id=_str(_get(data, "team"), "id"),
        assignee=optional_user_from_json(data.get("assignee")),
        creator=optional_user_from_json(data.get("creator")),
        labels=tuple(_str(label, "name") for label in labels),
        created_at=parse_datetime(_get(data, "createdAt")),
        updated_at=parse_datetime(_get(data, "updatedAt")),
        completed_at=_optional_datetime(data.get("completedAt")),
        canceled_at=_optional_datetime(data.get("canceledAt")),
    )


def comment_from_json(data: Any, *, issue_id: str | None = None) -> LinearComment:
    """A comment from the API's ``Comment`` selection; ``issue_id`` when the selection omits it."""
    issue = data.get("issue") if isinstance(data, Mapping) else None
    if isinstance(issue, Mapping):
        issue_id = _str(issue, "id")
    if not issue_id:
        raise LinearShapeError("comment without an issue")
    return LinearComment(
        id=_str(data, "id"),
        issue_id=issue_id,
        body=_str(data, "body"),
        user=optional_user_from_json(data.get("user")),
        created_at=parse_datetime(_get(data, "createdAt")),
    )


# -- webhook shapes -------------------------------------------------------------------------


def issue_from_webhook(data: Any) -> LinearIssue:
    """An issue from a webhook's ``data`` (Linear's ``IssueWebhookPayload``)."""
    labels = _get(data, "labels")
    if not isinstance(labels, list):
        raise LinearShapeError("labels is not a list")
    return LinearIssue(
        id=_str(data, "id"),
        identifier=_str(data, "identifier"),
        url=_str(data, "url"),
        title=_str(data, "title"),
        description=_optional_str(data, "description"),
        priority=int(_number(data, "priority")),
        state=state_from_json(_get(data, "state")),
        team_id=_str(data, "teamId"),
        assignee=optional_user_from_json(data.get("assignee")),
        creator=optional_user_from_json(data.get("creator")),
        labels=tuple(_str(label, "name") for label in labels),
        created_at=parse_datetime(_get(data, "createdAt")),
        updated_at=parse_datetime(_get(data, "updatedAt")),
        completed_at=_optional_datetime(data.get("completedAt")),
        canceled_at=_optional_datetime(data.get("canceledAt")),
    )


def comment_from_webhook(data: Any) -> LinearComment:
    """A comment from a webhook's ``data`` (Linear's ``CommentWebhookPayload``)."""
    issue_id = data.get("issueId") if isinstance(data, Mapping) else None
    if not isinstance(issue_id, str) or not issue_id:
        # Comments on project updates or documents have no issue: not ours to sync.
        raise LinearShapeError("comment without an issueId")
    return LinearComment(
        id=_str(data, "id"),
        issue_id=issue_id,
        body=_str(data, "body"),
        user=optional_user_from_json(data.get("user")),
        created_at=parse_datetime(_get(data, "createdAt")),
    )
