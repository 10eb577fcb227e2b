from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "switchyard.products"
    label = "products"
