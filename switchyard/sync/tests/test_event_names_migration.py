"""Deliveries recorded before the events moved to each app's events module keep their event."""

import importlib

import pytest
from django.apps import apps

from switchyard.monitoring.events import SentryIssuesStored
from switchyard.products.events import MappingChanged
from switchyard.support.events import CustomerIssueChanged
from switchyard.sync.models import EventDelivery
from switchyard.trackers.events import LinkTicketCreated

pytestmark = pytest.mark.django_db

UNRELATED = "switchyard.automation.events.SomethingElse"


def _recorded(event_type: str) -> EventDelivery:
    return EventDelivery.objects.create(
        subscriber="switchyard.insights.subscriptions._link_ticket",
        event_type=event_type,
        payload={"link_id": 1},
    )


def _name(event: type) -> str:
    return f"{event.__module__}.{event.__qualname__}"


@pytest.mark.parametrize(
    ("migration_name", "old_module", "event"),
    [
        (
            "trackers.migrations.0005_event_names_from_events_module",
            "trackers.services",
            LinkTicketCreated,
        ),
        (
            "monitoring.migrations.0004_event_names_from_events_module",
            "monitoring.services",
            SentryIssuesStored,
        ),
        (
            "support.migrations.0004_event_names_from_events_module",
            "support.services",
            CustomerIssueChanged,
        ),
        (
            "products.migrations.0002_event_names_from_events_module",
            "products.mapping",
            MappingChanged,
        ),
    ],
)
def test_a_delivery_recorded_under_the_old_module_names_the_events_module(
    migration_name, old_module, event
):
    rename = importlib.import_module(f"switchyard.{migration_name}").Migration.operations[0]
    old_name = f"switchyard.{old_module}.{event.__qualname__}"
    old = _recorded(old_name)
    other = _recorded(UNRELATED)

    rename.code(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.event_type == _name(event)
    assert other.event_type == UNRELATED

    rename.reverse_code(apps, None)
    old.refresh_from_db()
    assert old.event_type == old_name
