"""An issue's history and comments as one timeline, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from switchyard.support.models import CustomerIssue


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # "status" or "comment"
    who: str
    staff: bool
    text: str = ""
    from_status: str = ""
    to_status: str = ""
    via: str = ""


def issue_timeline(issue: CustomerIssue) -> list[Entry]:
    """Needs the issue's comments and history prefetched (support.selectors.issue_with_thread)."""
    entries = [
        Entry(
            at=change.changed_at,
            kind="status",
            who=change.changed_by.display_name if change.changed_by else change.via.title(),
            staff=bool(change.changed_by and change.changed_by.is_org_staff),
            from_status=change.get_from_status_display() if change.from_status else "",
            to_status=change.get_to_status_display(),
            via=change.via,
        )
        for change in issue.history.all()
    ]
    entries += [
        Entry(
            at=comment.created_at,
            kind="comment",
            who=comment.author.display_name if comment.author else comment.author_name,
            staff=not (comment.author and comment.author.is_customer),
            text=comment.text,
        )
        for comment in issue.comments.all()
    ]
    return sorted(entries, key=lambda entry: entry.at)
