"""What each dashboard endpoint shows, assembled from the figures: named tables of flat rows, so a
page draws a chart from a table and a spreadsheet reads the same table as CSV."""

from __future__ import annotations

from django.utils import timezone

from switchyard.insights import selectors
from switchyard.insights.health import health_scores
from switchyard.insights.selectors import Window
from switchyard.products.models import Product
from switchyard.products.selectors import product_list


def health_rows(products: list[Product], scores: dict[int, dict]) -> list[dict]:
    by_path = {p.path: p.pk for p in products}
    return [
        {
            "product": p.pk,
            "full_path": p.full_path,
            "parent": by_path.get(p.path[: -Product.steplen]),
            "priority": p.priority,
            "score": scores[p.pk]["score"],
            "own_score": scores[p.pk]["own_score"],
            **scores[p.pk]["parts"],
            **{f"penalty_{k}": v for k, v in scores[p.pk]["penalties"].items()},
        }
        for p in products
    ]


def organization_overview(*, organization, window: Window) -> dict:
    """Health of the top-level products, the biggest movers this week, the organization's trends."""
    products = list(product_list(organization=organization))
    scores = health_scores(organization=organization, products=products)
    top = [p for p in products if p.depth == 1]
    return {
        "organization": {"id": organization.pk, "name": organization.name},
        "products": health_rows(top, scores),
        "movers": selectors.movers(
            organization=organization, products=products, today=timezone.now().date()
        ),
        "open_now": selectors.open_by_bucket(organization=organization),
        "series": selectors.series(organization=organization, window=window),
    }


def product_dashboard(*, product: Product, window: Window) -> dict:
    """A product and its sub-products: health (with each sub-product's), open items, trends and
    resolution times."""
    organization = product.organization
    subtree = list(product_list(organization=organization).filter(path__startswith=product.path))
    keys = [p.pk for p in subtree]
    scores = health_scores(organization=organization, products=subtree)
    return {
        "product": {"id": product.pk, "name": product.name, "full_path": product.full_path},
        "health": health_rows(subtree, scores),
        "health_history": selectors.health_history(product=product, window=window),
        "open_now": selectors.open_by_bucket(organization=organization, product_keys=keys),
        "series": selectors.series(organization=organization, window=window, product_keys=keys),
        "resolution": selectors.resolution_times(
            organization=organization, window=window, product_keys=keys
        ),
    }


def teams_dashboard(*, organization, window: Window) -> dict:
    """Every team: workload per assignee and per product, resolution times."""
    return {
        **selectors.team_workload(organization=organization, window=window),
        "resolution": selectors.resolution_times(
            organization=organization, window=window, by=("team",)
        ),
    }


def automation_dashboard(*, organization, window: Window) -> dict:
    return {"rules": selectors.automation_series(organization=organization, window=window)}


def team_dashboard(*, team, window: Window) -> dict:
    """A team's products (those it owns): trends, workload per product and assignee, and the
    team's resolution times."""
    organization = team.organization
    keys = list(
        product_list(organization=organization)
        .filter(owning_team=team)
        .values_list("pk", flat=True)
    )
    return {
        "team": {"id": team.pk, "name": team.name},
        "series": selectors.series(organization=organization, window=window, product_keys=keys),
        "workload": selectors.workload(organization=organization, window=window, product_keys=keys),
        "resolution": [
            row
            for row in selectors.resolution_times(
                organization=organization, window=window, product_keys=keys, by=("team",)
            )
            if row["key"] == team.name
        ],
    }
