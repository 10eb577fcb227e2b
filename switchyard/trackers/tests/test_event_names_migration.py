"""Deliveries recorded before the events moved to each app's events module keep their event."""

import importlib

import pytest
from django.apps import apps

from switchyard.monitoring.events import SentryIssuesStored
from switchyard.sync.models import EventDelivery
from switchyard.trackers.events import LinkTicketCreated

pytestmark = pytest.mark.django_db


def _recorded(event_type: str) -> EventDelivery:
    return EventDelivery.objects.create(
        subscriber="switchyard.insights.subscriptions._link_ticket",
        event_type=event_type,
        payload={"link_id": 1},
    )


def _name(event: type) -> str:
    return f"{event.__module__}.{event.__qualname__}"


@pytest.mark.parametrize(
    ("app", "event"), [("trackers", LinkTicketCreated), ("monitoring", SentryIssuesStored)]
)
def test_a_delivery_recorded_under_the_services_module_names_the_events_module(app, event):
    migration = importlib.import_module(
        f"switchyard.{app}.migrations.0004_event_names_from_events_module"
    )
    old = _recorded(f"switchyard.{app}.services.{event.__qualname__}")
    other = _recorded("switchyard.support.services.CustomerIssueChanged")

    migration.forwards(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.event_type == _name(event)
    assert other.event_type == "switchyard.support.services.CustomerIssueChanged"

    migration.backwards(apps, None)
    old.refresh_from_db()
    assert old.event_type == f"switchyard.{app}.services.{event.__qualname__}"
