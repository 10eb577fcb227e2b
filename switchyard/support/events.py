"""What the support app announces on the event bus (``core.events``); subscribers live in higher
apps and are listed in docs/architecture.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerIssueChanged:
    """A customer issue was raised, or its status, priority or category changed."""

    issue_id: int
