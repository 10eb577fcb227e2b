"""API conventions shared by every app: error rendering, role permissions (pagination: pagination.py)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from switchyard.core.exceptions import DomainError


def exception_handler(exc, context):
    """DRF's handler, plus DomainError rendered as a 4xx.

    A DomainError with field messages answers `{"field": ["message"]}` like a serializer error,
    so clients read every validation failure the same way; one without fields answers
    `{"code", "message"}`. Anything else is left to DRF (and unknown errors stay 500s).
    """
    if isinstance(exc, DomainError):
        body = dict(exc.fields) if exc.fields else {"code": exc.code, "message": exc.message}
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)


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
