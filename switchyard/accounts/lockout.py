"""The answer to a login refused because the address or the account is locked out (django-axes)."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse

MESSAGE = "Too many failed logins. Try again later."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """429 with Retry-After: JSON for the API, plain text for the sign-in pages."""
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"code": "login_locked", "message": MESSAGE}, status=429)
    else:
        response = HttpResponse(MESSAGE, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(int(get_cool_off(request).total_seconds()))
    return response
