"""The fake Linear's rows and the indexes that keep paging cheap at any volume."""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
STATES = [  # name, type, color; a team's default workflow, in position order
    ("Triage", "triage", "#fc7840"),
    ("Backlog", "backlog", "#bec2c8"),
    ("Todo", "unstarted", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"),
    ("In Review", "started", "#0f783c"),
    ("Done", "completed", "#5e6ad2"),
    ("Canceled", "canceled", "#95a2b3"),
    ("Duplicate", "canceled", "#95a2b3"),
]

LABEL_COLOR = "#eb5757"  # what Linear gives a label created without a color

Key = tuple[datetime, str]


def stable_id(*parts: str) -> str:
    """A UUID derived from names, so that seeded ids are the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, ":".join(parts)))


@dataclass
class _Label:
    id: str
    name: str
    team_id: str | None  # None: a workspace label, usable in every team
    created_at: datetime
    color: str


@dataclass
class _Issue:
    id: str
    team_id: str
    number: int
    title: str
    description: str
    priority: int
    state_id: str
    creator_id: str | None
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    label_ids: list[str] = field(default_factory=list)
    completed_at: datetime | None = None
    canceled_at: datetime | None = None
    started_at: datetime | None = None


@dataclass
class _Comment:
    id: str
    issue_id: str
    body: str
    user_id: str
    created_at: datetime
    updated_at: datetime | None = None


class IssueIndex:
    """Issue keys ``(time, id)`` sorted by update and by creation, overall and per team.

    Paging bisects these lists, so serving a page never scans the issues. Bulk seeding appends
    and sorts once (``seal``); later changes move one key.
    """

    def __init__(self) -> None:
        self.by_update: dict[str | None, list[Key]] = defaultdict(list)
        self.by_creation: dict[str | None, list[Key]] = defaultdict(list)

    def add(self, issue: _Issue, *, bulk: bool = False) -> None:
        for team in (None, issue.team_id):
            if bulk:
                self.by_update[team].append((issue.updated_at, issue.id))
                self.by_creation[team].append((issue.created_at, issue.id))
            else:
                bisect.insort(self.by_update[team], (issue.updated_at, issue.id))
                bisect.insort(self.by_creation[team], (issue.created_at, issue.id))

    def seal(self) -> None:
        for lists in (self.by_update, self.by_creation):
            for keys in lists.values():
                keys.sort()

    def moved(self, issue: _Issue, before: datetime) -> None:
        """``issue.updated_at`` changed from ``before``."""
        for team in (None, issue.team_id):
            keys = self.by_update[team]
            old = (before, issue.id)
            index = bisect.bisect_left(keys, old)
            if index < len(keys) and keys[index] == old:
                del keys[index]
            bisect.insort(keys, (issue.updated_at, issue.id))
