"""The fake Sentry's rows (organizations, members, projects, issues, notes) and shared constants.

Times are kept as integer milliseconds since the epoch; ``iso`` renders them as Sentry does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PUBLIC_URL = "https://sentry.io"
ISSUE_STATUSES = frozenset({"resolved", "unresolved", "ignored", "resolvedInNextRelease", "muted"})
SUBSTATUSES = frozenset(
    {
        "archived_until_escalating",
        "archived_until_condition_met",
        "archived_forever",
        "escalating",
        "ongoing",
        "regressed",
        "new",
    }
)
SENTRY_ACTOR = {"type": "application", "id": "sentry", "name": "Sentry"}
MS = 1000
DAY_MS = 86_400 * MS


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / MS, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * MS)


@dataclass(slots=True)
class Org:
    id: int
    slug: str
    name: str
    created: int


@dataclass(slots=True)
class Member:
    id: int
    email: str
    name: str
    username: str
    joined: int


@dataclass(slots=True)
class Project:
    id: int
    org: str
    slug: str
    name: str
    platform: str | None
    created: int
    team_id: int
    short_prefix: str
    short_counter: int = 0


@dataclass(slots=True)
class Note:
    id: int
    issue_id: int
    author_id: int | None
    text: str
    created: int


@dataclass(slots=True)
class Issue:
    id: int
    project_id: int
    short_id: str
    title: str
    culprit: str
    level: str
    type: str
    metadata: dict[str, str]
    platform: str | None
    status: str
    substatus: str | None
    priority: str
    first_seen: int
    last_seen: int
    count: int
    user_count: int
    assignee_id: int | None = None
    notes: list[Note] = field(default_factory=list)


class BadRequest(Exception):
    """A request the fake refuses; ``body`` is the 400 answer."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = dict(body)
