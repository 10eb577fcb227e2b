"""Sync health: admins only, their own connections, test, sync now, retry and dismiss failed changes."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection, OutboxEntry, SyncRun, WebhookDelivery
from switchyard.trackers.services import ticket_create_for_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_create(tracker, settings, django_capture_on_commit_callbacks):
    """A ticket create that timed out with no attempts left: parked as failed."""
    settings.SYNC_OUTBOX_MAX_ATTEMPTS = 1
    for _ in range(3):  # more than a client's own attempts
        tracker.fail_creates()
    issue = SentryIssue.objects.filter(status="unresolved").first()
    with django_capture_on_commit_callbacks(execute=True):
        link = ticket_create_for_source(source=issue, tracker_project=tracker.project)
    entry = OutboxEntry.objects.get(operation="tracker.create_ticket")
    assert entry.status == "failed"
    return link, entry


def test_only_admins_of_the_organization(signed_in, people, admin, tracker):
    connection = Connection.objects.filter(organization=admin.organization).first()
    for role in ("employee", "vendor", "customer"):
        client = signed_in(people[role])
        assert client.get("/sync/").status_code == 403
        assert client.get("/sync/deliveries/").status_code == 403
        assert client.post(f"/sync/connections/{connection.pk}/sync/").status_code == 403
    outsider = signed_in(people["outsider"])
    assert f"connection-{connection.pk}" not in outsider.get("/sync/").content.decode()
    assert outsider.post(f"/sync/connections/{connection.pk}/test/").status_code == 404


def test_connections_test_and_sync_now(client, admin, tracker, django_capture_on_commit_callbacks):
    client.force_login(admin)
    connection = tracker.connection
    html = client.get("/sync/").content.decode()
    assert connection.name in html and "Healthy" in html
    response = client.post(f"/sync/connections/{connection.pk}/test/", follow=True)
    assert f"{connection.name}: connected as" in response.content.decode()
    runs = SyncRun.objects.filter(connection=connection).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sync/connections/{connection.pk}/sync/", follow=True)
    assert "sync queued" in response.content.decode()
    assert SyncRun.objects.filter(connection=connection).count() == runs + 1
    assert client.post(f"/sync/connections/{connection.pk}/explode/").status_code == 404


def test_a_test_that_fails_says_why(client, admin, tracker):
    client.force_login(admin)
    Connection.objects.filter(pk=tracker.connection.pk).update(api_token="wrong")
    connection = Connection.objects.get(pk=tracker.connection.pk)
    connection.api_token = "wrong-token"
    connection.save()
    response = client.post(f"/sync/connections/{connection.pk}/test/", follow=True)
    html = response.content.decode()
    assert f"{connection.name}: " in html and "connected as" not in html
    assert "Failing" in html


def test_retry_a_failed_change(
    client, admin, tracker, failed_create, django_capture_on_commit_callbacks
):
    link, entry = failed_create
    client.force_login(admin)
    html = client.get("/sync/").content.decode()
    assert f'data-testid="outbox-{entry.pk}"' in html and entry.last_error[:40] in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sync/outbox/{entry.pk}/retry/", follow=True)
    entry.refresh_from_db(), link.refresh_from_db()
    assert entry.status == "delivered" and link.ticket is not None
    assert f"Change #{entry.pk} retried" in response.content.decode()
    response = client.post(f"/sync/outbox/{entry.pk}/retry/", follow=True)
    assert "nothing to retry" in response.content.decode()


def test_dismiss_a_failed_change_and_other_organizations(
    signed_in, people, admin, tracker, failed_create
):
    _, entry = failed_create
    assert (
        signed_in(people["outsider"]).post(f"/sync/outbox/{entry.pk}/dismiss/").status_code == 404
    )
    client = signed_in(admin)
    client.post(f"/sync/outbox/{entry.pk}/dismiss/")
    entry.refresh_from_db()
    assert entry.status == "dismissed"
    assert f'data-testid="outbox-{entry.pk}"' not in client.get("/sync/").content.decode()
    assert (
        f'data-testid="outbox-{entry.pk}"' in client.get("/sync/?status=dismissed").content.decode()
    )


def test_failed_deliveries_and_query_counts(client, admin, tracker):
    client.force_login(admin)
    for n in range(25):
        WebhookDelivery.objects.create(
            connection=tracker.connection,
            delivery_id=f"d{n}",
            event_type="Issue",
            body="{}",
            status="failed" if n % 2 else "processed",
            error="Unreadable body" if n % 2 else "",
        )
    html = client.get("/sync/deliveries/").content.decode()
    assert html.count("Unreadable body") == 12
    for url in ("/sync/deliveries/", "/sync/?status="):
        counts = set()
        for size in (1, 200):
            with CaptureQueriesContext(db) as context:
                assert (
                    client.get(f"{url}{'&' if '?' in url else '?'}page_size={size}").status_code
                    == 200
                )
            counts.add(len(context))
        assert len(counts) == 1 and counts.pop() <= 8
