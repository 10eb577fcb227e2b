"""What happens after a rule queued a ticket: the tracker's verdict, failure streaks, pausing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from switchyard.automation.models import AutomationRule, RuleMatch

logger = logging.getLogger(__name__)

FAILURES_BEFORE_PAUSE = 5


def rule_record_failures(*, rule: AutomationRule, count: int, reason: str) -> None:
    """Count failures in a row; the fifth pauses the rule and tells the organization's admins."""
    AutomationRule.objects.filter(pk=rule.pk).update(
        consecutive_failures=F("consecutive_failures") + count
    )
    rule.refresh_from_db(fields=["consecutive_failures", "active", "pause_reason"])
    if rule.consecutive_failures >= FAILURES_BEFORE_PAUSE and not rule.is_paused:
        rule_pause(
            rule=rule,
            reason=f"Paused after {rule.consecutive_failures} failed ticket creations in a row. "
            f"Last failure: {reason}",
        )


def rule_pause(*, rule: AutomationRule, reason: str) -> None:
    """Stop a rule, saying why; its organization's admins get an email."""
    from switchyard.automation.tasks import notify_rule_paused_task

    AutomationRule.objects.filter(pk=rule.pk).update(active=False, pause_reason=reason)
    rule.active, rule.pause_reason = False, reason
    transaction.on_commit(lambda: notify_rule_paused_task.enqueue(rule.pk))
    logger.warning("automation.rule.paused", extra={"rule": rule.pk, "reason": reason})


@transaction.atomic
def match_ticket_failed(*, link_id: int, message: str) -> None:
    """The tracker refused a rule's ticket for good: keep its words on the match."""
    match = RuleMatch.objects.select_related("rule").filter(link_id=link_id).first()
    if match is None:
        return
    match.outcome, match.error, match.decided_at = (
        RuleMatch.Outcome.FAILED,
        message,
        timezone.now(),
    )
    match.save(update_fields=["outcome", "error", "decided_at"])
    rule_record_failures(rule=match.rule, count=1, reason=message)


@transaction.atomic
def match_ticket_created(*, link_id: int) -> None:
    """A rule's ticket exists: the failure streak ends (a retried failure counts as created)."""
    match = RuleMatch.objects.filter(link_id=link_id).first()
    if match is None:
        return
    if match.outcome == RuleMatch.Outcome.FAILED:
        match.outcome, match.error = RuleMatch.Outcome.CREATED, ""
        match.save(update_fields=["outcome", "error"])
    AutomationRule.objects.filter(pk=match.rule_id).update(consecutive_failures=0)
