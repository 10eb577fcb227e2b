"""A short way through the middleware for webhook deliveries."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from switchyard.sync.views import webhook_endpoint

WEBHOOK_PREFIX = "/api/webhooks/"


class WebhookShortcutMiddleware:
    """Hands a webhook delivery straight to its view, past the middleware that follows.

    A delivery is authenticated by its signature alone: sessions, CSRF, users, the audit context,
    messages, htmx, the page security headers and the login lockout have nothing to do with it,
    and running them cost about a fifth of accepting one (bench/README.md). Placed after
    SecurityMiddleware (HTTPS redirect, HSTS); the host is still checked against ALLOWED_HOSTS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(WEBHOOK_PREFIX):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and match.func is webhook_endpoint:
                request.get_host()  # DisallowedHost (a 400) for a host not in ALLOWED_HOSTS
                request.resolver_match = match
                return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)
