from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce


def fill_container_keys(apps, schema_editor):
    """The project of every tracked Sentry issue and ticket, then the open counts per project."""
    TrackedItem = apps.get_model("insights", "TrackedItem")
    OpenCount = apps.get_model("insights", "OpenCount")
    containers = {
        "sentry": (apps.get_model("monitoring", "SentryIssue"), "project_id"),
        "ticket": (apps.get_model("trackers", "Ticket"), "tracker_project_id"),
    }
    for source, (model, column) in containers.items():
        project = model.objects.filter(pk=OuterRef("item_id")).values(column)[:1]
        TrackedItem.objects.filter(source=source).update(
            container_key=Coalesce(Subquery(project), 0)
        )
    OpenCount.objects.all().delete()
    rows = (
        TrackedItem.objects.filter(is_open=True)
        .values("organization_id", "product_key", "container_key", "source", "bucket")
        .annotate(open=Count("*"), events=Sum("events"), users=Sum("users"))
        .order_by()
    )
    OpenCount.objects.bulk_create([OpenCount(**row) for row in rows], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_unused_third_party_tables"),
        ("insights", "0004_tracked_item_workload_indexes"),
        ("monitoring", "0004_event_names_from_events_module"),
        ("trackers", "0006_ticket_search_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="opencount",
            name="open_count_unique",
        ),
        migrations.AddField(
            model_name="opencount",
            name="container_key",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="trackeditem",
            name="container_key",
            field=models.PositiveBigIntegerField(
                default=0, help_text="Sentry project or tracker project; 0 for customer issues."
            ),
        ),
        migrations.AddIndex(
            model_name="opencount",
            index=models.Index(fields=["source", "container_key"], name="open_count_container"),
        ),
        migrations.AddConstraint(
            model_name="opencount",
            constraint=models.UniqueConstraint(
                fields=("organization", "product_key", "container_key", "source", "bucket"),
                name="open_count_unique",
            ),
        ),
        migrations.RunPython(fill_container_keys, migrations.RunPython.noop),
    ]
