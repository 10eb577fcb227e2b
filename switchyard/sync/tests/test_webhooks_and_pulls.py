import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from switchyard.core.exceptions import RemoteUnauthorized, RemoteUnavailable
from switchyard.sync.models import Connection, SyncCursor, SyncRun, WebhookDelivery
from switchyard.sync.runs import SyncAlreadyRunning, connection_pull
from switchyard.sync.scheduler import schedule_due_work
from switchyard.sync.tests.conftest import sign

pytestmark = pytest.mark.django_db


def post_webhook(client, connection, payload, *, secret=None, delivery="d-1"):
    body = json.dumps(payload).encode()
    return client.post(
        f"/api/webhooks/{connection.kind}/{connection.uuid}/",
        data=body,
        content_type="application/json",
        headers={
            "X-Test-Signature": sign(secret or connection.webhook_secret, body),
            "X-Test-Delivery": delivery,
        },
    )


# -- webhooks ------------------------------------------------------------------------------


def test_a_signed_webhook_is_stored_then_applied(
    client, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, connection, {"event": "thing.updated", "id": 7})
    assert response.status_code == 202
    assert response.json() == {"delivery": "d-1", "status": "accepted"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.event_type == "thing.updated"
    assert "X-Test-Signature" not in delivery.headers
    assert remote.applied == [{"event": "thing.updated", "id": 7}]


def test_the_same_delivery_twice_changes_things_once(
    client, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, connection, {"event": "thing.updated", "id": 7})
        again = post_webhook(client, connection, {"event": "thing.updated", "id": 7})
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert WebhookDelivery.objects.count() == 1
    assert len(remote.applied) == 1


def test_a_bad_or_missing_signature_changes_nothing(client, remote, connection):
    assert (
        post_webhook(client, connection, {"event": "thing.updated"}, secret="wrong").status_code
        == 401
    )
    response = client.post(
        f"/api/webhooks/jira/{connection.uuid}/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists() and remote.applied == []


def test_unknown_connections_and_kinds_are_404(client, remote, connection):
    assert post_webhook(client, connection, {"event": "x"}).status_code == 202
    connection.uuid = uuid.uuid4()
    assert post_webhook(client, connection, {"event": "x"}, delivery="d-2").status_code == 404
    response = client.post(
        f"/api/webhooks/linear/{Connection.objects.get().uuid}/",
        data=b"{}",
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.get(f"/api/webhooks/jira/{Connection.objects.get().uuid}/").status_code == 405


def test_unknown_event_types_are_stored_and_ignored(
    client, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, connection, {"event": "thing.exploded"}).status_code == 202
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.IGNORED


def test_a_delivery_whose_processing_was_lost_is_picked_up_by_the_scheduler(
    client, remote, connection
):
    post_webhook(client, connection, {"event": "thing.updated", "id": 1})  # on_commit never ran
    WebhookDelivery.objects.update(enqueued_at=timezone.now() - timedelta(minutes=5))
    assert schedule_due_work().webhooks == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED
    assert schedule_due_work().webhooks == 0


# -- pulls -----------------------------------------------------------------------------


def test_a_pull_is_logged_as_a_run(remote, connection):
    run = connection_pull(connection=connection, trigger=SyncRun.Trigger.MANUAL)
    assert (run.status, run.created, run.scope, run.trigger) == ("succeeded", 5, "things", "manual")
    assert run.finished_at >= run.started_at
    connection.refresh_from_db()
    assert connection.last_sync_at and connection.next_sync_at > timezone.now()


def test_a_failed_pull_is_logged_with_its_reason_and_retried_sooner(remote, connection):
    remote.failures = [RemoteUnavailable("Jira answered 502")]
    run = connection_pull(connection=connection)
    assert (run.status, run.error) == ("failed", "The remote failed. Jira answered 502")
    connection.refresh_from_db()
    assert connection.last_error == "The remote failed. Jira answered 502"
    assert connection.next_sync_at < timezone.now() + connection.sync_interval


def test_one_pull_at_a_time_and_abandoned_runs_are_replaced(remote, connection):
    stuck = SyncRun.objects.create(connection=connection)
    with pytest.raises(SyncAlreadyRunning):
        connection_pull(connection=connection)
    SyncRun.objects.filter(pk=stuck.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert connection_pull(connection=connection).status == "succeeded"
    stuck.refresh_from_db()
    assert stuck.status == SyncRun.Status.ABANDONED


def test_repeated_auth_failures_switch_sync_off(remote, connection):
    for _ in range(3):
        remote.failures = [RemoteUnauthorized("Jira answered 401")]
        connection_pull(connection=connection)
    connection.refresh_from_db()
    assert not connection.sync_enabled
    assert connection.last_error.startswith("The token was refused")


def test_the_scheduler_enqueues_each_due_connection_once(remote, connection):
    Connection.objects.create(
        organization=connection.organization,
        kind="jira",
        name="Later",
        base_url="https://x.atlassian.net",
        next_sync_at=timezone.now() + timedelta(hours=1),
    )
    assert schedule_due_work().pulls == 1
    assert SyncRun.objects.filter(connection=connection, status="succeeded").count() == 1
    assert schedule_due_work().pulls == 0


def test_a_scheduled_pull_is_a_full_one_when_the_last_full_pull_is_a_day_old(
    remote, connection, settings
):
    settings.SYNC_FULL_PULL_HOURS = 24
    schedule_due_work()  # never had a full pull
    first = SyncRun.objects.get()
    assert first.full and first.status == "succeeded"

    Connection.objects.filter(pk=connection.pk).update(next_sync_at=timezone.now())
    schedule_due_work()
    assert not SyncRun.objects.order_by("-pk").first().full

    SyncRun.objects.filter(pk=first.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    Connection.objects.filter(pk=connection.pk).update(next_sync_at=timezone.now())
    schedule_due_work()
    assert SyncRun.objects.order_by("-pk").first().full
    assert SyncRun.objects.filter(full=True).count() == 2


def test_cursors_only_move_forward_and_overlap(remote, connection):
    run = SyncRun.objects.create(connection=connection, status="succeeded")
    from switchyard.sync.runs import CURSOR_OVERLAP, RunRecorder

    recorder = RunRecorder(run=run, connection=connection, full=False)
    assert recorder.since("issues") is None
    now = timezone.now()
    recorder.advance("issues", now)
    recorder.advance("issues", now - timedelta(days=1))
    assert SyncCursor.objects.get().position == now
    assert recorder.since("issues") == now - CURSOR_OVERLAP
    assert RunRecorder(run=run, connection=connection, full=True).since("issues") is None


def test_a_body_seen_within_the_replay_window_is_not_stored_again_under_a_new_id(
    client, remote, connection, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_REPLAY_WINDOW_HOURS = 24
    payload = {"event": "thing.updated", "id": 7}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, connection, payload, delivery="d-1").status_code == 202
        replay = post_webhook(client, connection, payload, delivery="d-2")
    assert replay.status_code == 200
    assert replay.json() == {"delivery": "d-1", "status": "duplicate"}
    assert len(remote.applied) == 1

    # Past the window the same body is a new delivery (the providers' timestamps bound it).
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, connection, payload, delivery="d-3").status_code == 202
    assert len(remote.applied) == 2
    assert post_webhook(client, connection, payload, delivery="d-4").status_code == 200
