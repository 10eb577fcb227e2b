from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_patterns = [
    # support first: it serves organizations/<id>/ with the Linear team the front end reads.
    path("", include("switchyard.support.urls")),
    path("", include("switchyard.accounts.urls")),
    path("", include("switchyard.products.urls")),
    path("", include("switchyard.sync.urls")),
    path("", include("switchyard.trackers.urls")),
    path("", include("switchyard.monitoring.urls")),
    path("", include("switchyard.automation.urls")),
    path("", include("switchyard.insights.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "switchyard.core.api.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("switchyard.web.urls")),
]
