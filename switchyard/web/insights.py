"""Insights pages: the organization dashboard, a team's charts, and the charts section of a
product's page (a fragment its page loads after it shows). Every figure comes from
``switchyard.insights.dashboards``."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from switchyard.accounts.selectors import team_list
from switchyard.insights import dashboards
from switchyard.insights.selectors import Window
from switchyard.products.selectors import product_list
from switchyard.web import charts
from switchyard.web.access import staff_only

DAYS = [7, 30, 90]


class WindowForm(forms.Form):
    """The period a page shows: the last 7, 30 or 90 days, by day or by week."""

    days = forms.TypedChoiceField(
        choices=[(n, f"{n} days") for n in DAYS], coerce=int, required=False, empty_value=30
    )
    interval = forms.ChoiceField(
        choices=[("", "By day, by week for 90 days"), ("day", "By day"), ("week", "By week")],
        required=False,
    )

    def __init__(self, query) -> None:
        data = query.copy()
        data.setdefault("days", "30")
        super().__init__(data)

    def window(self) -> Window:
        today = timezone.now().date()
        days = self.cleaned_data["days"]
        interval = self.cleaned_data["interval"] or ("week" if days == 90 else "day")
        return Window(today - timedelta(days=days - 1), today, interval)


def _window_or_error(request) -> tuple[WindowForm, HttpResponseBadRequest | None]:
    form = WindowForm(request.GET)
    if form.is_valid():
        return form, None
    message = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    return form, HttpResponseBadRequest(message, content_type="text/plain")


@staff_only
def dashboard(request):
    """Health of the top-level products, the week's biggest movers, the organization's trends."""
    form, error = _window_or_error(request)
    if error:
        return error
    window = form.window()
    organization = request.user.organization
    overview = dashboards.organization_overview(organization=organization, window=window)
    return render(
        request,
        "web/insights/dashboard.html",
        {
            "form": form,
            "window": window,
            "overview": overview,
            "teams": team_list(organization=organization),
            "health_chart": charts.health_chart(
                "health", "Health of the top-level products", overview["products"]
            ),
            "movers_chart": charts.movers_chart(overview["movers"]),
            "trend_charts": charts.trend_charts("org", overview["series"], window.interval),
        },
    )


@staff_only
def team_page(request, pk: int):
    """A team's products: trends, workload per assignee and product, resolution times."""
    team = get_object_or_404(team_list(organization=request.user.organization), pk=pk)
    form, error = _window_or_error(request)
    if error:
        return error
    window = form.window()
    figures = dashboards.team_dashboard(team=team, window=window)
    return render(
        request,
        "web/insights/team.html",
        {
            "form": form,
            "window": window,
            "team": team,
            "charts": [
                *charts.workload_charts(figures["workload"]),
                charts.resolution_chart("team-resolution", figures["resolution"], "team"),
                *charts.trend_charts("team", figures["series"], window.interval)[:2],
            ],
        },
    )


@staff_only
def product_charts(request, pk: int):
    """A product's charts: health by day, trends, open items, resolution times."""
    product = get_object_or_404(product_list(organization=request.user.organization), pk=pk)
    form, error = _window_or_error(request)
    if error:
        return error
    window = form.window()
    figures = dashboards.product_dashboard(product=product, window=window)
    own = [row for row in figures["resolution"] if row["key"] == str(product.pk)]
    trends = charts.trend_charts("product", figures["series"], window.interval)
    return render(
        request,
        "web/insights/_charts.html",
        {
            "window": window,
            "charts": [
                charts.health_history_chart(figures["health_history"]),
                *trends[:2],
                charts.open_now_chart("product-open", figures["open_now"]),
                *trends[2:],
                charts.resolution_chart("product-resolution", own, "product"),
            ],
            "csv": f"/api/insights/products/{product.pk}/?format=csv",
        },
    )
