"""The events of this app moved from its services module to its events module: deliveries
recorded under the old names keep finding their event."""

from django.db import migrations

EVENTS = [
    "SentryIssueStatusChanged",
    "SentryIssueAssigned",
    "SentryIssueCommented",
    "SentryIssuesStored",
    "SentryIssuesDeleted",
]
OLD, NEW = "switchyard.monitoring.services.", "switchyard.monitoring.events."


def _rename(apps, old: str, new: str) -> None:
    deliveries = apps.get_model("sync", "EventDelivery").objects
    for name in EVENTS:
        deliveries.filter(event_type=old + name).update(event_type=new + name)


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_event_delivery_requeue_marks"),
        ("monitoring", "0003_list_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
