from django.urls import path
from rest_framework.routers import SimpleRouter

from switchyard.sync import api, views

router = SimpleRouter()
router.register("connections", api.ConnectionViewSet, basename="connection")
router.register("sync-runs", api.SyncRunViewSet, basename="sync-run")
router.register("outbox", api.OutboxViewSet, basename="outbox")
router.register("webhook-deliveries", api.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("event-deliveries", api.EventDeliveryViewSet, basename="event-delivery")
router.register("sync-health", api.SyncHealthViewSet, basename="sync-health")

urlpatterns = [
    path("webhooks/<str:kind>/<uuid:connection_uuid>/", views.webhook_endpoint, name="webhook"),
    *router.urls,
]
