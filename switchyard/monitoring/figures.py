"""Figures shown beside each Sentry project (its unresolved issues and their events). Insights
keeps them as it observes the issues and registers them in its ``AppConfig.ready()``, so the
project list asks this registry for them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

# name -> expression over SentryProject (a subquery each); the providers in the order they
# registered.
FigureProvider = Callable[[], dict[str, models.Expression]]
_providers: list[FigureProvider] = []


def register_project_figures(provider: FigureProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def project_figures() -> dict[str, models.Expression]:
    figures: dict[str, models.Expression] = {}
    for provider in _providers:
        figures.update(provider())
    return figures
