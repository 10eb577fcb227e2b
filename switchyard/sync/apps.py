from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "switchyard.sync"
    label = "sync"

    def ready(self) -> None:
        from switchyard.core import events
        from switchyard.sync import webhook_connections  # noqa: F401 - forgets changed connections
        from switchyard.sync.subscribers import event_record

        events.use_store(event_record)
