from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.automation import api

router = SimpleRouter()
router.register("automation-rules", api.AutomationRuleViewSet, basename="automation-rule")

urlpatterns = [
    path(
        "automation-rules/preview/",
        api.AutomationRulePreviewApi.as_view(),
        name="automation-rule-preview",
    ),
    *router.urls,
]
