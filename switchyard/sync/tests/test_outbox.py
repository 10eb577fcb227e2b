from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from switchyard.core.exceptions import RemoteRateLimited, RemoteRejected, RemoteUnavailable
from switchyard.sync.models import OutboxEntry
from switchyard.sync.outbox import outbox_add, outbox_deliver, outbox_due_ids
from switchyard.sync.scheduler import schedule_due_work

pytestmark = pytest.mark.django_db


def add(connection, key="thing:1", **payload):
    return outbox_add(
        connection=connection, operation_name="test.push", ordering_key=key, payload=payload
    )


def make_due(entry):
    OutboxEntry.objects.filter(pk=entry.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_change_is_delivered_after_commit(remote, connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(connection, status="done")
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.DELIVERED
    assert entry.result == {"remote_id": "R-1"}
    assert remote.delivered == [("thing:1", {"status": "done"})]


def test_a_rolled_back_change_leaves_nothing_to_deliver(remote, connection):
    with pytest.raises(RuntimeError), transaction.atomic():
        add(connection, status="done")
        raise RuntimeError("the local change failed")
    assert not OutboxEntry.objects.exists()


def test_no_change_is_sent_back_to_the_connection_it_came_from(remote, connection):
    entry = outbox_add(
        connection=connection,
        operation_name="test.push",
        ordering_key="k",
        payload={},
        origin=connection,
    )
    assert entry is None and not OutboxEntry.objects.exists()


def test_a_remote_that_is_down_gets_the_change_once_it_is_back(
    remote, connection, django_capture_on_commit_callbacks
):
    remote.failures = [RemoteUnavailable("Jira answered 503")]
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(connection, status="done")
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.PENDING
    assert entry.attempts == 1
    assert entry.last_error == "The remote failed. Jira answered 503"
    assert entry.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert remote.delivered == []
    connection.refresh_from_db()
    assert (
        connection.consecutive_failures == 1
        and connection.last_error == "The remote failed. Jira answered 503"
    )

    assert outbox_deliver(entry_id=entry.pk) is None  # not due yet
    make_due(entry)
    assert outbox_due_ids() == [entry.pk]
    schedule_due_work()  # the scheduler tick enqueues it; the immediate backend delivers it
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.DELIVERED and entry.attempts == 2
    assert remote.delivered == [("thing:1", {"status": "done"})]
    connection.refresh_from_db()
    assert connection.consecutive_failures == 0


def test_retry_after_is_honoured(remote, connection):
    entry = add(connection)
    remote.failures = [RemoteRateLimited("slow down", retry_after=120)]
    outbox_deliver(entry_id=entry.pk)
    entry.refresh_from_db()
    wait = (entry.next_attempt_at - timezone.now()).total_seconds()
    assert 110 < wait <= 120


def test_after_the_attempt_budget_the_change_is_parked_and_can_be_retried(
    remote, connection, settings, client_for, admin, django_capture_on_commit_callbacks
):
    settings.SYNC_OUTBOX_MAX_ATTEMPTS = 2
    entry = add(connection)
    remote.failures = [RemoteUnavailable("down"), RemoteUnavailable("still down")]
    outbox_deliver(entry_id=entry.pk)
    make_due(entry)
    outbox_deliver(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.FAILED
    assert entry.last_error == "The remote failed. still down"

    api = client_for(admin)
    listed = api.get("/api/outbox/?status=failed").json()
    assert [row["id"] for row in listed["results"]] == [entry.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/outbox/{entry.pk}/retry/")
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.DELIVERED
    assert len(remote.delivered) == 1


def test_a_refused_change_fails_at_once_and_holds_back_later_changes_of_the_same_object(
    remote, connection, client_for, admin
):
    first = add(connection, step=1)
    second = add(connection, step=2)
    other = add(connection, key="thing:2", step="other")
    remote.failures = [RemoteRejected("No transition into Done", status=400)]
    outbox_deliver(entry_id=first.pk)
    first.refresh_from_db()
    assert first.status == OutboxEntry.Status.FAILED and first.attempts == 1

    assert outbox_deliver(entry_id=second.pk) is None  # held back behind the failed one
    outbox_deliver(entry_id=other.pk)  # another object goes ahead
    assert remote.delivered == [("thing:2", {"step": "other"})]

    response = client_for(admin).post(f"/api/outbox/{first.pk}/dismiss/")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    outbox_deliver(entry_id=second.pk)
    assert remote.delivered[-1] == ("thing:1", {"step": 2})


def test_changes_of_one_object_go_out_in_order(remote, connection):
    first, second = add(connection, step=1), add(connection, step=2)
    assert outbox_deliver(entry_id=second.pk) is None
    outbox_deliver(entry_id=first.pk)
    outbox_deliver(entry_id=second.pk)
    assert [payload["step"] for _, payload in remote.delivered] == [1, 2]


def test_a_delivery_whose_worker_died_is_taken_again(remote, connection):
    entry = add(connection)
    OutboxEntry.objects.filter(pk=entry.pk).update(  # as a worker's claim leaves it
        status=OutboxEntry.Status.IN_FLIGHT,
        claimed_at=timezone.now() - timedelta(minutes=1),
        attempts=1,
        enqueued_at=None,
    )
    assert outbox_due_ids() == []  # its worker may still be at it
    assert outbox_deliver(entry_id=entry.pk) is None
    OutboxEntry.objects.filter(pk=entry.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=30)
    )
    assert outbox_due_ids() == [entry.pk]
    outbox_deliver(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.status == OutboxEntry.Status.DELIVERED and entry.attempts == 2
    assert len(remote.delivered) == 1


def test_delivered_changes_cannot_be_retried(remote, connection, client_for, admin):
    entry = add(connection)
    outbox_deliver(entry_id=entry.pk)
    response = client_for(admin).post(f"/api/outbox/{entry.pk}/retry/")
    assert response.status_code == 400
    assert response.json()["message"] == "This change is delivered; nothing to retry."
