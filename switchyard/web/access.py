"""Who may open a page: the API's own permission classes, answered as a login redirect or a 403 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from switchyard.core.api import IsOrgAdmin, IsOrgStaff
from switchyard.support.api import IsCustomer


def allowed(permission: type[BasePermission]) -> Callable:
    """Let the request through when ``permission`` grants it; anonymous people sign in first."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check = permission()
            if not check.has_permission(request, None):
                raise PermissionDenied(check.message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


customer_only = allowed(IsCustomer)
staff_only = allowed(IsOrgStaff)
admin_only = allowed(IsOrgAdmin)
