from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "switchyard.automation"
    label = "automation"
    verbose_name = "Automation rules"

    def ready(self) -> None:
        from switchyard.automation import subscriptions

        subscriptions.register()
