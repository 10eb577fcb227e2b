"""Two workers evaluating the same stored batch at once create each ticket once (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from switchyard.automation import services
from switchyard.automation.models import RuleMatch
from switchyard.automation.sources import SENTRY
from switchyard.automation.tests.factories import AutomationRuleFactory
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.trackers.models import TicketLink


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_batch_create_each_ticket_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions: run with a PostgreSQL DATABASE_URL")
    # The tickets' deliveries are not the point here: they stay queued.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rule = AutomationRuleFactory(active=True, hourly_ceiling=100)
    project = SentryProjectFactory(connection__organization=rule.organization)
    issues = [SentryIssueFactory(project=project) for _ in range(30)]
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            services.issues_changed(source=SENTRY, issue_ids=[i.pk for i in issues])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TicketLink.objects.filter(created_via="rule").count() == 30
    assert RuleMatch.objects.filter(outcome="created").count() == 30
