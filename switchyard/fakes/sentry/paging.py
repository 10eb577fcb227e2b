"""Sentry's cursor pagination for the fake: ``value:offset:is_prev`` cursors and ``Link`` headers.

Issue and note lists walk an index sorted by a descending key (bisect to the cursor, then walk);
short lists (organizations, projects) page by offset, as Sentry's OffsetPaginator does.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from switchyard.fakes.base import FakeRequest, FakeResponse, json_response
from switchyard.fakes.sentry.model import PUBLIC_URL, BadRequest


@dataclass(frozen=True, slots=True)
class Cursor:
    value: int
    offset: int
    is_prev: bool

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        """Sentry's ``value:offset:is_prev`` cursor; ValueError when malformed."""
        if raw is None:
            return None
        value, offset, is_prev = raw.split(":")
        return cls(int(value), int(offset), is_prev == "1")

    def __str__(self) -> str:
        return f"{self.value}:{self.offset}:{int(self.is_prev)}"


def keyed_page(
    request: FakeRequest,
    index: list[tuple[int, int]],
    matches: Callable[[int], bool],
    cursor: Cursor | None,
    limit: int,
    floor: int | None,
    render: Callable[[int], dict[str, Any]],
) -> FakeResponse:
    """One page of a list sorted by a descending key, with Sentry's value:offset:is_prev cursors.

    ``floor`` (a lastSeen lower bound from the query) stops the walk early on the date sort.
    """
    picked: list[tuple[int, int]] = []  # (key, id)
    if cursor is not None and cursor.is_prev:
        # Previous page: the `limit` matching entries strictly above the cursor's key.
        pos = bisect.bisect_left(index, (-cursor.value, -(2**63)))
        for neg_key, neg_id in reversed(index[:pos]):
            if matches(-neg_id):
                picked.append((-neg_key, -neg_id))
                if len(picked) > limit:
                    break
        more_before = len(picked) > limit
        picked = list(reversed(picked[:limit]))
        has_next, has_prev = True, more_before
    else:
        pos = 0 if cursor is None else bisect.bisect_left(index, (-cursor.value, -(2**63)))
        skip = 0 if cursor is None else cursor.offset
        for neg_key, neg_id in _islice_from(index, pos):
            key = -neg_key
            if floor is not None and key < floor:
                break
            if not matches(-neg_id):
                continue
            if skip and key == cursor.value:
                skip -= 1
                continue
            skip = 0
            picked.append((key, -neg_id))
            if len(picked) > limit:
                break
        has_next, has_prev = len(picked) > limit, cursor is not None
        picked = picked[:limit]
    if picked:
        last_key = picked[-1][0]
        offset = sum(1 for key, _ in picked if key == last_key)
        if cursor is not None and not cursor.is_prev and all(k == cursor.value for k, _ in picked):
            offset += cursor.offset
        next_cursor = Cursor(last_key, offset, False)
        prev_cursor = Cursor(picked[0][0], 0, True)
    else:
        next_cursor = cursor if cursor and not cursor.is_prev else Cursor(0, 0, False)
        prev_cursor = Cursor(cursor.value if cursor else 0, 0, True)
        has_next = False
    body = [render(item_id) for _, item_id in picked]
    return json_response(
        body,
        headers={"Link": _link(request, prev_cursor, has_prev, next_cursor, has_next)},
    )


def offset_page(request: FakeRequest, items: list[dict[str, Any]]) -> FakeResponse:
    """One page of a short list with Sentry's OffsetPaginator cursors (``0:<offset>:0``)."""
    try:
        limit = per_page_param(request)
        cursor = Cursor.parse(request.param("cursor"))
    except BadRequest as exc:
        return json_response(exc.body, 400)
    except ValueError:
        return json_response({"detail": "Invalid cursor parameter."}, 400)
    start = 0 if cursor is None else cursor.offset
    if cursor is not None and cursor.is_prev:
        start = max(0, start - limit)
    page = items[start : start + limit]
    link = _link(
        request,
        Cursor(0, max(0, start - limit) if start else 0, True),
        start > 0,
        Cursor(0, start + limit, False),
        start + limit < len(items),
    )
    return json_response(page, headers={"Link": link})


def _link(request: FakeRequest, prev: Cursor, has_prev: bool, nxt: Cursor, has_next: bool) -> str:
    base = request.url.split("?", 1)[0] if request.url else f"{PUBLIC_URL}{request.path}"
    params = [(k, v) for k, values in request.query.items() if k != "cursor" for v in values]

    def one(cursor: Cursor, rel: str, results: bool) -> str:
        url = f"{base}?{urlencode([*params, ('cursor', str(cursor))])}"
        return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"'

    return f"{one(prev, 'previous', has_prev)}, {one(nxt, 'next', has_next)}"


def limit_param(request: FakeRequest) -> int:
    """The issue index's ``limit`` (default and cap 100); BadRequest when not a positive integer."""
    raw = request.param("limit")
    if raw is None:
        return 100
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest({"detail": "Invalid limit parameter."})
    return min(int(raw), 100)


def per_page_param(request: FakeRequest) -> int:
    """A short list's ``per_page`` (default 100); BadRequest outside 1..100."""
    raw = request.param("per_page")
    if raw is None:
        return 100
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise BadRequest({"detail": "Invalid per_page parameter."})
    return int(raw)


def _islice_from(items: list[tuple[int, int]], start: int) -> Iterable[tuple[int, int]]:
    for position in range(start, len(items)):
        yield items[position]
