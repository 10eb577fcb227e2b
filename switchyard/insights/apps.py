from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "switchyard.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from switchyard.insights import subscriptions

        subscriptions.register()
