from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "switchyard.accounts"
    label = "accounts"
