"""The tracker connector protocol, and the records every tracker speaks in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RemoteStatus:
    """A status a ticket can be in, with the tracker's own category (todo/in_progress/done/canceled)."""

    external_id: str
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class RemoteTrackerProject:
    external_id: str
    key: str
    name: str
    project_type: str
    lead: str


@dataclass(frozen=True, slots=True)
class RemoteTicket:
    external_id: str
    key: str
    url: str
    project_external_id: str
    summary: str
    description: str
    issue_type: str
    status: str
    status_category: str
    priority: str
    assignee_email: str
    reporter_email: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RemoteComment:
    external_id: str
    ticket_external_id: str
    body: str
    author_email: str
    by_this_connection: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What Switchyard asks a tracker to create."""

    project_external_id: str
    project_key: str
    summary: str
    description: str
    issue_type: str
    priority: str  # the remote priority (mapped already)
    labels: tuple[str, ...] = ()
    assignee_email: str = ""


@dataclass(frozen=True, slots=True)
class TicketChange:
    """Fields to change on a ticket; None leaves a field as it is."""

    summary: str | None = None
    description: str | None = None
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """A ticket changed (or was created) in the tracker."""

    ticket: RemoteTicket | None
    ticket_external_id: str
    comment: RemoteComment | None = None
    by_this_connection: bool = False


class StatusNotReachable(Exception):
    """The tracker's workflow offers no way into the wanted category from where the ticket is."""


class TrackerConnector(Protocol):
    """What Switchyard needs from an issue tracker; Jira and Linear implement it."""

    kind: str
    label: str
    # Connection fields it cannot work without (beyond a name and a base URL), and the base URL a
    # connection gets when none is given ("" when there is no common one).
    required_fields: tuple[str, ...]
    default_base_url: str
    # Our priority (low, medium, high, urgent) -> the tracker's, for projects not yet mapped.
    default_priorities: Mapping[str, str]
    # The customer-issue REST contract was written for this tracker: its ``linear_*`` fields
    # describe this tracker's teams and issues.
    customer_issue_contract: bool

    def whoami(self) -> str: ...

    def iter_projects(self) -> Iterator[RemoteTrackerProject]: ...

    def statuses(self, project: RemoteTrackerProject) -> list[RemoteStatus]: ...

    def iter_tickets(
        self, projects: list[RemoteTrackerProject], *, updated_since: datetime | None
    ) -> Iterator[RemoteTicket]: ...

    def recent_tickets(self, project: RemoteTrackerProject, *, limit: int) -> list[RemoteTicket]:
        """The ``limit`` most recently updated tickets of a project, newest first, fetching no more
        than those pages."""
        ...

    def get_ticket(self, external_id: str) -> RemoteTicket: ...

    def find_created(self, idempotency_key: str) -> RemoteTicket | None:
        """The ticket an earlier attempt of this create made, if it did land."""
        ...

    def create_ticket(self, new: NewTicket, *, idempotency_key: str) -> RemoteTicket: ...

    def update_ticket(self, ticket_external_id: str, change: TicketChange) -> RemoteTicket: ...

    def move_to(self, ticket_external_id: str, targets: list[str], category: str) -> RemoteTicket:
        """Move a ticket into one of ``targets`` (status names, preferred first) of ``category``.

        Raises StatusNotReachable when the workflow allows none of them from the current status.
        """
        ...

    def add_comment(
        self, ticket_external_id: str, body: str, *, idempotency_key: str | None = None
    ) -> RemoteComment | None:
        """Comment on a ticket; trackers that take a client-supplied id use the key as its id.

        None when the tracker accepted the comment but its answer does not say which it is.
        """
        ...

    def iter_comments(self, ticket_external_id: str) -> Iterator[RemoteComment]: ...

    def assign(self, ticket_external_id: str, email: str | None) -> RemoteTicket: ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, secret: str
    ) -> tuple[str, str]: ...

    def parse_webhook(self, event_type: str, body: bytes) -> TicketEvent | None: ...
