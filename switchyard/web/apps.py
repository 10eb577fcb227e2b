from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "switchyard.web"
    label = "web"
