"""What a remote said when it refused a request, in a line a person can act on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

# Enough for a remote's sentence and a field or two; the full body stays on the error (2,000).
MESSAGE_LIMIT = 300
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def is_html(response: httpx.Response) -> bool:
    """An HTML page (a proxy's, a login form, a framework's error page) rather than an API answer."""
    if "html" in response.headers.get("content-type", ""):
        return True
    return response.content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def remote_message(response: httpx.Response) -> str:
    """The remote's own words about a failed request: its ``detail``/``message``, or what page it sent."""
    if is_html(response):
        match = _TITLE.search(response.content[:4000])
        title = " ".join(match.group(1).decode(errors="replace").split()) if match else ""
        page = f"an HTML page ({title})" if title else "an HTML page"
        return f"{page}, not an API answer"[:MESSAGE_LIMIT]
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, Mapping):
        return ""
    return "; ".join(_messages(body))[:MESSAGE_LIMIT]


def validation_errors(body: Any) -> dict[str, str]:
    """Per-field messages from the two common shapes of a refusal.

    Django REST framework: ``{"field": ["message", ...], "detail": "..."}``; django-ninja / FastAPI:
    ``{"detail": [{"loc": ["query", "sort"], "msg": "..."}]}`` (the field is the last ``loc`` part).
    """
    if not isinstance(body, Mapping):
        return {}
    errors: dict[str, str] = {}
    for name, value in body.items():
        if name == "detail" and isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping) and item.get("msg"):
                    loc = item.get("loc") or ["detail"]
                    field = str(loc[-1]) if isinstance(loc, list) and loc else "detail"
                    errors[field] = str(item["msg"])[:MESSAGE_LIMIT]
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            errors[str(name)] = " ".join(value)[:MESSAGE_LIMIT]
        elif isinstance(value, str):
            errors[str(name)] = value[:MESSAGE_LIMIT]
    return errors


def _messages(body: Mapping[str, Any]) -> list[str]:
    found = []
    for key in ("detail", "message", "error", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
        elif key == "detail" and isinstance(value, list):
            found += [f"{field}: {msg}" for field, msg in validation_errors(body).items()]
    return found
