"""The customer-issue event moved from the services module to the events module: deliveries
recorded under the old name keep finding their event."""

from django.db import migrations

from switchyard.core.event_renames import rename_events


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_event_delivery_requeue_marks"),
        ("support", "0003_list_indexes"),
    ]

    operations = [
        rename_events(
            "switchyard.support.services", "switchyard.support.events", ["CustomerIssueChanged"]
        )
    ]
