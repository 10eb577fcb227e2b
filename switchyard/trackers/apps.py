from django.apps import AppConfig


class TrackersConfig(AppConfig):
    name = "switchyard.trackers"
    label = "trackers"
    verbose_name = "Trackers (Jira, Linear)"

    def ready(self) -> None:
        from switchyard.trackers import handlers

        handlers.register()
