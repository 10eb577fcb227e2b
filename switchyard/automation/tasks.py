"""Background work of the automation rules; each task reloads rows and calls one service."""

from __future__ import annotations

from django_tasks import task

from switchyard.automation import outcomes, services
from switchyard.automation.models import AutomationRule
from switchyard.automation.sources import SOURCES


@task()
def evaluate_stored_sentry_issues_task(connection_id: int, external_ids: list[str]) -> dict:
    return services.sentry_issues_stored(
        connection_id=connection_id, external_ids=external_ids
    ).as_dict()


@task()
def evaluate_issues_task(source: str, issue_ids: list[int]) -> dict:
    return services.issues_changed(source=SOURCES[source], issue_ids=issue_ids).as_dict()


@task()
def record_ticket_created_task(link_id: int) -> None:
    outcomes.match_ticket_created(link_id=link_id)


@task()
def record_ticket_failed_task(link_id: int, message: str) -> None:
    outcomes.match_ticket_failed(link_id=link_id, message=message)


@task()
def release_held_matches_task() -> int:
    return services.rules_release_due()


@task()
def notify_rule_paused_task(rule_id: int) -> int:
    rule = AutomationRule.objects.filter(pk=rule_id).first()
    return services.rule_notify_paused(rule=rule) if rule is not None else 0
