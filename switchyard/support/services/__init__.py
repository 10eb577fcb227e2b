"""Every write to customer issues: the issues themselves, where they go, and their tickets both ways."""

from switchyard.support.services.from_tracker import (
    Fetched,
    issue_comment_from_tracker,
    issue_follow_ticket,
    issue_import_ticket,
    issue_note_linked,
    issues_fetch_from_tracker,
)
from switchyard.support.services.issues import (
    Raised,
    issue_assign,
    issue_comment,
    issue_raise,
    issue_reopen,
    issue_resolve,
    issue_update,
    next_issue_number,
)
from switchyard.support.services.routing import (
    described_by_contract,
    organization_linear_team_id,
    organization_set_linear_team,
    support_project,
    support_settings_update,
)
from switchyard.support.services.to_tracker import (
    issue_deliver_soon,
    issue_sync_to_tracker,
    issue_tracker_link,
)

__all__ = [
    "Fetched",
    "Raised",
    "described_by_contract",
    "issue_assign",
    "issue_comment",
    "issue_comment_from_tracker",
    "issue_deliver_soon",
    "issue_follow_ticket",
    "issue_import_ticket",
    "issue_note_linked",
    "issue_raise",
    "issue_reopen",
    "issue_resolve",
    "issue_sync_to_tracker",
    "issue_tracker_link",
    "issue_update",
    "issues_fetch_from_tracker",
    "next_issue_number",
    "organization_linear_team_id",
    "organization_set_linear_team",
    "support_project",
    "support_settings_update",
]
