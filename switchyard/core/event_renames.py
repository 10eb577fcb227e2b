"""A migration operation for events that moved to another module: stored event deliveries name
their event by its dotted path (``core.events.event_name``), so the rows waiting under the old
path are renamed with it."""

from __future__ import annotations

from django.db import migrations


def rename_events(old_module: str, new_module: str, names: list[str]) -> migrations.RunPython:
    def rename(apps, old: str, new: str) -> None:
        deliveries = apps.get_model("sync", "EventDelivery").objects
        for name in names:
            deliveries.filter(event_type=f"{old}.{name}").update(event_type=f"{new}.{name}")

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, old_module, new_module),
        lambda apps, schema_editor: rename(apps, new_module, old_module),
    )
