"""Rules are evaluated per stored batch: the number of queries does not grow with the batch."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchyard.automation import services
from switchyard.automation.models import RuleMatch
from switchyard.automation.sources import SENTRY
from switchyard.automation.tests.factories import AutomationRuleFactory
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.trackers.models import TicketLink


def _evaluate_batch(size: int) -> tuple[int, dict[str, int]]:
    """Two rules (errors first, then everything) over ``size`` new issues, half of them errors;
    each rule creates two tickets and holds the rest. Returns the queries and the outcomes."""
    errors = AutomationRuleFactory(active=True, position=1, min_level="error", hourly_ceiling=2)
    organization = errors.organization
    AutomationRuleFactory(
        organization=organization,
        tracker_project=errors.tracker_project,
        active=True,
        position=2,
        hourly_ceiling=2,
    )
    project = SentryProjectFactory(connection__organization=organization)
    issues = [
        SentryIssueFactory(project=project, level="error" if n % 2 else "warning")
        for n in range(size)
    ]
    ContentType.objects.clear_cache()  # both batches look their content types up alike
    with CaptureQueriesContext(connection) as captured:
        tally = services.issues_changed(source=SENTRY, issue_ids=[i.pk for i in issues])
    return len(captured), tally.as_dict()


@pytest.mark.django_db
def test_a_batch_of_100_costs_the_queries_of_a_batch_of_10(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    small_queries, small = _evaluate_batch(10)
    large_queries, large = _evaluate_batch(100)
    assert small == {"created": 4, "skipped": 0, "throttled": 6, "failed": 0, "claimed": 0}
    assert large == {"created": 4, "skipped": 0, "throttled": 96, "failed": 0, "claimed": 0}
    assert large_queries == small_queries
    assert TicketLink.objects.filter(created_via="rule").count() == 8
    assert RuleMatch.objects.filter(outcome="throttled").count() == 102


def _evaluate(issues) -> tuple[int, dict[str, int]]:
    with CaptureQueriesContext(connection) as captured:
        tally = services.issues_changed(source=SENTRY, issue_ids=[i.pk for i in issues])
    return len(captured), tally.as_dict()


@pytest.mark.django_db
def test_the_rules_conditions_are_compiled_once_and_again_when_a_rule_changes(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rule = AutomationRuleFactory(active=True, min_level="error", hourly_ceiling=100)
    project = SentryProjectFactory(connection__organization=rule.organization)
    other = SentryProjectFactory(connection__organization=rule.organization)

    def batch(level="warning", where=project):
        return [SentryIssueFactory(project=where, level=level) for _ in range(3)]

    ContentType.objects.clear_cache()
    first, counts = _evaluate(batch() + batch("error"))
    assert counts["created"] == 3
    second, counts = _evaluate(batch() + batch("error"))
    assert counts["created"] == 3
    assert second < first  # the same rules: their conditions are not read and compiled again

    services.rule_update(rule=rule, fields={"min_level": "warning"})
    assert _evaluate(batch())[1]["created"] == 3
    # Scope changed without the rule being saved: still seen.
    rule.sentry_projects.set([other])
    assert _evaluate(batch())[1]["created"] == 0
    assert _evaluate(batch(where=other))[1]["created"] == 3
    rule.sentry_projects.clear()
    services.rule_update(rule=rule, fields={"active": False})
    assert _evaluate(batch())[1]["created"] == 0
