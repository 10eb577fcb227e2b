"""Login lockouts (django-axes): the check in front of the password, and the answer to a login
refused because the address or the account is locked out."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
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


class LockoutBackend(AxesStandaloneBackend):
    """Refuses any login of a locked-out address or account before the password is checked.

    Every login that comes over the network (API, sign-in page, admin) passes its request. A call
    without one (Django's test client `login()`) has no address to judge: axes would raise, so it
    is left to the password check alone.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
