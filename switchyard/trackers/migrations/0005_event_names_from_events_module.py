"""The events of this app moved from its services module to its events module: deliveries
recorded under the old names keep finding their event."""

from django.db import migrations

from switchyard.core.event_renames import rename_events


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_event_delivery_requeue_marks"),
        ("trackers", "0004_open_ticket_index"),
    ]

    operations = [
        rename_events(
            "switchyard.trackers.services",
            "switchyard.trackers.events",
            ["LinkTicketCreated", "LinkTicketFailed", "TicketCreatedRemotely", "TicketsChanged"],
        )
    ]
