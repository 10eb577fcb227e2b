"""Failed event deliveries are visible to their organization, and retried or dismissed there;
deliveries a subscriber takes together."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.core import events
from switchyard.sync.models import EventDelivery
from switchyard.sync.subscribers import event_deliver

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


class Batches:
    """Takes up to three waiting deliveries together; fails on any thing id in ``bad``."""

    calls: list[list[int]] = []
    bad: set[int] = set()

    @classmethod
    def on_changes(cls, changes: list[ThingChanged]) -> None:
        ids = [change.thing_id for change in changes]
        cls.calls.append(ids)
        if cls.bad & set(ids):
            raise ValueError(f"cannot take {sorted(cls.bad & set(ids))}")


@pytest.fixture
def batches(settings):
    """The subscriber, with tasks queued in the database and no worker: only what a test runs
    runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SYNC_EVENT_MAX_ATTEMPTS = 3
    Batches.calls, Batches.bad = [], set()
    events.subscribe(ThingChanged, Batches.on_changes, together=3)
    yield Batches
    events._subscribers.pop(ThingChanged)


def publish_things(ids: list[int]) -> list[int]:
    """Publish, leaving the deliveries waiting (their tasks not run); their keys."""
    with transaction.atomic():
        for thing_id in ids:
            events.publish(ThingChanged(thing_id=thing_id), organization_id=None)
    return list(EventDelivery.objects.order_by("pk").values_list("pk", flat=True))


def test_a_subscriber_taking_deliveries_together_gets_the_waiting_ones_in_one_call(batches):
    first, *rest = publish_things([1, 2, 3, 4, 5])
    assert event_deliver(delivery_id=first) is None
    assert batches.calls == [[1, 2, 3]]
    assert sorted(EventDelivery.objects.values_list("payload__thing_id", flat=True)) == [4, 5]
    # The tasks of the two taken along find nothing to do; the next takes what is left.
    assert [event_deliver(delivery_id=pk) for pk in rest[:2]] == [None, None]
    assert event_deliver(delivery_id=rest[2]) is None
    assert batches.calls == [[1, 2, 3], [4, 5]]
    assert not EventDelivery.objects.exists()


def test_one_bad_event_among_those_taken_together_holds_none_of_the_others_back(batches):
    batches.bad = {2}
    first, second, third = publish_things([1, 2, 3])
    assert event_deliver(delivery_id=first) is None  # failed together, then alone: delivered
    assert batches.calls == [[1, 2, 3], [1]]
    waiting = EventDelivery.objects.order_by("pk")
    assert [(d.pk, d.status, d.attempts) for d in waiting] == [
        (second, "pending", 0),
        (third, "pending", 0),
    ]
    assert all(d.task_id for d in waiting)  # each back in line with a task of its own
    failed = event_deliver(delivery_id=second)
    assert (failed.status, failed.attempts) == ("pending", 1) and "cannot take" in failed.last_error
    assert batches.calls[-2:] == [[2, 3], [2]]
    assert event_deliver(delivery_id=third) is None
    assert list(EventDelivery.objects.values_list("pk", flat=True)) == [second]
