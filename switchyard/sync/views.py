"""The webhook endpoint: verify over the raw bytes, store, answer at once."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from switchyard.core.exceptions import WebhookInvalid, WebhookMalformed
from switchyard.sync.inbox import ConnectionChanged, webhook_accept

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def webhook_endpoint(request: HttpRequest, kind: str, connection_uuid) -> JsonResponse:
    try:
        connection, delivery, created = webhook_accept(
            kind=kind, connection_uuid=connection_uuid, headers=request.headers, body=request.body
        )
    except WebhookMalformed as rejection:
        logger.warning(
            "sync.webhook.malformed",
            extra={"connection": str(connection_uuid), "reason": str(rejection)},
        )
        return JsonResponse({"detail": str(rejection)}, status=400)
    except WebhookInvalid as rejection:
        logger.warning(
            "sync.webhook.rejected",
            extra={"connection": str(connection_uuid), "reason": str(rejection)},
        )
        return JsonResponse({"detail": str(rejection)}, status=401)
    except ConnectionChanged:
        # Its secret or switch changed while this delivery was checked: the sender retries.
        return JsonResponse({"detail": "The connection changed; send it again."}, status=503)
    if connection is None:
        return JsonResponse({"detail": "Unknown webhook."}, status=404)
    return JsonResponse(
        {"delivery": delivery.delivery_id, "status": "accepted" if created else "duplicate"},
        status=202 if created else 200,
    )
