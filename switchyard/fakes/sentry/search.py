"""The subset of Sentry's issue search the fake understands, as predicates over its issues.

Supported: free text (matched in the title), ``is:`` (statuses, substatuses, assigned or not),
``lastSeen:`` / ``firstSeen:`` with ``>= > <= <`` (none: the same second) and an ISO 8601 date,
``level:``, and the ``statsPeriod`` or ``start`` / ``end`` window. Any other key is a tag search,
which matches nothing as the fake has no tags. Bad values raise BadRequest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from switchyard.fakes.base import FakeRequest
from switchyard.fakes.sentry.model import MS, SUBSTATUSES, BadRequest, Issue, millis


def parse_search(query: str) -> tuple[list[Callable[[Issue], bool]], int | None]:
    """Predicates for the subset of Sentry search the fake understands, and a lastSeen floor."""
    predicates: list[Callable[[Issue], bool]] = []
    floor: int | None = None
    for token in query.split():
        key, sep, value = token.partition(":")
        if not sep:
            needle = token.lower()
            predicates.append(lambda i, n=needle: n in i.title.lower())
        elif key == "is":
            predicates.append(_is_predicate(value))
        elif key in ("lastSeen", "firstSeen"):
            op, moment = _split_comparison(value)
            attr = "last_seen" if key == "lastSeen" else "first_seen"
            predicates.append(_compare(attr, op, moment))
            if key == "lastSeen" and op in (">=", ">"):
                bound = moment if op == ">=" else moment + 1
                floor = bound if floor is None else max(floor, bound)
        elif key == "level":
            predicates.append(lambda i, v=value: i.level == v)
        else:
            # Sentry treats an unknown key as a tag search; the fake has no tags.
            predicates.append(lambda i: False)
    return predicates, floor


def date_window(
    request: FakeRequest,
    predicates: list[Callable[[Issue], bool]],
    floor: int | None,
    clock: Callable[[], datetime],
) -> int | None:
    """Add the ``statsPeriod`` or ``start``/``end`` window to ``predicates``; the floor it raises."""
    period = request.param("statsPeriod")
    start, end = request.param("start"), request.param("end")
    lower: int | None = None
    if period:
        units = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
        if period[-1] not in units or not period[:-1].isdigit():
            raise BadRequest({"detail": f"Invalid statsPeriod: {period!r}"})
        lower = millis(clock()) - int(period[:-1]) * units[period[-1]] * MS
    elif start or end:
        if not (start and end):
            raise BadRequest({"detail": "start and end are both required"})
        lower, upper = parse_date(start), parse_date(end)
        predicates.append(lambda i: i.last_seen <= upper)
    if lower is not None:
        predicates.append(lambda i: i.last_seen >= lower)
        floor = lower if floor is None else max(floor, lower)
    return floor


def parse_date(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            {"detail": f"Invalid date: {value}. Expected ISO 8601-like (i.e. 2023-01-01T00:00:00)."}
        ) from None
    return millis(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _split_comparison(value: str) -> tuple[str, int]:
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            return op, parse_date(value[len(op) :])
    return "=", parse_date(value)


def _compare(attr: str, op: str, bound: int) -> Callable[[Issue], bool]:
    if op == ">=":
        return lambda i: getattr(i, attr) >= bound
    if op == ">":
        return lambda i: getattr(i, attr) > bound
    if op == "<=":
        return lambda i: getattr(i, attr) <= bound
    if op == "<":
        return lambda i: getattr(i, attr) < bound
    return lambda i: getattr(i, attr) // 1000 == bound // 1000


def _is_predicate(value: str) -> Callable[[Issue], bool]:
    statuses = {
        "unresolved": "unresolved",
        "resolved": "resolved",
        "ignored": "ignored",
        "archived": "ignored",
        "muted": "ignored",
    }
    if value in statuses:
        return lambda i, s=statuses[value]: i.status == s
    if value == "assigned":
        return lambda i: i.assignee_id is not None
    if value == "unassigned":
        return lambda i: i.assignee_id is None
    if value in SUBSTATUSES:
        return lambda i, s=value: i.substatus == s
    raise BadRequest(
        {"detail": f'Invalid value for "is" search, valid values are {sorted(statuses)}'}
    )
