from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "switchyard.support"
    label = "support"
    verbose_name = "Customer issues"

    def ready(self) -> None:
        from switchyard.support import handlers

        handlers.register()
