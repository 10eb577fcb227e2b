from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.support import api

router = SimpleRouter()
router.register("issues", api.IssueViewSet, basename="issue")

urlpatterns = [
    path("client/issues/raise/", api.ClientIssueRaiseApi.as_view(), name="client-issue-raise"),
    path("client/issues/<int:pk>/", api.ClientIssueDetailApi.as_view(), name="client-issue-detail"),
    path(
        "client/issues/<int:pk>/comment/",
        api.ClientIssueCommentApi.as_view(),
        name="client-issue-comment",
    ),
    path(
        "organizations/<int:pk>/",
        api.OrganizationDetailApi.as_view(),
        name="organization-detail-support",
    ),
    *router.urls,
]
