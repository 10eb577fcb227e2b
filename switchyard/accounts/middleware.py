"""Request middleware of the accounts app."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from switchyard.core.client_address import client_ip


def _authenticated_user(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class AuditMiddleware(AuditlogMiddleware):
    """Auditlog's middleware with the client address we trust (not any X-Forwarded-For) and the
    actor read when an entry is written: API tokens authenticate inside the view, after
    middleware has run, and DRF then sets the request's user."""

    def get_extra_data(self, request: HttpRequest) -> dict:
        return {
            "remote_addr": client_ip(request) or None,
            "actor": SimpleLazyObject(lambda: _authenticated_user(request)),
        }
