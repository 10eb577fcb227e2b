from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.accounts import api

router = SimpleRouter()
router.register("organizations", api.OrganizationViewSet, basename="organization")
router.register("teams", api.TeamViewSet, basename="team")
router.register("auth/sessions", api.ApiSessionViewSet, basename="auth-session")
router.register("audit-log", api.AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    path("auth/login/", api.LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me/", api.MeApi.as_view(), name="auth-me"),
    *router.urls,
]
