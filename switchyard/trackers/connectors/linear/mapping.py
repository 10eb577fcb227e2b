"""Linear's JSON as typed records (pure functions).

Two shapes come in: the GraphQL API's (the selections in ``queries.py``) and the webhooks'
(``IssueWebhookPayload`` / ``CommentWebhookPayload`` in Linear's schema), which flatten ids
(``teamId``, ``issueId``) and carry lists where the API has connections.

Reading is tolerant: a record needs its identity (an id, an issue's identifier and team); a
field left out takes a default, and only a field present with the wrong type is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The moment of a record whose answer left its dates out: older than anything, so it never
# moves a sync cursor forward.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


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


def _number(data: Any, key: str, default: float = 0.0) -> float:
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LinearShapeError(f"{key!r} is not a number: {value!r}")
    return float(value)


def _moment(data: Mapping[str, Any], key: str) -> datetime:
    return _optional_datetime(data.get(key)) or UNKNOWN_TIME


def _names(labels: Any) -> tuple[str, ...]:
    if labels is None:
        return ()
    if not isinstance(labels, list):
        raise LinearShapeError("labels is not a list")
    return tuple(_optional_str(label, "name") for label in labels if isinstance(label, Mapping))


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
        id=_str(data, "id"), name=_optional_str(data, "name"), email=_optional_str(data, "email")
    )


def optional_user_from_json(data: Any) -> LinearUser | None:
    """A user, or None where Linear answers null (no assignee, an integration's comment)."""
    return None if data is None else user_from_json(data)


def team_from_json(data: Any) -> LinearTeam:
    """A team from the API's ``Team`` selection."""
    key = _str(data, "key")
    return LinearTeam(id=_str(data, "id"), key=key, name=_optional_str(data, "name") or key)


def state_from_json(data: Any) -> LinearState:
    """A workflow state from the API's ``WorkflowState`` selection."""
    return LinearState(
        id=_str(data, "id"),
        name=_optional_str(data, "name"),
        type=_optional_str(data, "type"),
        position=_number(data, "position"),
    )


def _optional_state(data: Any) -> LinearState:
    """An issue's state; a blank one (counted as to do) when the answer leaves it out."""
    if not isinstance(data, Mapping):
        return LinearState(id="", name="", type="", position=0.0)
    return state_from_json(data)


def label_from_json(data: Any) -> LinearLabel:
    """A label from the API's ``IssueLabel`` selection."""
    return LinearLabel(id=_str(data, "id"), name=_optional_str(data, "name"))


def _issue(data: Any, *, team_id: str, labels: tuple[str, ...]) -> LinearIssue:
    """The fields the API's and the webhooks' issue shapes share."""
    return LinearIssue(
        id=_str(data, "id"),
        identifier=_str(data, "identifier"),
        url=_optional_str(data, "url"),
        title=_optional_str(data, "title"),
        description=_optional_str(data, "description"),
        priority=int(_number(data, "priority")),
        state=_optional_state(data.get("state")),
        team_id=team_id,
        assignee=optional_user_from_json(data.get("assignee")),
        creator=optional_user_from_json(data.get("creator")),
        labels=labels,
        created_at=_moment(data, "createdAt"),
        updated_at=_moment(data, "updatedAt"),
        completed_at=_optional_datetime(data.get("completedAt")),
        canceled_at=_optional_datetime(data.get("canceledAt")),
    )


def issue_from_json(data: Any) -> LinearIssue:
    """An issue from the API's ``Issue`` selection (``queries.ISSUE_FIELDS``)."""
    team = _get(data, "team")
    labels = data.get("labels")
    nodes = labels.get("nodes") if isinstance(labels, Mapping) else labels
    return _issue(data, team_id=_str(team, "id"), labels=_names(nodes))


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
        body=_optional_str(data, "body"),
        user=optional_user_from_json(data.get("user")),
        created_at=_moment(data, "createdAt"),
    )


# -- webhook shapes -------------------------------------------------------------------------


def issue_from_webhook(data: Any) -> LinearIssue:
    """An issue from a webhook's ``data`` (Linear's ``IssueWebhookPayload``)."""
    return _issue(data, team_id=_str(data, "teamId"), labels=_names(data.get("labels")))


def comment_from_webhook(data: Any) -> LinearComment:
    """A comment from a webhook's ``data`` (Linear's ``CommentWebhookPayload``)."""
    issue_id = data.get("issueId") if isinstance(data, Mapping) else None
    if not isinstance(issue_id, str) or not issue_id:
        # Comments on project updates or documents have no issue: not ours to sync.
        raise LinearShapeError("comment without an issueId")
    return LinearComment(
        id=_str(data, "id"),
        issue_id=issue_id,
        body=_optional_str(data, "body"),
        user=optional_user_from_json(data.get("user")),
        created_at=_moment(data, "createdAt"),
    )
