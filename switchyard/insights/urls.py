from django.urls import path

from switchyard.insights import api

urlpatterns = [
    path("products/<int:pk>/stats/", api.ProductStatsApi.as_view(), name="product-stats"),
    path("products/<int:pk>/overview/", api.ProductOverviewApi.as_view(), name="product-overview"),
    path("insights/", api.InsightsOverviewApi.as_view(), name="insights-overview"),
    path("insights/products/<int:pk>/", api.InsightsProductApi.as_view(), name="insights-product"),
    path("insights/teams/", api.InsightsTeamsApi.as_view(), name="insights-teams"),
    path("insights/teams/<int:pk>/", api.InsightsTeamApi.as_view(), name="insights-team"),
    path("insights/automation/", api.InsightsAutomationApi.as_view(), name="insights-automation"),
]
