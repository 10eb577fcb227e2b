"""The mapping event moved from the mapping module to the events module: deliveries recorded
under the old name keep finding their event."""

from django.db import migrations

from switchyard.core.event_renames import rename_events


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_event_delivery_requeue_marks"),
        ("products", "0001_initial"),
    ]

    operations = [
        rename_events(
            "switchyard.products.mapping", "switchyard.products.events", ["MappingChanged"]
        )
    ]
