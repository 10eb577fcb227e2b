"""Linear's GraphQL JSON as typed records (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class LinearShapeError(ValueError):
    """Linear JSON decoded fine but is not shaped as the schema says."""


@dataclass(frozen=True, slots=True)
class LinearUser:
    id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class LinearTeam:
    id: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class LinearState:
    """A workflow state; ``type`` is triage, backlog, unstarted, started, completed or canceled."""

    id: str
    name: str
    type: str
    position: float


@dataclass(frozen=True, slots=True)
class LinearIssue:
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
    id: str
    issue_id: str
    body: str
    user: LinearUser | None
    created_at: datetime


def parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise LinearShapeError(f"expected an ISO 8601 date-time, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LinearShapeError(f"bad date-time {value!r}") from exc


def _optional_datetime(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


def _get(data: Any, key: str) -> Any:
    if not isinstance(data, Mapping) or key not in data:
        raise LinearShapeError(f"missing {key!r}")
    return data[key]


def user_from_json(data: Any) -> LinearUser | None:
    if data is None:
        return None
    return LinearUser(
        id=str(_get(data, "id")), name=str(_get(data, "name")), email=str(data.get("email") or "")
    )


def team_from_json(data: Any) -> LinearTeam:
    return LinearTeam(
        id=str(_get(data, "id")), key=str(_get(data, "key")), name=str(_get(data, "name"))
    )


def state_from_json(data: Any) -> LinearState:
    return LinearState(
        id=str(_get(data, "id")),
        name=str(_get(data, "name")),
        type=str(_get(data, "type")),
        position=float(data.get("position") or 0),
    )


def issue_from_json(data: Any) -> LinearIssue:
    labels = _get(_get(data, "labels"), "nodes")
    return LinearIssue(
        id=str(_get(data, "id")),
        identifier=str(_get(data, "identifier")),
        url=str(_get(data, "url")),
        title=str(_get(data, "title")),
        description=str(data.get("description") or ""),
        priority=int(_get(data, "priority")),
        state=state_from_json(_get(data, "state")),
        team_id=str(_get(_get(data, "team"), "id")),
        assignee=user_from_json(data.get("assignee")),
        creator=user_from_json(data.get("creator")),
        labels=tuple(str(_get(label, "name")) for label in labels),
        created_at=parse_datetime(_get(data, "createdAt")),
        updated_at=parse_datetime(_get(data, "updatedAt")),
        completed_at=_optional_datetime(data.get("completedAt")),
        canceled_at=_optional_datetime(data.get("canceledAt")),
    )


def comment_from_json(data: Any, *, issue_id: str | None = None) -> LinearComment:
    issue = data.get("issue") if isinstance(data, Mapping) else None
    return LinearComment(
        id=str(_get(data, "id")),
        issue_id=str(issue["id"]) if isinstance(issue, Mapping) else str(issue_id or ""),
        body=str(_get(data, "body")),
        user=user_from_json(data.get("user")),
        created_at=parse_datetime(_get(data, "createdAt")),
    )
