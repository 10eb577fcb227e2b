"""What the webhook endpoint refuses, the same suite for every tracker kind."""

import pytest

from switchyard.sync.models import WebhookDelivery
from switchyard.trackers.tests.fixtures import deliver_webhook
from switchyard.trackers.tests.test_tracker_flows import create_ticket

pytestmark = pytest.mark.django_db


def post(client, connection, headers, body):
    return client.post(
        f"/api/webhooks/{connection.kind}/{connection.uuid}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_a_signed_body_sent_again_under_a_new_delivery_id_is_a_replay(
    client, client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    link = create_ticket(
        client_for(admin), unresolved_issues[0], tracker.project, django_capture_on_commit_callbacks
    )
    tracker.close(link.ticket.key)
    headers, body = tracker.last_change_webhook(link.ticket.key)
    first = deliver_webhook(
        client, tracker.connection, headers, body, django_capture_on_commit_callbacks
    )

    response = post(
        client, tracker.connection, {**headers, **tracker.fresh_delivery_headers()}, body
    )

    assert response.status_code == 200
    assert response.json() == {"delivery": first.delivery_id, "status": "duplicate"}
    assert WebhookDelivery.objects.filter(connection=tracker.connection).count() == 1


@pytest.mark.parametrize("body", [b"{not json", b'"a string"', b"\xff\xfe"])
def test_a_signed_body_that_is_not_a_json_object_is_refused_with_400(client, tracker, body):
    response = post(client, tracker.connection, tracker.signed_headers(body), body)

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not WebhookDelivery.objects.filter(connection=tracker.connection).exists()


def test_an_over_long_delivery_id_is_refused_with_400(
    client, client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    link = create_ticket(
        client_for(admin), unresolved_issues[0], tracker.project, django_capture_on_commit_callbacks
    )
    tracker.close(link.ticket.key)
    headers, body = tracker.last_change_webhook(link.ticket.key)
    (name,) = tracker.fresh_delivery_headers()

    response = post(client, tracker.connection, {**headers, name: "x" * 201}, body)

    assert response.status_code == 400
    assert response.json() == {"detail": "The delivery id is longer than 200 characters."}
    assert not WebhookDelivery.objects.filter(connection=tracker.connection).exists()
    assert post(client, tracker.connection, {**headers, name: "x" * 200}, body).status_code == 202


def test_deliveries_without_a_delivery_id_are_told_apart_by_their_bodies(
    client, client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    (name,) = tracker.fresh_delivery_headers()
    deliveries = []
    for issue in unresolved_issues[:2]:
        link = create_ticket(
            client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
        )
        tracker.close(link.ticket.key)
        headers, body = tracker.last_change_webhook(link.ticket.key)
        deliveries.append(({k: v for k, v in headers.items() if k != name}, body))

    answers = [post(client, tracker.connection, headers, body) for headers, body in deliveries]

    assert [answer.status_code for answer in answers] == [202, 202]
    stored = WebhookDelivery.objects.filter(connection=tracker.connection)
    assert stored.count() == 2
    assert all(delivery.delivery_id for delivery in stored)
    again = post(client, tracker.connection, *deliveries[0])
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert stored.count() == 2
