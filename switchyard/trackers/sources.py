"""What a ticket can track: a source kind registered with how to describe it and how to follow it.

Sentry issues are registered here; the support app registers customer issues in its ready().
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.db import models

from switchyard.monitoring import services as monitoring
from switchyard.monitoring.models import IssueStatus, SentryIssue
from switchyard.sync.models import Connection
from switchyard.trackers.models import CLOSED_CATEGORIES


@dataclass(frozen=True)
class TicketDraft:
    summary: str
    description: str
    priority: str  # a local priority: low, medium, high, urgent
    labels: tuple[str, ...] = field(default_factory=tuple)
    assignee_email: str = ""


class TicketSource(Protocol):
    model: type[models.Model]
    label: str

    def organization_id(self, source) -> int: ...

    def draft(self, source) -> TicketDraft: ...

    def is_closed(self, source) -> bool: ...

    def on_ticket_moved(self, source, *, ticket, old_category: str, origin: Connection) -> None:
        """The linked ticket moved into ``ticket.status_category`` in the tracker."""
        ...

    def on_linked(self, source, *, ticket) -> None:
        """A ticket was created for (or linked to) the source."""
        ...

    def add_comment(self, source, *, text: str, origin: Connection, external_id: str) -> None: ...

    def assignee_email(self, source) -> str: ...

    def assign(self, source, *, email: str, origin: Connection) -> None: ...


_sources: dict[type[models.Model], TicketSource] = {}


def register_source(source: TicketSource) -> None:
    _sources[source.model] = source


def source_for(model: type[models.Model]) -> TicketSource:
    return _sources[model]


LEVEL_PRIORITY = {"fatal": "urgent", "error": "high", "warning": "medium"}


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


class SentryIssueSource:
    """A Sentry issue: resolved when its ticket is done, reopened when the ticket reopens."""

    model = SentryIssue
    label = "Sentry issue"

    def organization_id(self, issue: SentryIssue) -> int:
        return issue.connection.organization_id

    def draft(self, issue: SentryIssue) -> TicketDraft:
        description = "\n".join(
            [
                f"Sentry issue [{issue.short_id}]({issue.permalink})"
                if issue.permalink
                else f"Sentry issue {issue.short_id}",
                "",
                f"- **Title:** {issue.title}",
                f"- **Culprit:** {issue.culprit or '—'}",
                f"- **Level:** {issue.level}",
                f"- **Events:** {issue.event_count}",
                f"- **Users affected:** {issue.user_count}",
                f"- **First seen:** {_when(issue.first_seen)}",
                f"- **Last seen:** {_when(issue.last_seen)}",
                f"- **Project:** {issue.project.slug}",
                "",
                f"[Open in Sentry]({issue.permalink})" if issue.permalink else "",
            ]
        ).strip()
        return TicketDraft(
            summary=f"[{issue.short_id}] {issue.title}"[:250],
            description=description,
            priority=LEVEL_PRIORITY.get(issue.level, "low"),
            labels=("sentry", f"sentry-{issue.level}"),
            assignee_email=issue.assignee_email,
        )

    def is_closed(self, issue: SentryIssue) -> bool:
        return issue.status != IssueStatus.UNRESOLVED

    def on_ticket_moved(
        self, issue: SentryIssue, *, ticket, old_category: str, origin: Connection
    ) -> None:
        closed_now = ticket.status_category in CLOSED_CATEGORIES
        if closed_now != (old_category in CLOSED_CATEGORIES):
            (self._ticket_closed if closed_now else self._ticket_reopened)(
                issue, ticket=ticket, origin=origin
            )

    def on_linked(self, issue: SentryIssue, *, ticket) -> None:
        pass

    def _ticket_closed(self, issue: SentryIssue, *, ticket, origin: Connection) -> None:
        if issue.status == IssueStatus.RESOLVED:
            return
        monitoring.sentry_issue_set_status(issue=issue, status=IssueStatus.RESOLVED, origin=origin)
        monitoring.sentry_issue_comment(
            issue=issue,
            origin=origin,
            text=f"Resolved by {ticket.key} ({ticket.status}) in {origin.get_kind_display()}: {ticket.url}",
        )

    def _ticket_reopened(self, issue: SentryIssue, *, ticket, origin: Connection) -> None:
        if issue.status == IssueStatus.UNRESOLVED:
            return
        monitoring.sentry_issue_set_status(
            issue=issue, status=IssueStatus.UNRESOLVED, origin=origin
        )
        monitoring.sentry_issue_comment(
            issue=issue,
            origin=origin,
            text=f"Reopened: {ticket.key} moved back to {ticket.status} in {origin.get_kind_display()}: {ticket.url}",
        )

    def add_comment(
        self, issue: SentryIssue, *, text: str, origin: Connection, external_id: str
    ) -> None:
        monitoring.sentry_issue_comment(issue=issue, text=text, origin=origin)

    def assignee_email(self, issue: SentryIssue) -> str:
        return issue.assignee_email

    def assign(self, issue: SentryIssue, *, email: str, origin: Connection) -> None:
        monitoring.sentry_issue_assign(issue=issue, email=email, origin=origin)
