"""Trackers read tolerantly: answers that leave out optional fields, or say nothing at all after a
2xx to a write, still complete every flow, and nothing is created twice. Runs for every tracker."""

import pytest
from django.core.management import call_command

from switchyard.sync.models import Connection, OutboxEntry, SyncRun
from switchyard.trackers.models import Ticket, TicketLink
from switchyard.trackers.tests.fixtures import PERSON, deliver_webhook
from switchyard.trackers.tests.test_tracker_flows import create_ticket

pytestmark = pytest.mark.django_db


def undelivered():
    return list(
        OutboxEntry.objects.exclude(status="delivered").values("operation", "status", "last_error")
    )


def test_pulls_accept_issues_without_optional_fields(tracker):
    tracker.create_remote_ticket("Refund email never sent")
    tracker.thin_reads()
    call_command(f"sync_{tracker.kind}", "--force", stdout=open("/dev/null", "w"))
    run = SyncRun.objects.filter(connection=tracker.connection).order_by("-started_at").first()
    assert run.status == "succeeded", run.error
    ticket = Ticket.objects.get(connection=tracker.connection, summary="Refund email never sent")
    assert ticket.status == tracker.remote(ticket.key)["status"]
    assert ticket.tracker_project == tracker.project


def test_a_create_whose_answer_names_no_ticket_finds_it_and_makes_one(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    before = tracker.count(tracker.project.key)
    tracker.thin_create_answers()
    link = create_ticket(
        client_for(admin), unresolved_issues[0], tracker.project, django_capture_on_commit_callbacks
    )
    assert undelivered() == []
    assert tracker.count(tracker.project.key) == before + 1
    assert link.ticket.summary == tracker.remote(link.ticket.key)["summary"]


def sentry_webhook(client, fake_sentry, capture, event: str, **kwargs) -> None:
    headers, body = fake_sentry.build_webhook(event, secret="sentry-secret", **kwargs)
    deliver_webhook(client, Connection.objects.get(kind="sentry"), headers, body, capture)


def test_writes_answered_with_empty_bodies_all_succeed_once(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    api = client_for(admin)
    issue = unresolved_issues[0]
    before = tracker.count(tracker.project.key)
    tracker.blank_write_answers()

    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    note_id = fake_sentry.add_note(issue.external_id, "Seen again after deploy 812", author=PERSON)
    sentry_webhook(
        client,
        fake_sentry,
        django_capture_on_commit_callbacks,
        "comment.created",
        comment_id=note_id,
        actor={"type": "user", "id": "1", "name": "Dana"},
    )
    fake_sentry.assign_issue(issue.external_id, PERSON)
    sentry_webhook(
        client,
        fake_sentry,
        django_capture_on_commit_callbacks,
        "issue.assigned",
        issue_id=issue.external_id,
    )

    assert undelivered() == []
    assert tracker.count(tracker.project.key) == before + 1
    remote = tracker.remote(link.ticket.key)
    assert remote["closed"] and remote["assignee"] == PERSON
    texts = [text for _, text in remote["comments"]]
    assert len([text for text in texts if "Resolved in Sentry" in text]) == 1
    assert len([text for text in texts if "deploy 812" in text]) == 1
    assert TicketLink.objects.get(pk=link.pk).sync_state == "ok"
    ticket = Ticket.objects.get(pk=link.ticket.pk)
    assert (ticket.status_category, ticket.assignee_email) == ("done", PERSON)
