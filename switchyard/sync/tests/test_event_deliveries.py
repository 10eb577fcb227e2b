"""Failed event deliveries are visible to their organization, and retried or dismissed there."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.core import events
from switchyard.sync.models import EventDelivery

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class ThingChanged:
    thing_id: int


class Subscriber:
    """Fails while ``failing`` is set; records what it was handed."""

    failing = True
    seen: list[int] = []

    @classmethod
    def on_change(cls, event: ThingChanged) -> None:
        if cls.failing:
            raise ConnectionError("tracker unreachable")
        cls.seen.append(event.thing_id)


@pytest.fixture
def subscriber(settings):
    settings.SYNC_EVENT_MAX_ATTEMPTS = 1
    Subscriber.failing, Subscriber.seen = True, []
    events.subscribe(ThingChanged, Subscriber.on_change)
    yield Subscriber
    events._subscribers.pop(ThingChanged)


def org_admin():
    user = AdminFactory()
    user.groups.add(org_admin_group())
    return user


@pytest.fixture
def admin():
    return org_admin()


@pytest.fixture
def failed(subscriber, admin, django_capture_on_commit_callbacks) -> EventDelivery:
    """A delivery of the admin's organization whose subscriber failed past the retry limit."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(ThingChanged(thing_id=7), organization_id=admin.organization_id)
    delivery = EventDelivery.objects.get()
    assert (delivery.status, delivery.organization_id) == ("failed", admin.organization_id)
    return delivery


def test_failed_deliveries_are_listed_with_their_reason(failed, admin, client_for):
    listed = client_for(admin).get("/api/event-deliveries/?status=failed").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert row["id"] == failed.pk and row["status"] == "failed"
    assert row["event_type"].endswith("ThingChanged") and "tracker unreachable" in row["last_error"]
    staff = UserFactory(organization=admin.organization, role="employee")
    assert client_for(staff).get(f"/api/event-deliveries/{failed.pk}/").status_code == 200
    assert client_for(staff).post(f"/api/event-deliveries/{failed.pk}/retry/").status_code == 403


def test_a_retried_delivery_runs_again_and_is_gone_once_delivered(
    failed, subscriber, admin, client_for, django_capture_on_commit_callbacks
):
    subscriber.failing = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(f"/api/event-deliveries/{failed.pk}/retry/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    assert subscriber.seen == [7]
    assert not EventDelivery.objects.exists()


def test_a_dismissed_delivery_stays_dismissed_and_cannot_be_retried(failed, admin, client_for):
    api = client_for(admin)
    response = api.post(f"/api/event-deliveries/{failed.pk}/dismiss/")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    again = api.post(f"/api/event-deliveries/{failed.pk}/retry/")
    assert again.status_code == 400 and "dismissed" in again.json()["message"]
    assert api.get("/api/event-deliveries/?status=failed").json()["count"] == 0


def test_another_organization_neither_sees_nor_touches_them(failed, client_for):
    other = client_for(AdminFactory())
    assert other.get("/api/event-deliveries/").json()["count"] == 0
    assert other.get(f"/api/event-deliveries/{failed.pk}/").status_code == 404
    assert other.post(f"/api/event-deliveries/{failed.pk}/retry/").status_code == 404
    assert other.post(f"/api/event-deliveries/{failed.pk}/dismiss/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_the_admin_lists_retries_and_dismisses_its_organizations_deliveries(
    failed, subscriber, admin, client, django_capture_on_commit_callbacks
):
    url = "/admin/sync/eventdelivery/"
    client.force_login(org_admin())
    listing = client.get(url)
    assert listing.status_code == 200 and "tracker unreachable" not in listing.content.decode()
    client.post(url, {"action": "dismiss", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == "failed"  # another organization's row is out of reach

    client.force_login(admin)
    assert "tracker unreachable" in client.get(url).content.decode()
    subscriber.failing = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "retry", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    assert subscriber.seen == [7] and not EventDelivery.objects.exists()
