"""Figures shown beside each product in the admin. They are computed above this app (insights
registers them in its ``AppConfig.ready()``), so the product admin asks this registry for them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

# label -> expression over Product (a subquery each, so that figures never multiply each other's
# joins); the providers in the order they registered.
FigureProvider = Callable[[], dict[str, models.Expression]]
_providers: list[FigureProvider] = []


def register_product_figures(provider: FigureProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def product_figures() -> dict[str, models.Expression]:
    figures: dict[str, models.Expression] = {}
    for provider in _providers:
        figures.update(provider())
    return figures
