"""A person's walk through Switchyard with a Sentry-compatible server (the fake in its GlitchTip
profile) and Jira: test the connection, pull, pull again after new events, resolve and unresolve
here, close a ticket in Jira while the server refuses notes."""

import pytest
from django.core.management import call_command

from switchyard.fakes.base import Fault
from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection, OutboxEntry, SyncRun
from switchyard.trackers.models import TicketLink
from switchyard.trackers.tests.fixtures import deliver_webhook

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("sentry_profile", ["glitchtip"]),
    pytest.mark.parametrize("tracker", ["jira"], indirect=True),
]
REFUSED_PAGE = b"<!DOCTYPE html><html><head><title>403 Forbidden</title></head></html>"


def sync_sentry(*args: str) -> SyncRun:
    call_command("sync_sentry", *args, stdout=open("/dev/null", "w"))
    return SyncRun.objects.filter(connection__kind="sentry").order_by("-started_at").first()


def test_a_walk_against_a_sentry_compatible_server(
    client, client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    sentry = Connection.objects.get(kind="sentry")
    assert fake_sentry.profile == "glitchtip"
    on_commit = django_capture_on_commit_callbacks

    check_the_connection_and_the_first_pull(api, sentry, fake_sentry)
    new_id = pull_new_events_and_a_regression(fake_sentry)
    issue = resolve_and_unresolve_here(api, sentry, fake_sentry, new_id, on_commit)
    close_the_ticket_in_jira_while_notes_are_refused(
        client, api, sentry, tracker, fake_sentry, issue, new_id, on_commit
    )
    the_refused_note_holds_nothing_back(api, sentry, fake_sentry, issue, new_id, on_commit)


def check_the_connection_and_the_first_pull(api, sentry, fake_sentry) -> None:
    # Test connection.
    answer = api.post(f"/api/connections/{sentry.pk}/test/").json()
    assert answer["ok"], answer

    # The first pull (made by the fixture) was a full one and brought in every issue.
    first = SyncRun.objects.filter(connection=sentry).earliest("started_at")
    assert (first.status, first.error) == ("succeeded", "")
    assert SentryIssue.objects.filter(connection=sentry).count() == len(fake_sentry.issues)


def pull_new_events_and_a_regression(fake_sentry) -> str:
    """New events and a regression arrive with an incremental pull, no --force needed; the id of
    the new issue."""
    resolved = next(i for i in fake_sentry.issues.values() if i.status == "resolved")
    project = next(iter(fake_sentry.projects))
    new_id = fake_sentry.add_issue(project, title="TypeError: cart is undefined")
    fake_sentry.regress_issue(str(resolved.id))
    run = sync_sentry()
    assert (run.full, run.status) == (False, "succeeded")
    assert SentryIssue.objects.get(external_id=new_id).title == "TypeError: cart is undefined"
    assert SentryIssue.objects.get(external_id=str(resolved.id)).status == "unresolved"
    return new_id


def resolve_and_unresolve_here(api, sentry, fake_sentry, new_id, on_commit) -> SentryIssue:
    """Resolve and unresolve from Switchyard: delivered (GlitchTip's answers say user_count)."""
    issue = SentryIssue.objects.get(external_id=new_id)
    for action, status in (("resolve", "resolved"), ("unresolve", "unresolved")):
        with on_commit(execute=True):
            assert api.post(f"/api/sentry/issues/{issue.pk}/{action}/").status_code == 200
        assert fake_sentry.issues[int(new_id)].status == status
    assert [e.status for e in OutboxEntry.objects.filter(connection=sentry)] == ["delivered"] * 2
    return issue


def close_the_ticket_in_jira_while_notes_are_refused(
    client, api, sentry, tracker, fake_sentry, issue, new_id, on_commit
) -> None:
    """A ticket closed in Jira resolves the issue, while the server refuses the note that says so."""
    with on_commit(execute=True):
        response = api.post(
            f"/api/sentry/issues/{issue.pk}/tickets/",
            {"tracker_project": tracker.project.pk},
            format="json",
        )
    link = TicketLink.objects.get(pk=response.json()["id"])
    fake_sentry._add_fault(
        Fault(
            "status",
            1,
            403,
            {"Content-Type": "text/html"},
            REFUSED_PAGE,
            path_pattern="/comments/$",
        )
    )
    tracker.close(link.ticket.key)
    headers, body = tracker.last_change_webhook(link.ticket.key)
    deliver_webhook(client, tracker.connection, headers, body, on_commit)

    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert fake_sentry.issues[int(new_id)].status == "resolved"
    note = OutboxEntry.objects.get(connection=sentry, operation="sentry.add_comment")
    assert note.status == "failed"
    assert note.last_error.startswith("Permission or route refused (403)")
    assert "an HTML page (403 Forbidden), not an API answer" in note.last_error


def the_refused_note_holds_nothing_back(api, sentry, fake_sentry, issue, new_id, on_commit) -> None:
    """The refused note holds nothing back, and the connection stays enabled."""
    with on_commit(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/unresolve/").status_code == 200
    assert fake_sentry.issues[int(new_id)].status == "unresolved"
    assert sync_sentry().status == "succeeded"
    assert SentryIssue.objects.get(pk=issue.pk).status == "unresolved"
    sentry.refresh_from_db()
    assert sentry.sync_enabled and sentry.is_enabled
    assert not sentry.last_error.startswith("The token was refused")
