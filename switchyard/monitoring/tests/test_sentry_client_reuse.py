"""HTTP clients are built once per process and connection, never to check a webhook signature."""

import httpx
import pytest
from django.core.management import call_command

from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import OutboxEntry, WebhookDelivery
from switchyard.sync.services import connection_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients_built(monkeypatch) -> list[str]:
    """The base URL of every httpx client built from now on."""
    built: list[str] = []
    original = httpx.Client.__init__

    def counting(self, *args, **kwargs):
        built.append(str(kwargs.get("base_url", "")))
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counting)
    return built


def post_webhook(client, fake_sentry, connection, issue, action="resolved"):
    headers, body = fake_sentry.build_webhook(
        f"issue.{action}", issue_id=issue.external_id, secret=connection.webhook_secret
    )
    return client.post(
        f"/api/webhooks/sentry/{connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_accepting_a_webhook_builds_no_http_client(
    client, fake_sentry, sentry_connection, clients_built
):
    remote_id = next(iter(fake_sentry.issues))
    headers, body = fake_sentry.build_webhook(
        "issue.resolved", issue_id=str(remote_id), secret=sentry_connection.webhook_secret
    )
    response = client.post(
        f"/api/webhooks/sentry/{sentry_connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 202
    assert WebhookDelivery.objects.get().status == "received"
    assert clients_built == []


def test_one_client_serves_pulls_webhooks_and_deliveries_until_the_connection_changes(
    client,
    client_for,
    admin,
    fake_sentry,
    sentry_connection,
    clients_built,
    django_capture_on_commit_callbacks,
):
    call_command("sync_sentry")
    first, second, third = SentryIssue.objects.filter(status="unresolved")[:3]
    for issue in (first, second):
        fake_sentry.resolve_issue(issue.external_id)
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(client, fake_sentry, sentry_connection, issue).status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(f"/api/sentry/issues/{third.pk}/resolve/")
    assert OutboxEntry.objects.get().status == "delivered"
    assert WebhookDelivery.objects.filter(status="processed").count() == 2
    assert clients_built == ["https://sentry.test"]

    connection_update(connection=sentry_connection, api_token="a-revoked-token")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(f"/api/sentry/issues/{third.pk}/unresolve/")
    assert len(clients_built) == 2  # the changed credentials got a client of their own
    reopen = OutboxEntry.objects.exclude(status="delivered").get()
    assert "401" in reopen.last_error or "403" in reopen.last_error
