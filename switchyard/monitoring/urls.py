from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.monitoring import api
from switchyard.monitoring.handlers import SENTRY_PROJECTS
from switchyard.products.api import ProductMappingApi

router = SimpleRouter()
router.register("sentry/projects", api.SentryProjectViewSet, basename="sentry-project")
router.register("sentry/issues", api.SentryIssueViewSet, basename="sentry-issue")

urlpatterns = [
    path(
        "sentry/issues/assign-projects/",
        api.SentryIssueProjectsAssignApi.as_view(),
        name="sentry-issues-assign-projects",
    ),
    path(
        "products/<int:pk>/sentry-projects/",
        ProductMappingApi.as_view(mappable_key=SENTRY_PROJECTS.key),
        name="product-sentry-projects",
    ),
    *router.urls,
]
