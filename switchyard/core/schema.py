"""What the OpenAPI schema says every operation may answer besides its own success."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'An error: `{"detail"}` (authentication, permission, not found, method), '
        '`{"code", "message"}` (a refused operation, a remote that failed) or '
        '`{"field": ["message"]}` (invalid input).'
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "message": {"type": "string"},
    },
    "additionalProperties": True,
}

# The exception handler in core.api answers these from any operation.
ERROR_RESPONSES = {
    "400": "Invalid input; the body names each field and what is wrong with it.",
    "401": "No valid credentials.",
    "403": "The caller's role may not do this.",
    "404": "No such object among the caller's organization's (or an unknown page).",
    "405": "The method is not allowed here.",
    "415": "The request body's media type is not accepted.",
    "409": "The change clashes with the current state or with a change saved meanwhile.",
    "502": "A remote answered with a failure (e.g. it refused the token).",
    "503": "A remote is unreachable or overloaded; try again later.",
}


def declare_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: one Error component, referenced by every operation
    for each error status it does not declare itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": content})
    return result
