from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "switchyard.core"
    label = "core"
