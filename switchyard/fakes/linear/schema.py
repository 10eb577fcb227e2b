"""Linear's published schema, its error shapes, and connection paging for the fake."""

from __future__ import annotations

import base64
import bisect
import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema

from switchyard.fakes.conformance import spec_path

DEFAULT_PAGE = 50  # "Defaults to 50" on every connection's ``first``
MAX_PAGE = 250


@functools.cache
def linear_schema() -> GraphQLSchema:
    """Linear's schema, built once per process (1.2 MB of SDL)."""
    return build_schema(spec_path("linear").read_text())


def iso(moment: datetime) -> str:
    """Linear's date-time text: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def error_body(message: str, *, kind: str, code: str, user_message: str | None = None) -> dict:
    """One entry of Linear's ``errors`` list."""
    return {
        "message": message,
        "extensions": {
            "type": kind,
            "code": code,
            "userError": True,
            "userPresentableMessage": user_message or message,
        },
    }


class LinearError(GraphQLError):
    """An error raised by a resolver, rendered with Linear's ``extensions``."""

    def __init__(self, message: str, *, kind: str, code: str, user_message: str | None = None):
        super().__init__(
            message,
            extensions=error_body(message, kind=kind, code=code, user_message=user_message)[
                "extensions"
            ],
        )


def not_found(entity: str) -> LinearError:
    """What Linear answers for an id it does not know (HTTP 200, ``data: null``)."""
    return LinearError(
        f"Entity not found: {entity}",
        kind="invalid input",
        code="INPUT_ERROR",
        user_message=f"Could not find referenced {entity}.",
    )


def duplicate_label() -> LinearError:
    """What Linear answers to a second label of one name (in any case) where both would apply.

    The SDK shows it as "Duplicate label name - Label with this name already exists in the
    team": https://github.com/linear/linear/issues/159
    """
    return LinearError(
        "Duplicate label name",
        kind="invalid input",
        code="INPUT_ERROR",
        user_message="Label with this name already exists in the team",
    )


def invalid_input(message: str) -> LinearError:
    return LinearError(message, kind="invalid input", code="INPUT_ERROR")


def unsupported(what: str) -> LinearError:
    """A valid argument the fake does not implement: refused loudly, never ignored."""
    return LinearError(
        f"The fake Linear does not support {what}", kind="internal error", code="INTERNAL_ERROR"
    )


def page_size(first: int | None) -> int:
    if first is not None and first < 0:
        raise invalid_input("first must be a positive number")
    return min(first or DEFAULT_PAGE, MAX_PAGE)


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise invalid_input("Invalid cursor") from exc


def offset_connection(nodes: list[Any], first: int | None, after: str | None) -> dict:
    """A connection over a small list (teams, states, users, comments) with offset cursors."""
    start = int(decode_cursor(after)[0]) if after else 0
    page = nodes[start : start + page_size(first)]
    end = start + len(page)
    return {
        "nodes": page,
        "pageInfo": {
            "hasNextPage": end < len(nodes),
            "hasPreviousPage": start > 0,
            "startCursor": encode_cursor([start + 1]) if page else None,
            "endCursor": encode_cursor([end]) if page else None,
        },
    }


def keyset_connection(
    keys: list[tuple[Any, ...]],
    render: Callable[[tuple[Any, ...]], Any],
    *,
    first: int | None,
    after: str | None,
    lowest: tuple[Any, ...] | None = None,
    keep: Callable[[tuple[Any, ...]], bool] | None = None,
    key_of_cursor: Callable[[list[Any]], tuple[Any, ...]] = tuple,
    cursor_of_key: Callable[[tuple[Any, ...]], list[Any]] = list,
) -> dict:
    """A connection over a sorted key list: a page costs a bisect plus the page, not a scan.

    Cursors name the last key served, so rows changing meanwhile neither repeat nor vanish.
    """
    start = 0
    if lowest is not None:
        start = bisect.bisect_left(keys, lowest)
    if after:
        start = max(start, bisect.bisect_right(keys, key_of_cursor(decode_cursor(after))))
    size = page_size(first)
    chosen: list[tuple[Any, ...]] = []
    index = start
    while index < len(keys) and len(chosen) <= size:
        if keep is None or keep(keys[index]):
            chosen.append(keys[index])
        index += 1
    more, chosen = len(chosen) > size, chosen[:size]
    return {
        "nodes": [render(key) for key in chosen],
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": bool(after),
            "startCursor": encode_cursor(cursor_of_key(chosen[0])) if chosen else None,
            "endCursor": encode_cursor(cursor_of_key(chosen[-1])) if chosen else None,
        },
    }


def refuse(rest: dict[str, Any], field: str) -> None:
    """Arguments the fake does not implement fail loudly instead of being ignored."""
    given = {name for name, value in rest.items() if value not in (None, False)}
    if given:
        raise unsupported(f"{field}({', '.join(sorted(given))})")
