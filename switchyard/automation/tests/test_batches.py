"""A stored batch is decided by one match query, which also says which issues have a ticket."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from switchyard.automation import services
from switchyard.automation.models import RuleMatch
from switchyard.automation.sources import SENTRY
from switchyard.automation.tests.factories import AutomationRuleFactory, TrackerProjectFactory
from switchyard.monitoring.models import SentryIssue
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.trackers.models import Ticket, TicketLink


def _link(issue, project, *, ticket=None, is_active=True) -> None:
    TicketLink.objects.create(
        ticket=ticket,
        tracker_project=project,
        source_type=ContentType.objects.get_for_model(SentryIssue),
        source_id=issue.pk,
        is_active=is_active,
    )


def _ticket(project, key: str) -> Ticket:
    now = timezone.now()
    return Ticket.objects.create(
        connection=project.connection,
        tracker_project=project,
        external_id=key,
        key=key,
        url=f"https://acme.atlassian.test/browse/{key}",
        summary=key,
        status="In Progress",
        status_category="in_progress",
        remote_created_at=now,
        remote_updated_at=now,
    )


@pytest.mark.django_db
def test_issues_with_a_ticket_or_one_being_made_are_skipped_the_others_get_theirs(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rule = AutomationRuleFactory(active=True, hourly_ceiling=100)
    tracker = rule.tracker_project
    sentry_project = SentryProjectFactory(connection__organization=rule.organization)
    with_ticket, being_made, superseded, fresh = (
        SentryIssueFactory(project=sentry_project) for _ in range(4)
    )
    # Tickets in another project than the rule's: only the issue's open ticket stops a second.
    elsewhere = TrackerProjectFactory(connection=tracker.connection)
    _link(with_ticket, elsewhere, ticket=_ticket(elsewhere, "WEB-1"))
    _link(being_made, elsewhere)  # its ticket is still on its way to the tracker
    _link(superseded, tracker, ticket=_ticket(tracker, "OPS-2"), is_active=False)

    batch = [with_ticket, being_made, superseded, fresh]
    tally = services.issues_changed(source=SENTRY, issue_ids=[i.pk for i in batch])

    assert tally.as_dict() == {
        "created": 2,
        "skipped": 2,
        "throttled": 0,
        "failed": 0,
        "claimed": 0,
    }
    outcomes = dict(RuleMatch.objects.values_list("source_id", "outcome"))
    assert outcomes == {
        with_ticket.pk: "skipped",
        being_made.pk: "skipped",
        superseded.pk: "created",
        fresh.pk: "created",
    }
    made = TicketLink.objects.filter(created_via="rule", is_active=True)
    assert sorted(made.values_list("source_id", flat=True)) == sorted([superseded.pk, fresh.pk])


@pytest.mark.django_db
def test_a_held_issue_that_got_a_ticket_meanwhile_is_skipped_when_released(settings):
    from switchyard.automation.engine import rule_release

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rule = AutomationRuleFactory(active=True, hourly_ceiling=1)
    sentry_project = SentryProjectFactory(connection__organization=rule.organization)
    first, held, linked_meanwhile = (SentryIssueFactory(project=sentry_project) for _ in range(3))
    tally = services.issues_changed(
        source=SENTRY, issue_ids=[first.pk, held.pk, linked_meanwhile.pk]
    )
    assert (tally.counts["created"], tally.counts["throttled"]) == (1, 2)
    elsewhere = TrackerProjectFactory(connection=rule.tracker_project.connection)
    _link(linked_meanwhile, elsewhere, ticket=_ticket(elsewhere, "WEB-7"))

    assert rule_release(rule=rule, by_person=True) == 1

    outcomes = dict(RuleMatch.objects.values_list("source_id", "outcome"))
    assert outcomes == {first.pk: "created", held.pk: "created", linked_meanwhile.pk: "skipped"}
    made = TicketLink.objects.filter(created_via="rule").values_list("source_id", flat=True)
    assert sorted(made) == sorted([first.pk, held.pk])
