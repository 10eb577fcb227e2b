from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.products.api import ProductMappingApi
from switchyard.trackers import api
from switchyard.trackers.handlers import TRACKER_PROJECTS

router = SimpleRouter()
router.register("tracker-projects", api.TrackerProjectViewSet, basename="tracker-project")
router.register("status-mappings", api.StatusMappingViewSet, basename="status-mapping")
router.register("priority-mappings", api.PriorityMappingViewSet, basename="priority-mapping")
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("ticket-links", api.TicketLinkViewSet, basename="ticket-link")

urlpatterns = [
    path(
        "products/<int:pk>/tracker-projects/",
        ProductMappingApi.as_view(mappable_key=TRACKER_PROJECTS.key),
        name="product-tracker-projects",
    ),
    path(
        "sentry/issues/create-tickets/",
        api.SentryIssuesCreateTicketsApi.as_view(),
        name="sentry-issues-create-tickets",
    ),
    path(
        "sentry/issues/<int:pk>/tickets/",
        api.SentryIssueTicketsApi.as_view(),
        name="sentry-issue-tickets",
    ),
    path(
        "sentry/issues/<int:pk>/link-ticket/",
        api.SentryIssueLinkTicketApi.as_view(),
        name="sentry-issue-link-ticket",
    ),
    *router.urls,
]
