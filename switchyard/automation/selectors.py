"""Reads of automation rules and their effectiveness, scoped to one organization."""

from __future__ import annotations

from statistics import median

from django.db.models import Count, Q, QuerySet

from switchyard.accounts.models import Organization
from switchyard.automation.models import AutomationRule, RuleMatch
from switchyard.trackers.models import StatusCategory, TicketLink

Outcome = RuleMatch.Outcome
RECENT_FAILURES = 10


def with_effectiveness(rules: QuerySet[AutomationRule]) -> QuerySet[AutomationRule]:
    """Rules with their matches counted by outcome."""
    return rules.annotate(
        matched=Count("matches"),
        created=Count("matches", filter=Q(matches__outcome=Outcome.CREATED)),
        skipped=Count("matches", filter=Q(matches__outcome=Outcome.SKIPPED)),
        throttled=Count("matches", filter=Q(matches__outcome=Outcome.THROTTLED)),
        failed=Count("matches", filter=Q(matches__outcome=Outcome.FAILED)),
    )


def rule_list(*, organization: Organization) -> QuerySet[AutomationRule]:
    """The organization's rules in evaluation order, with their match counts (one query)."""
    return (
        with_effectiveness(AutomationRule.objects.filter(organization=organization))
        .select_related("product", "tracker_project__connection")
        .prefetch_related("sentry_projects")
        .order_by("position", "pk")
    )


def rule_recent_failures(*, rule: AutomationRule) -> QuerySet[RuleMatch]:
    return (
        RuleMatch.objects.filter(rule=rule, outcome=Outcome.FAILED)
        .select_related("source_type")
        .order_by("-decided_at", "-pk")[:RECENT_FAILURES]
    )


def rule_stats(*, rule: AutomationRule) -> dict:
    """What a rule did: its matches by outcome, and how its tickets fared."""
    counts = dict(
        RuleMatch.objects.filter(rule=rule)
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    links = TicketLink.objects.filter(
        pk__in=RuleMatch.objects.filter(rule=rule, outcome=Outcome.CREATED).values("link_id"),
        ticket__status_category=StatusCategory.DONE,
    ).values_list("created_at", "ticket__resolved_at", "ticket__remote_updated_at")
    durations = [
        ((resolved or updated) - created).total_seconds() for created, resolved, updated in links
    ]
    return {
        "matches": sum(counts.values()),
        "created": counts.get(Outcome.CREATED, 0),
        "skipped": counts.get(Outcome.SKIPPED, 0),
        "throttled": counts.get(Outcome.THROTTLED, 0),
        "failed": counts.get(Outcome.FAILED, 0),
        "reached_done": len(durations),
        "median_seconds_to_done": median(durations) if durations else None,
        "last_fired_at": rule.last_fired_at,
    }
