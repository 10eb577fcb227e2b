from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "switchyard.sync"
    label = "sync"
