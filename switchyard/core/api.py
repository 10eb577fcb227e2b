"""API conventions shared by every app: error rendering, role permissions, ids (pagination: pagination.py)."""

from __future__ import annotations

import logging

from django.db import DataError, IntegrityError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from switchyard.core.exceptions import (
    DomainError,
    RemoteError,
    RemoteRateLimited,
    RemoteUnavailable,
    remote_reason,
)

logger = logging.getLogger(__name__)


# Primary keys are 64-bit integers (BigAutoField); anything outside can name no row, and larger
# values overflow the database driver.
MAX_ID = 2**63 - 1
ID_ERRORS = {
    "invalid": "Enter a valid id.",
    "max_value": "Enter a valid id.",
    "min_value": "Enter a valid id.",
    "max_string_length": "Enter a valid id.",
}


class IdField(serializers.IntegerField):
    """An id in a request body: a whole number a primary key can hold, else a 400 naming it."""

    default_error_messages = ID_ERRORS

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def exception_handler(exc, context):
    """DRF's handler, plus DomainError rendered as a 4xx and database refusals as 409/400.

    A DomainError with field messages answers `{"field": ["message"]}` like a serializer error,
    so clients read every validation failure the same way; one without fields answers
    `{"code", "message"}`. A constraint the database enforced (usually a write racing another)
    answers 409, a value it could not store 400; both are logged, since the services should
    have refused them first. A remote that failed while the caller waited answers 503 when it
    may heal by itself (down, overloaded, rate limited; with ``Retry-After`` when it said), else
    502, with the reason the connection test gives. Anything else is left to DRF (and unknown
    errors stay 500s).
    """
    if isinstance(exc, DomainError):
        body = dict(exc.fields) if exc.fields else {"code": exc.code, "message": exc.message}
        return Response(body, status=exc.status_code)
    if isinstance(exc, IntegrityError | DataError):
        logger.warning("api.database_refused", exc_info=exc, extra={"view": _view_name(context)})
        if isinstance(exc, IntegrityError):
            message = "The change clashed with another change saved meanwhile; try again."
            return Response({"code": "conflict", "message": message}, status=409)
        message = "A value could not be stored."
        return Response({"code": "invalid", "message": message}, status=400)
    if isinstance(exc, RemoteError):
        return _remote_failure(exc)
    return drf_exception_handler(exc, context)


def _remote_failure(error: RemoteError) -> Response:
    heals = isinstance(error, RemoteUnavailable | RemoteRateLimited)
    body = {
        "code": "remote_unavailable" if heals else "remote_failed",
        "message": remote_reason(error),
    }
    response = Response(body, status=503 if heals else 502)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(max(1, round(retry_after)))
    return response


def _view_name(context) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else ""


class IsOrgStaff(BasePermission):
    """Admins, employees and vendors of an organization."""

    message = "Only staff of an organization may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_org_staff)


class IsOrgAdmin(BasePermission):
    """Organization admins only."""

    message = "Only organization admins may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_org_admin)


class IsOrgStaffReadingOrAdmin(BasePermission):
    """Staff may read; only organization admins may write."""

    message = "Only organization admins may change this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_org_staff):
            self.message = IsOrgStaff.message
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.message = "Only organization admins may change this."
        return user.is_org_admin


def not_found(request, exception=None):
    """Unknown URLs under /api/ (``/api/products/abc/``) answer JSON like every API error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
