"""The monitoring connector protocol and the records it speaks in (no provider words here)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RemoteProject:
    external_id: str
    slug: str
    name: str
    platform: str
    status: str
    organization_slug: str


@dataclass(frozen=True, slots=True)
class RemoteIssue:
    external_id: str
    short_id: str
    title: str
    culprit: str
    level: str
    status: str
    substatus: str
    event_count: int
    user_count: int
    first_seen: datetime | None
    last_seen: datetime | None
    permalink: str
    project_external_id: str
    assignee_email: str


@dataclass(frozen=True, slots=True)
class RemoteComment:
    external_id: str
    issue_external_id: str
    text: str
    author_email: str | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssueEvent:
    """Something that happened to an issue, from a webhook: ``action`` and the issue as it is now."""

    action: str  # created | resolved | unresolved | ignored | assigned
    issue: RemoteIssue
    by_this_integration: bool


@dataclass(frozen=True, slots=True)
class CommentEvent:
    action: str  # created | updated | deleted
    comment: RemoteComment
    by_this_integration: bool


class MonitoringConnector(Protocol):
    """What Switchyard needs from an error-monitoring service."""

    kind: str
    label: str
    # Connection fields it cannot work without (beyond a name and a base URL), and the base URL a
    # connection gets when none is given.
    required_fields: tuple[str, ...]
    default_base_url: str

    def whoami(self) -> str: ...

    def iter_projects(self) -> Iterator[RemoteProject]: ...

    def iter_issues(
        self, *, seen_since: datetime | None, every_status: bool
    ) -> Iterator[RemoteIssue]: ...

    # A write returns what the remote answered, or None when the answer (to a 2xx) was unreadable.

    def set_status(self, external_id: str, status: str) -> RemoteIssue | None: ...

    def add_comment(self, external_id: str, text: str) -> RemoteComment | None: ...

    def assign(self, external_id: str, email: str | None) -> RemoteIssue | None: ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, secret: str
    ) -> tuple[str, str]:
        """(delivery id, event type) of a verified delivery; raises WebhookInvalid."""
        ...

    def parse_webhook(self, event_type: str, body: bytes) -> IssueEvent | CommentEvent | None:
        """The event a delivery stands for, or None when it is of no interest."""
        ...
