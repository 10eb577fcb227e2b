from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "switchyard.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring (Sentry)"

    def ready(self) -> None:
        from switchyard.monitoring import handlers

        handlers.register()
