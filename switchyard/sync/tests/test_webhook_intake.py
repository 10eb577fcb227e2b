"""The webhook intake's short way: the connection kept per process, and the middleware skipped."""

import dataclasses

import pytest
from django.test import Client

from switchyard.sync import registry
from switchyard.sync.models import Connection, WebhookDelivery
from switchyard.sync.tests.test_webhooks_and_pulls import post_webhook

pytestmark = pytest.mark.django_db


def changed_elsewhere(connection, **fields):
    """A change made by another process: the row changes, nothing in this process hears of it."""
    Connection.objects.filter(pk=connection.pk).update(**fields)


def test_a_new_secret_set_elsewhere_is_used_at_once_and_the_old_one_refused(
    client, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, connection, {"event": "thing.updated"}).status_code == 202
        changed_elsewhere(connection, webhook_secret="rotated-secret")
        old = post_webhook(client, connection, {"event": "thing.updated", "n": 2}, delivery="d-2")
        new = post_webhook(
            client,
            connection,
            {"event": "thing.updated", "n": 3},
            secret="rotated-secret",
            delivery="d-3",
        )
    assert old.status_code == 401
    assert new.status_code == 202
    assert sorted(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["d-1", "d-3"]
    assert [payload.get("n") for payload in remote.applied] == [None, 3]


def test_a_connection_switched_off_or_deleted_elsewhere_stores_nothing_more(
    client, remote, connection
):
    assert post_webhook(client, connection, {"event": "thing.updated"}).status_code == 202
    changed_elsewhere(connection, is_enabled=False)
    assert post_webhook(client, connection, {"event": "x"}, delivery="d-2").status_code == 404
    changed_elsewhere(connection, is_enabled=True)
    assert post_webhook(client, connection, {"event": "x"}, delivery="d-3").status_code == 202
    WebhookDelivery.objects.all().delete()
    Connection.objects.filter(pk=connection.pk).delete()
    assert post_webhook(client, connection, {"event": "x"}, delivery="d-4").status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_a_secret_changed_between_verifying_and_storing_stores_nothing(
    client, remote, connection, monkeypatch
):
    def verify_then_rotate(connection_, headers, body):
        verified = remote.verify(connection_, headers, body)
        changed_elsewhere(connection, webhook_secret="rotated-secret")
        return verified

    handlers = dataclasses.replace(registry._kinds["jira"], verify_webhook=verify_then_rotate)
    monkeypatch.setitem(registry._kinds, "jira", handlers)
    response = post_webhook(client, connection, {"event": "thing.updated"})
    assert response.status_code == 503
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_skips_the_browser_middleware_but_not_the_host_check(
    remote, connection, settings
):
    client = Client(enforce_csrf_checks=True)
    response = post_webhook(client, connection, {"event": "thing.updated"})
    assert response.status_code == 202
    assert "Content-Security-Policy" not in response.headers
    assert "Set-Cookie" not in response.headers
    settings.ALLOWED_HOSTS = ["switchyard.example"]
    assert post_webhook(client, connection, {"event": "x"}, delivery="d-2").status_code == 400
    assert WebhookDelivery.objects.count() == 1
