"""The client's address, trusting forwarding headers only as far as the deployment says."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address that sent the request ("" when unknown).

    `X-Forwarded-For` is anyone's to write, so it is read only when TRUSTED_PROXY_COUNT says how
    many proxies of ours stand in front: each appends the address it saw, so the client is the
    entry that many places from the right. Without proxies the socket's address is the truth.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and _is_address(hops[-min(proxies, len(hops))]):
            return hops[-min(proxies, len(hops))]
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_address(remote) else ""


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
