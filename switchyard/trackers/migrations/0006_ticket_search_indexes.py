from django.db import migrations

from switchyard.core.search_indexes import TrigramSearchIndex


class Migration(migrations.Migration):
    """The ticket list's search over key and summary, through trigram indexes on PostgreSQL."""

    dependencies = [("trackers", "0005_event_names_from_events_module")]

    operations = [
        TrigramSearchIndex(table="trackers_ticket", column="key", name="trackers_ticket_key_trgm"),
        TrigramSearchIndex(
            table="trackers_ticket", column="summary", name="trackers_ticket_summary_trgm"
        ),
    ]
