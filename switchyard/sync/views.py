"""The webhook endpoint: verify over the raw bytes, store, answer at once."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from switchyard.core.exceptions import WebhookInvalid, WebhookMalformed
from switchyard.sync.inbox import webhook_receive
from switchyard.sync.models import Connection

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook_endpoint(request: HttpRequest, kind: str, connection_uuid) -> JsonResponse:
    connection = Connection.objects.filter(uuid=connection_uuid, kind=kind, is_enabled=True).first()
    if connection is None:
        return JsonResponse({"detail": "Unknown webhook."}, status=404)
    try:
        delivery, created = webhook_receive(
            connection=connection, headers=request.headers, body=request.body
        )
    except WebhookMalformed as rejection:
        logger.warning(
            "sync.webhook.malformed", extra={"connection": connection.pk, "reason": str(rejection)}
        )
        return JsonResponse({"detail": str(rejection)}, status=400)
    except WebhookInvalid as rejection:
        logger.warning(
            "sync.webhook.rejected", extra={"connection": connection.pk, "reason": str(rejection)}
        )
        return JsonResponse({"detail": str(rejection)}, status=401)
    return JsonResponse(
        {"delivery": delivery.delivery_id, "status": "accepted" if created else "duplicate"},
        status=202 if created else 200,
    )
