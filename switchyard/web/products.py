"""Products: the tree with figures rolled up through sub-products, and a product's page."""

from __future__ import annotations

from collections import Counter

from django.shortcuts import get_object_or_404, render

from switchyard.insights.models import Source
from switchyard.insights.product_figures import product_overview, product_sentry_stats
from switchyard.insights.selectors import open_counts
from switchyard.monitoring.models import IssueLevel
from switchyard.products.selectors import product_list, product_subtree, product_tree
from switchyard.support.selectors import issues_of_products
from switchyard.trackers.selectors import product_new_ticket_counts
from switchyard.web.access import staff_only
from switchyard.web.paging import page_of

LEVELS = [IssueLevel.FATAL, IssueLevel.ERROR, IssueLevel.WARNING, IssueLevel.INFO]
OPEN_FIGURE = {Source.TICKET: "open_tickets", Source.CUSTOMER: "open_issues"}


def rolled_up_figures(organization) -> dict[int, Counter]:
    """Each product's figures plus those of everything below it (two grouped queries: the stored
    open counts, and the tickets created this week)."""
    own: dict[int, Counter] = {}
    for row in open_counts(organization=organization):
        figures = own.setdefault(row["product_key"], Counter())
        if row["source"] == Source.SENTRY:
            figures.update({f"sentry_{row['bucket']}": row["open"], "sentry": row["open"]})
        else:
            figures[OPEN_FIGURE[row["source"]]] += row["open"]
    for product_id, n in product_new_ticket_counts(organization=organization).items():
        own.setdefault(product_id, Counter())["tickets_this_week"] += n
    by_path = {}
    products = list(product_list(organization=organization))
    for product in products:
        by_path[product.path] = own.get(product.pk, Counter()) + Counter()
    for product in sorted(products, key=lambda p: -p.depth):  # children before their parents
        if product.parent_path in by_path:
            by_path[product.parent_path].update(by_path[product.path])
    return {product.pk: by_path[product.path] for product in products}


@staff_only
def tree(request):
    organization = request.user.organization
    figures = rolled_up_figures(organization)
    nodes = product_tree(organization=organization)
    _attach(nodes, figures)
    return render(request, "web/products/tree.html", {"tree": nodes, "organization": organization})


def _attach(nodes: list[dict], figures: dict[int, Counter]) -> None:
    for node in nodes:
        node["figures"] = figures[node["product"].pk]
        _attach(node["children"], figures)


@staff_only
def product_page(request, pk: int):
    """The product-centric view: Sentry projects, tracker projects, customer issues, new tickets
    and how many of them automation rules made."""
    product = get_object_or_404(product_list(organization=request.user.organization), pk=pk)
    overview = product_overview(product=product)
    issues = issues_of_products(user=request.user, products=product_subtree(product=product))
    return render(
        request,
        "web/products/product.html",
        {
            **overview,
            "sentry": product_sentry_stats(product=product),
            "figures": rolled_up_figures(request.user.organization)[product.pk],
            "page": page_of(request, issues.order_by("-updated_at", "-id"), default_size=10),
            "tickets_this_week": overview["tickets_created_this_week"][:10],
            "levels": LEVELS,
        },
    )
