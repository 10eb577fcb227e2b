"""What the monitoring app announces on the event bus (``core.events``); subscribers live in
higher apps and are listed in docs/architecture.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentryIssueStatusChanged:
    """A Sentry issue's status changed here or in Sentry (``origin_connection_id`` says where)."""

    issue_id: int
    old_status: str
    new_status: str
    origin_connection_id: int | None


@dataclass(frozen=True)
class SentryIssueAssigned:
    """A Sentry issue's assignee changed in Sentry (``email`` is empty when unassigned)."""

    issue_id: int
    email: str
    origin_connection_id: int


@dataclass(frozen=True)
class SentryIssueCommented:
    """Someone (not this integration) left a note on a Sentry issue."""

    issue_id: int
    comment_external_id: str
    text: str
    origin_connection_id: int


@dataclass(frozen=True)
class SentryIssuesStored:
    """A batch of issues came in new or changed (a pull's stored batch, a webhook)."""

    connection_id: int
    external_ids: tuple[str, ...]


@dataclass(frozen=True)
class SentryIssuesDeleted:
    """A full pull found these issues gone from Sentry (they are marked deleted)."""

    connection_id: int
    external_ids: tuple[str, ...]
