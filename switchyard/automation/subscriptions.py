"""Every event the automation rules listen to; each subscriber only enqueues a task."""

from __future__ import annotations

from switchyard.core import events
from switchyard.monitoring.events import SentryIssuesStored, SentryIssueStatusChanged
from switchyard.support.events import CustomerIssueChanged
from switchyard.sync.registry import register_periodic
from switchyard.trackers.events import LinkTicketCreated, LinkTicketFailed


def _sentry_issues_stored(event: SentryIssuesStored) -> None:
    from switchyard.automation.tasks import evaluate_stored_sentry_issues_task

    evaluate_stored_sentry_issues_task.enqueue(event.connection_id, list(event.external_ids))


def _sentry_issue_reopened(event: SentryIssueStatusChanged) -> None:
    # Changes that came from Sentry arrive as a stored batch; this is a change made here.
    if event.new_status == "unresolved" and event.origin_connection_id is None:
        from switchyard.automation.tasks import evaluate_issues_task

        evaluate_issues_task.enqueue("sentry", [event.issue_id])


def _customer_issue_changed(event: CustomerIssueChanged) -> None:
    from switchyard.automation.tasks import evaluate_issues_task

    evaluate_issues_task.enqueue("customer", [event.issue_id])


def _ticket_created(event: LinkTicketCreated) -> None:
    from switchyard.automation.tasks import record_ticket_created_task

    record_ticket_created_task.enqueue(event.link_id)


def _ticket_failed(event: LinkTicketFailed) -> None:
    from switchyard.automation.tasks import record_ticket_failed_task

    record_ticket_failed_task.enqueue(event.link_id, event.message)


def _release_held_matches() -> None:
    """Queue the release only when an ended hour holds matches: a tick queues nothing idle."""
    from switchyard.automation.engine import rules_with_due_holds
    from switchyard.automation.tasks import release_held_matches_task

    if rules_with_due_holds():
        release_held_matches_task.enqueue()


def register() -> None:
    events.subscribe(SentryIssuesStored, _sentry_issues_stored)
    events.subscribe(SentryIssueStatusChanged, _sentry_issue_reopened)
    events.subscribe(CustomerIssueChanged, _customer_issue_changed)
    events.subscribe(LinkTicketCreated, _ticket_created)
    events.subscribe(LinkTicketFailed, _ticket_failed)
    register_periodic(_release_held_matches)
