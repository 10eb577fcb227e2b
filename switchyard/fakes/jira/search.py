"""``/rest/api/3/search/jql`` for the fake Jira: run a parsed JQL query a page at a time.

A page of ``... ORDER BY updated`` is read from the update-time index (bisect to the cursor, then
walk); other orders sort the matching issues. ``nextPageToken`` is an opaque keyset cursor tied
to the query, so paging stays correct while issues change.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from switchyard.fakes.base import FakeResponse, json_response
from switchyard.fakes.jira.jql import JqlError, Query, in_range, parse_jql
from switchyard.fakes.jira.model import Issue, error_response, millis
from switchyard.fakes.jira.state import JiraState

SEARCH_CAP = 100  # issues per page when fields are requested
KEY_ONLY_CAP = 5000  # issues per page when only ids or keys are


def run_search(
    state: JiraState, jql: str, token: str | None, max_results: int, fields: list[str]
) -> FakeResponse:
    """Answer one search page: issues, ``isLast`` and, when more follow, ``nextPageToken``."""
    try:
        query = parse_jql(jql, time_zone=state.bot.time_zone)
    except JqlError as exc:
        return error_response(400, [str(exc)])
    if not query.bounded:
        return error_response(
            400,
            [
                "Unbounded JQL queries are not allowed here. "
                "Please add a search restriction to your query."
            ],
        )
    missing = sorted((query.projects or set()) - set(state.projects))
    if missing:
        return error_response(
            400,
            [f"The value '{key}' does not exist for the field 'project'." for key in missing],
        )
    wanted = wanted_fields(fields)
    cap = KEY_ONLY_CAP if wanted is not None and wanted <= {"id", "key"} else SEARCH_CAP
    limit = max(1, min(max_results, cap))
    digest = hashlib.sha1(jql.encode()).hexdigest()[:12]
    after = None
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            if decoded["q"] != digest:
                raise ValueError("token of another query")
            after = tuple(decoded["after"])
        except (ValueError, KeyError, TypeError):
            return error_response(400, ["The provided next page token is invalid or expired."])
    page: list[tuple[tuple[Any, ...], Issue]] = []
    for entry in _ordered(state, query, after):
        page.append(entry)
        if len(page) > limit:
            break
    more = len(page) > limit
    page = page[:limit]
    body: dict[str, Any] = {
        "issues": [_search_issue(state, issue, wanted) for _, issue in page],
        "isLast": not more,
    }
    if more:
        cursor = {"q": digest, "after": list(page[-1][0])}
        body["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    return json_response(body)


def _search_issue(state: JiraState, issue: Issue, wanted: set[str] | None) -> dict[str, Any]:
    if wanted is not None and wanted <= {"id"}:
        return {"id": str(issue.id)}  # the enhanced search returns only ids by default
    return state.renderer.issue(issue, wanted)


def _ordered(
    state: JiraState, query: Query, after: tuple[Any, ...] | None
) -> Iterator[tuple[tuple[Any, ...], Issue]]:
    """Matching issues in the query's order, strictly after the ``after`` sort key."""
    if query.order_field == "updated" and query.keys is None and query.labels is None:
        yield from _scan_updated(state, query, after)
        return
    if query.keys is not None:
        candidates = [state.by_key[k] for k in query.keys if k in state.by_key]
    elif query.labels is not None:
        ids = set.union(*(state.by_label.get(label, set()) for label in query.labels))
        candidates = [state.issues[i] for i in ids]
    else:
        candidates = list(state.issues.values())
    keyed = sorted(
        ((_sort_key(query, i), i) for i in candidates if _matches(query, i)),
        key=lambda pair: pair[0],
        reverse=not query.ascending,
    )
    for sort_key, issue in keyed:
        if after is None or (sort_key > after if query.ascending else sort_key < after):
            yield sort_key, issue


def _scan_updated(
    state: JiraState, query: Query, after: tuple[Any, ...] | None
) -> Iterator[tuple[tuple[Any, ...], Issue]]:
    low, high = _bounds(query.ranges.get("updated", []))
    index = state.by_updated
    if query.ascending:
        start = bisect.bisect_right(index, after) if after else bisect.bisect_left(index, (low, -1))
        positions: Iterable[int] = range(start, len(index))
    else:
        end = (
            bisect.bisect_left(index, after)
            if after
            else bisect.bisect_right(index, (high, 1 << 62))
        )
        positions = range(end - 1, -1, -1)
    for position in positions:
        entry = index[position]
        if entry[0] > high and query.ascending or entry[0] < low and not query.ascending:
            return
        issue = state.issues[entry[1]]
        if _matches(query, issue):
            yield entry, issue


_ALL_FIELDS = frozenset(
    {
        "summary",
        "description",
        "issuetype",
        "status",
        "priority",
        "labels",
        "assignee",
        "reporter",
        "creator",
        "project",
        "created",
        "updated",
        "resolutiondate",
        "resolution",
        "statuscategorychangedate",
    }
)


def wanted_fields(fields: list[str]) -> set[str] | None:
    """The field names a request asks for: None for all; ``{"id"}`` when none are named."""
    names = {f.strip() for f in fields if f.strip()}
    if names & {"*all", "*navigable"}:
        wanted = set(_ALL_FIELDS)
    else:
        wanted = {n for n in names if not n.startswith("-")} or {"id"}
    return (
        None if wanted == set(_ALL_FIELDS) else wanted - {n[1:] for n in names if n.startswith("-")}
    )


def _matches(query: Query, issue: Issue) -> bool:
    return (
        (query.projects is None or issue.project.key in query.projects)
        and (query.keys is None or issue.key in query.keys)
        and (query.labels is None or not query.labels.isdisjoint(issue.labels))
        and in_range(millis(issue.updated), query.ranges.get("updated", []))
        and in_range(millis(issue.created), query.ranges.get("created", []))
    )


def _sort_key(query: Query, issue: Issue) -> tuple[Any, ...]:
    if query.order_field == "key":
        return (issue.project.key, issue.number)
    moment = issue.updated if query.order_field == "updated" else issue.created
    return (millis(moment), issue.id)


def _bounds(ranges: list[tuple[str, int]]) -> tuple[int, int]:
    low, high = -(1 << 62), 1 << 62
    for operator, bound in ranges:
        if operator in (">=", ">"):
            low = max(low, bound + (operator == ">"))
        else:
            high = min(high, bound - (operator == "<"))
    return low, high
