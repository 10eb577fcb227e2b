"""The API's operations, read from its schema, and a row of the caller's for each detail path."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

# Detail paths whose rows are listed under another path.
LISTED_UNDER = {"/api/client/issues/": "/api/issues/"}


def operations() -> list[tuple[str, str]]:
    """Every (method, path) of the published schema, e.g. ("PATCH", "/api/products/{id}/")."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in ("get", "post", "put", "patch", "delete")
    ]


def list_path(path: str) -> str:
    """The list a detail path's rows come from: "/api/products/{id}/stats/" -> "/api/products/"."""
    prefix = path.split("{", 1)[0]
    return LISTED_UNDER.get(prefix, prefix)


def ids_listed(client: APIClient, path: str) -> list[int]:
    """The ids a caller sees in the list behind a detail path (every page)."""
    response = client.get(list_path(path), {"page_size": 200})
    if response.status_code != 200:
        return []
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
