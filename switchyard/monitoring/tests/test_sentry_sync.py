import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max

from switchyard.core import http
from switchyard.fakes.base import Fault
from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.connectors.sentry.webhooks import sign
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.monitoring.services import sentry_issue_comment, sentry_issue_set_status
from switchyard.monitoring.tests.conftest import SENTRY_URL, only_sentry
from switchyard.sync.models import OutboxEntry, SyncCursor, SyncRun, WebhookDelivery
from switchyard.sync.outbox import outbox_dismiss
from switchyard.sync.scheduler import schedule_due_work

pytestmark = pytest.mark.django_db


def test_sync_sentry_brings_in_projects_and_issues_and_a_second_run_changes_nothing(
    fake_sentry, sentry_connection, capsys
):
    call_command("sync_sentry")
    assert SentryProject.objects.count() == 4
    assert SentryIssue.objects.count() == 30
    issue = SentryIssue.objects.get(external_id=next(iter(fake_sentry.issues)).__str__())
    remote = fake_sentry.issues[int(issue.external_id)]
    assert issue.title and issue.short_id
    # GlitchTip's permalink is the text "Not implemented": no link rather than a wrong one.
    assert issue.permalink.startswith("https://") or fake_sentry.profile == "glitchtip"
    assert issue.event_count == remote.count
    run = SyncRun.objects.get()
    assert (run.status, run.created, run.trigger) == ("succeeded", 34, "command")
    assert "34 created" in capsys.readouterr().out

    call_command("sync_sentry", "--force")  # a full re-read: everything unchanged
    second = SyncRun.objects.order_by("-started_at").first()
    assert (second.created, second.updated, second.unchanged, second.deleted) == (0, 0, 34, 0)


def test_an_incremental_pull_brings_new_issues_and_regressions_and_reads_only_the_newest(
    fake_sentry, sentry_connection
):
    call_command("sync_sentry")
    resolved = next(i for i in fake_sentry.issues.values() if i.status == "resolved")
    SentryIssue.objects.filter(external_id=str(resolved.id)).update(status="resolved")
    project = next(iter(fake_sentry.projects))
    new_id = fake_sentry.add_issue(project, title="KeyError: 'cart'")
    fake_sentry.regress_issue(str(resolved.id))
    fake_sentry.requests.clear()

    call_command("sync_sentry")  # incremental: no --force

    assert SentryIssue.objects.get(external_id=new_id).title == "KeyError: 'cart'"
    assert SentryIssue.objects.get(external_id=str(resolved.id)).status == "unresolved"
    run = SyncRun.objects.order_by("-started_at").first()
    assert (run.full, run.status, run.created, run.updated) == (False, "succeeded", 1, 1)
    # Newest first, in the server's default order, with no time bound in the search: the read
    # stops at the first issue older than the cursor (minus the overlap).
    sent = fake_sentry.requests_to("GET", r"/organizations/acme/issues/$")
    assert [(r.param("query"), r.param("sort")) for r in sent] == [("", None)]


def test_a_pull_failing_half_way_leaves_the_cursor_so_the_next_run_misses_nothing(
    sentry_connection, monkeypatch
):
    # Sentry lists newest first: a cursor moved after page 1 would skip the older pages.
    monkeypatch.setattr("switchyard.monitoring.services.BATCH", 100)  # a batch per page
    fake = FakeSentry.seeded(issues=150, projects=2, seed=11)
    http.mount_transport(SENTRY_URL, fake.transport())
    fake.fail_next(503, times=3, path=r"/organizations/acme/issues/$", query="cursor=")
    with pytest.raises(CommandError):
        call_command("sync_sentry")
    assert SyncRun.objects.get().status == "failed"
    assert SentryIssue.objects.count() == 100
    assert not SyncCursor.objects.filter(stream="issues", position__isnull=False).exists()

    call_command("sync_sentry")
    assert SentryIssue.objects.count() == 150
    newest = SentryIssue.objects.aggregate(newest=Max("last_seen"))["newest"]
    assert SyncCursor.objects.get(stream="issues").position == newest


def test_dry_run_writes_nothing_and_test_connection_says_who(
    fake_sentry, sentry_connection, capsys
):
    call_command("sync_sentry", "--dry-run")
    assert "would create 34" in capsys.readouterr().out
    assert not SentryIssue.objects.exists() and not SyncRun.objects.exists()

    call_command("sync_sentry", "--test-connection")
    assert "authenticated as owner@example.com" in capsys.readouterr().out

    sentry_connection.remote_organization = "acme-typo"
    sentry_connection.save()
    with pytest.raises(CommandError):
        call_command("sync_sentry", "--test-connection")
    assert (
        "No Sentry organization 'acme-typo' is visible to this token (it sees: acme)."
        in capsys.readouterr().err
    )

    sentry_connection.api_token = "wrong"
    sentry_connection.save()
    with pytest.raises(CommandError):
        call_command("sync_sentry", "--test-connection")
    assert "The token was refused (401): check or replace it." in capsys.readouterr().err


def test_a_full_sync_marks_issues_deleted_in_sentry(fake_sentry, sentry_connection):
    call_command("sync_sentry")
    gone = next(iter(fake_sentry.issues))
    fake_sentry.delete_issue(gone)
    call_command("sync_sentry", "--force")
    assert SentryIssue.objects.get(external_id=str(gone)).is_deleted


def test_rate_limit_in_the_middle_of_a_pull_still_completes(fake_sentry, sentry_connection):
    fake_sentry.rate_limit_next(retry_after=1, path=r"/issues/$")
    call_command("sync_sentry")
    assert SentryIssue.objects.count() == 30
    assert len(fake_sentry.requests_to("GET", r"/organizations/acme/issues/$")) >= 2


@only_sentry  # GlitchTip sends no integration webhooks
def test_a_webhook_for_a_resolved_issue_updates_it(
    client, fake_sentry, sentry_connection, django_capture_on_commit_callbacks
):
    call_command("sync_sentry")
    issue = SentryIssue.objects.filter(status="unresolved").first()
    fake_sentry.resolve_issue(issue.external_id)
    headers, body = fake_sentry.build_webhook(
        "issue.resolved", issue_id=issue.external_id, secret=sentry_connection.webhook_secret
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/webhooks/sentry/{sentry_connection.uuid}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 202
    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert WebhookDelivery.objects.get().status == "processed"

    headers["Sentry-Hook-Signature"] = "0" * 64
    response = client.post(
        f"/api/webhooks/sentry/{sentry_connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401


def test_resolving_here_reaches_sentry_once_it_is_back(
    fake_sentry, sentry_connection, client_for, admin, django_capture_on_commit_callbacks
):
    call_command("sync_sentry")
    issue = SentryIssue.objects.filter(status="unresolved").first()
    fake_sentry.fail_next(503, times=3, method="PUT")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(f"/api/sentry/issues/{issue.pk}/resolve/")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    entry = OutboxEntry.objects.get()
    assert entry.status == "pending" and entry.attempts == 1
    assert fake_sentry.issues[int(issue.external_id)].status == "unresolved"

    call_command("sync_sentry", "--force")  # a pull meanwhile does not undo the local change
    issue.refresh_from_db()
    assert issue.status == "resolved"

    OutboxEntry.objects.update(next_attempt_at=entry.created_at)
    schedule_due_work()
    entry.refresh_from_db()
    assert entry.status == "delivered"
    assert fake_sentry.issues[int(issue.external_id)].status == "resolved"
    puts = fake_sentry.requests_to("PUT", rf"/issues/{issue.external_id}/$")
    assert json.loads(puts[-1].body) == {"status": "resolved"}


@only_sentry  # GlitchTip sends no integration webhooks
def test_a_replayed_webhook_with_an_old_timestamp_is_refused(
    client, fake_sentry, sentry_connection
):
    call_command("sync_sentry")
    issue = SentryIssue.objects.first()
    headers, body = fake_sentry.build_webhook(
        "issue.resolved", issue_id=issue.external_id, secret=sentry_connection.webhook_secret
    )
    headers["Sentry-Hook-Timestamp"] = str(int(headers["Sentry-Hook-Timestamp"]) - 3600)
    response = client.post(
        f"/api/webhooks/sentry/{sentry_connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@only_sentry
def test_a_captured_body_sent_again_with_fresh_headers_is_not_applied_again(
    client, fake_sentry, sentry_connection, django_capture_on_commit_callbacks
):
    # Sentry signs only the body: the timestamp and Request-ID of a replay can be made fresh.
    call_command("sync_sentry")
    issue = SentryIssue.objects.filter(status="unresolved").first()
    url = f"/api/webhooks/sentry/{sentry_connection.uuid}/"
    secret = sentry_connection.webhook_secret

    def send(headers, body):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=body, content_type="application/json", headers=headers)

    fake_sentry.resolve_issue(issue.external_id)
    captured_headers, captured_body = fake_sentry.build_webhook(
        "issue.resolved", issue_id=issue.external_id, secret=secret
    )
    assert send(captured_headers, captured_body).status_code == 202
    fake_sentry.unresolve_issue(issue.external_id)
    assert (
        send(
            *fake_sentry.build_webhook(
                "issue.unresolved", issue_id=issue.external_id, secret=secret
            )
        ).status_code
        == 202
    )
    issue.refresh_from_db()
    assert issue.status == "unresolved"

    replay_headers = {
        **captured_headers,
        "Request-ID": "a-brand-new-request-id",
        "Sentry-Hook-Timestamp": str(int(captured_headers["Sentry-Hook-Timestamp"]) + 60),
    }
    response = send(replay_headers, captured_body)

    assert response.status_code == 200
    assert response.json() == {"delivery": captured_headers["Request-ID"], "status": "duplicate"}
    issue.refresh_from_db()
    assert issue.status == "unresolved"
    assert WebhookDelivery.objects.count() == 2
    assert not WebhookDelivery.objects.filter(delivery_id="a-brand-new-request-id").exists()


@only_sentry
@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"body": b"<html>not json</html>"}, "The body is not JSON"),
        ({"Request-ID": "r" * 201}, "The delivery id is longer than 200 characters."),
        ({"Sentry-Hook-Resource": "i" * 121}, "The event type is longer than 120 characters."),
    ],
)
def test_signed_deliveries_that_cannot_be_read_are_refused_with_400(
    client, fake_sentry, sentry_connection, change, detail
):
    call_command("sync_sentry")
    headers, body = fake_sentry.build_webhook(
        "issue.resolved",
        issue_id=SentryIssue.objects.first().external_id,
        secret=sentry_connection.webhook_secret,
    )
    body = change.get("body", body)
    headers = {**headers, **{name: value for name, value in change.items() if name != "body"}}
    headers["Sentry-Hook-Signature"] = sign(body, sentry_connection.webhook_secret)
    response = client.post(
        f"/api/webhooks/sentry/{sentry_connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not WebhookDelivery.objects.exists()


def test_a_refused_listing_is_stored_with_the_remotes_field_errors_and_a_dry_run_fails(
    fake_sentry, sentry_connection, capsys
):
    refusal = {"detail": [{"loc": ["query", "sort"], "msg": "Input should be 'last_seen'"}]}
    fake_sentry.fail_next(422, path=r"/organizations/acme/issues/$", body=refusal)
    with pytest.raises(CommandError):
        call_command("sync_sentry", "--dry-run")
    err = capsys.readouterr().err
    assert "dry run failed: The request was refused (422)." in err
    assert "Fields: sort: Input should be 'last_seen'" in err

    fake_sentry.fail_next(422, path=r"/organizations/acme/issues/$", body=refusal)
    with pytest.raises(CommandError):
        call_command("sync_sentry")
    run = SyncRun.objects.get()
    assert run.status == "failed" and "sort: Input should be 'last_seen'" in run.error
    sentry_connection.refresh_from_db()
    assert "sort: Input should be 'last_seen'" in sentry_connection.last_error


def test_refused_notes_are_reported_as_such_and_never_disable_the_connection(
    fake_sentry, sentry_connection, django_capture_on_commit_callbacks
):
    call_command("sync_sentry")
    issues = SentryIssue.objects.filter(status="unresolved")[:3]
    html = "<!DOCTYPE html><html><head><title>403 Forbidden</title></head></html>"
    for n, issue in enumerate(issues):
        fake_sentry._add_fault(
            Fault(
                "status",
                1,
                403,
                {"Content-Type": "text/html"},
                html.encode(),
                path_pattern="/comments/$",
            )
        )
        with django_capture_on_commit_callbacks(execute=True):
            sentry_issue_comment(issue=issue, text=f"Tracked in PAY-{n}")

    failed = OutboxEntry.objects.filter(operation="sentry.add_comment")
    assert [e.status for e in failed] == ["failed"] * 3
    assert failed[0].last_error.startswith("Permission or route refused (403)")
    assert "an HTML page (403 Forbidden), not an API answer" in failed[0].last_error
    sentry_connection.refresh_from_db()
    assert sentry_connection.sync_enabled and sentry_connection.consecutive_failures == 3
    assert "The token was refused" not in sentry_connection.last_error


def test_a_failed_note_does_not_freeze_the_status_a_pull_brings_in(
    fake_sentry, sentry_connection, django_capture_on_commit_callbacks
):
    call_command("sync_sentry")
    issue = SentryIssue.objects.filter(status="unresolved").first()
    fake_sentry.fail_next(400, path=r"/comments/$", body={"detail": "refused"})
    fake_sentry.fail_next(503, times=3, method="PUT")
    with django_capture_on_commit_callbacks(execute=True):
        sentry_issue_comment(issue=issue, text="Tracked in PAY-1")
        sentry_issue_set_status(issue=issue, status="resolved")
    assert OutboxEntry.objects.get(operation="sentry.add_comment").status == "failed"
    # A pending change of the status itself keeps the local value, ...
    assert OutboxEntry.objects.get(operation="sentry.set_status").status == "pending"
    call_command("sync_sentry", "--force")
    issue.refresh_from_db()
    assert issue.status == "resolved"

    # ... but once that change is dismissed, only the failed note is left: Sentry's status wins.
    outbox_dismiss(entry=OutboxEntry.objects.get(operation="sentry.set_status"))
    fake_sentry.regress_issue(issue.external_id)
    call_command("sync_sentry", "--force")
    issue.refresh_from_db()
    assert issue.status == "unresolved"
