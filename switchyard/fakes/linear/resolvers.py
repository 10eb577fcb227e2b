"""The fake Linear's GraphQL root: resolvers for the Query and Mutation fields Switchyard uses.

graphql-core's default resolver calls a root attribute with the field's arguments as keywords,
so methods are named after the schema's fields and take its argument names (``filter``, ``id``,
``input``, ``orderBy``). Arguments the fake does not implement are refused, never ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from switchyard.fakes.linear.schema import (
    duplicate_label,
    invalid_input,
    iso,
    keyset_connection,
    not_found,
    offset_connection,
    parse_iso,
    refuse,
    unsupported,
)
from switchyard.fakes.linear.state import LABEL_COLOR, PRIORITY_LABELS, Key, _Issue, _Label

if TYPE_CHECKING:
    from switchyard.fakes.linear.server import FakeLinear

ISSUE_CREATE_FIELDS = frozenset(
    {"id", "teamId", "title", "description", "priority", "stateId", "assigneeId", "labelIds"}
)


class LinearRoot:
    """The root value of one request: Query and Mutation fields over a FakeLinear's state."""

    def __init__(self, fake: FakeLinear) -> None:
        self.fake = fake

    def _find_issue(self, key: str) -> _Issue:
        try:
            return self.fake.issue(key)
        except KeyError:
            raise not_found("Issue") from None

    def viewer(self, info: Any) -> dict[str, Any]:
        return self.fake.users[self.fake.viewer_id]

    def teams(
        self, info: Any, first: int | None = None, after: str | None = None, **rest: Any
    ) -> dict[str, Any]:
        refuse(rest, "teams")
        return offset_connection(
            sorted(self.fake.teams.values(), key=lambda t: t["key"]), first, after
        )

    def workflowStates(
        self,
        info: Any,
        filter: dict | None = None,
        first: int | None = None,
        after: str | None = None,
        **rest: Any,
    ) -> dict[str, Any]:
        refuse(rest, "workflowStates")
        state_filter = dict(filter or {})
        team_id = _team_filter(state_filter, "workflowStates")
        if state_filter:
            raise unsupported(f"workflowStates filter {sorted(state_filter)}")
        states = [
            s for s in self.fake.states.values() if team_id is None or s["team"]["id"] == team_id
        ]
        states.sort(key=lambda s: (s["team"]["key"], s["position"]))
        return offset_connection(states, first, after)

    def issues(
        self,
        info: Any,
        filter: dict | None = None,
        first: int | None = None,
        after: str | None = None,
        orderBy: str | None = None,
        sort: list[dict] | None = None,
        **rest: Any,
    ) -> dict[str, Any]:
        refuse(rest, "issues")
        issue_filter = dict(filter or {})
        team_id = _team_filter(issue_filter, "issues")
        updated = issue_filter.pop("updatedAt", None) or {}
        if set(issue_filter) or set(updated) - {"gte", "gt", "lte", "lt"}:
            raise unsupported(f"issues filter {sorted(set(issue_filter) | set(updated))}")
        keys = self._issue_order(orderBy, sort, team_id, paging=after is not None)
        by_update = keys is self.fake._index.by_update[team_id]
        lowest: Key | None = None
        if by_update and ("gte" in updated or "gt" in updated):
            bound = parse_iso(updated.get("gte") or updated["gt"])
            lowest = (bound, "" if "gte" in updated else "\uffff")
        keep = _time_window(updated, lambda key: self.fake.issues[key[1]].updated_at)
        return keyset_connection(
            keys,
            lambda key: self.fake._issue_json(self.fake.issues[key[1]]),
            first=first,
            after=after,
            lowest=lowest,
            keep=keep,
            key_of_cursor=lambda cursor: (parse_iso(cursor[0]), cursor[1]),
            cursor_of_key=lambda key: [iso(key[0]), key[1]],
        )

    def _issue_order(
        self, order_by: str | None, sort: list[dict] | None, team_id: str | None, *, paging: bool
    ) -> list[Key]:
        if sort:
            order = sort[0].get("updatedAt", {}).get("order", "Ascending")
            # Newest first is served for a first page only (what "recent issues" asks for).
            descending_page = order == "Descending" and paging
            if (
                len(sort) != 1
                or set(sort[0]) != {"updatedAt"}
                or descending_page
                or order
                not in (
                    "Ascending",
                    "Descending",
                )
            ):
                raise unsupported(f"issues sort {sort}")
            keys = self.fake._index.by_update[team_id]
            return keys if order == "Ascending" else keys[::-1]
        return (
            self.fake._index.by_update if order_by == "updatedAt" else self.fake._index.by_creation
        )[team_id]

    def issue(self, info: Any, id: str) -> dict[str, Any]:
        return self.fake._issue_json(self._find_issue(id))

    def comment(self, info: Any, id: str | None = None, **rest: Any) -> dict[str, Any]:
        refuse(rest, "comment")
        comment = self.fake.comments.get(id or "")
        if comment is None:
            raise not_found("Comment")
        return self.fake._comment_json(comment)

    def users(
        self,
        info: Any,
        filter: dict | None = None,
        first: int | None = None,
        after: str | None = None,
        **rest: Any,
    ) -> dict[str, Any]:
        refuse(rest, "users")
        email = (filter or {}).get("email") or {}
        if set(filter or {}) - {"email"} or set(email) - {"eq", "eqIgnoreCase"}:
            raise unsupported(f"users filter {filter}")
        found = list(self.fake.users.values())
        if "eq" in email:
            found = [u for u in found if u["email"] == email["eq"]]
        if "eqIgnoreCase" in email:
            found = [u for u in found if u["email"].lower() == email["eqIgnoreCase"].lower()]
        return offset_connection(found, first, after)

    def issueLabels(
        self,
        info: Any,
        filter: dict | None = None,
        first: int | None = None,
        after: str | None = None,
        **rest: Any,
    ) -> dict[str, Any]:
        refuse(rest, "issueLabels")
        matches = _filter_test(filter or {}, LABEL_FIELDS, "issueLabels")
        found = sorted(
            (label for label in self.fake.labels.values() if matches(label)),
            key=lambda label: (label.created_at, label.id),
        )
        return offset_connection([self.fake._label_json(label) for label in found], first, after)

    def _mutation_payload(self, **entity: Any) -> dict[str, Any]:
        self.fake.sync_id += 1
        return {"success": True, "lastSyncId": float(self.fake.sync_id), **entity}

    def issueCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        refuse(
            {k: v for k, v in input.items() if k not in ISSUE_CREATE_FIELDS}, "issueCreate input"
        )
        if input.get("id") is not None:
            _check_uuid(input["id"])
            if input["id"] in self.fake.issues:
                raise invalid_input("Entity already exists: an issue with this id exists.")
        if input["teamId"] not in self.fake.teams:
            raise not_found("Team")
        state_id = input.get("stateId") or self._default_state(input["teamId"])
        if state_id not in self.fake.states:
            raise not_found("WorkflowState")
        if input.get("assigneeId") is not None and input["assigneeId"] not in self.fake.users:
            raise not_found("User")
        if input.get("priority", 0) not in PRIORITY_LABELS:
            raise invalid_input("priority must be between 0 and 4")
        label_ids = self._labels_for(input["teamId"], input.get("labelIds") or [])
        now = self.fake._now()
        issue = self.fake._new_issue(
            input["teamId"],
            title=input.get("title") or "",
            description=input.get("description") or "",
            priority=int(input.get("priority") or 0),
            creator_id=self.fake.viewer_id,
            created=now,
            updated=now,
            state_id=state_id,
            issue_id=input.get("id"),
            assignee_id=input.get("assigneeId"),
            label_ids=label_ids,
        )
        self.fake.emit(
            "Issue", "create", self.fake._issue_webhook_data(issue), actor=self.fake._actor(None)
        )
        return self._mutation_payload(issue=self.fake._issue_json(issue))

    def _labels_for(self, team_id: str, label_ids: list[str]) -> list[str]:
        """The labels an issue of the team may carry: the team's own and the workspace's."""
        for label_id in label_ids:
            label = self.fake.labels.get(label_id)
            if label is None:
                raise not_found("IssueLabel")
            if label.team_id not in (None, team_id):
                raise invalid_input("Label does not belong to the issue's team.")
        return list(dict.fromkeys(label_ids))

    def _default_state(self, team_id: str) -> str:
        """Linear files new API issues in the team's first unstarted state (Todo)."""
        unstarted = [
            s
            for s in self.fake.states.values()
            if s["team"]["id"] == team_id and s["type"] in ("unstarted", "backlog")
        ]
        unstarted.sort(key=lambda s: (s["type"] != "unstarted", s["position"]))
        return unstarted[0]["id"] if unstarted else ""

    def issueUpdate(self, info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._find_issue(id)
        self.fake._change(issue, dict(input), actor=self.fake._actor(None))
        return self._mutation_payload(issue=self.fake._issue_json(issue))

    def issueLabelCreate(self, info: Any, input: dict[str, Any], **rest: Any) -> dict[str, Any]:
        refuse(rest, "issueLabelCreate")
        fields = dict(input)
        label_id = fields.pop("id", None)
        name = fields.pop("name")
        team_id = fields.pop("teamId", None)
        color = fields.pop("color", None) or LABEL_COLOR
        refuse(fields, "issueLabelCreate input")
        self._check_new_label(label_id, name, team_id)
        label = self.fake._new_label(name, team_id=team_id, label_id=label_id, color=color)
        return self._mutation_payload(issueLabel=self.fake._label_json(label))

    def _check_new_label(self, label_id: str | None, name: str, team_id: str | None) -> None:
        if label_id is not None:
            _check_uuid(label_id)
            if label_id in self.fake.labels:
                raise invalid_input("Entity already exists: a label with this id exists.")
        if team_id is not None and team_id not in self.fake.teams:
            raise not_found("Team")
        if not name.strip():
            raise invalid_input("name must not be empty")
        if self.fake.label_clashing(name, team_id) is not None:
            raise duplicate_label()

    def commentCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        if input.get("id") is not None:
            _check_uuid(input["id"])
            if input["id"] in self.fake.comments:
                raise invalid_input("Entity already exists: a comment with this id exists.")
        if not input.get("issueId"):
            raise unsupported("comments on anything but issues")
        issue = self._find_issue(input["issueId"])
        comment = self.fake._new_comment(
            issue,
            input.get("body") or "",
            self.fake.viewer_id,
            at=self.fake._now(),
            comment_id=input.get("id"),
        )
        self.fake.emit(
            "Comment",
            "create",
            self.fake._comment_webhook_data(comment),
            actor=self.fake._actor(None),
        )
        return self._mutation_payload(comment=self.fake._comment_json(comment))


def _filter_test(
    spec: Mapping[str, Any], fields: Mapping[str, Callable[[Any], Callable[[Any], bool]]], what: str
) -> Callable[[Any], bool]:
    """A row test from a Linear filter object: nested ``and`` / ``or`` lists plus ``fields``.

    ``fields`` maps a filter key to a builder that takes the key's value (a comparator or a
    nested filter) and returns the test of a row. Keys without a builder are refused.
    """
    tests: list[Callable[[Any], bool]] = []
    for key, value in spec.items():
        if value is None:
            continue
        if key in ("and", "or"):
            parts = [_filter_test(part, fields, what) for part in value]
            combine = all if key == "and" else any
            tests.append(lambda row, parts=parts, combine=combine: combine(p(row) for p in parts))
        elif key in fields:
            tests.append(fields[key](value))
        else:
            raise unsupported(f"{what} filter {key}")
    return lambda row: all(test(row) for test in tests)


def _compare(comparator: Mapping[str, Any]) -> Callable[[str | None], bool]:
    """The test of a ``StringComparator`` / ``IDComparator`` (eq, eqIgnoreCase, in)."""
    checks: dict[str, Callable[[str | None, Any], bool]] = {
        "eq": lambda value, wanted: value == wanted,
        "eqIgnoreCase": lambda value, wanted: (value or "").lower() == wanted.lower(),
        "in": lambda value, wanted: value in wanted,
    }
    given = {op: wanted for op, wanted in comparator.items() if wanted is not None}
    if set(given) - set(checks):
        raise unsupported(f"comparator {sorted(set(given) - set(checks))}")
    return lambda value: all(checks[op](value, wanted) for op, wanted in given.items())


def _label_attribute(attribute: str, test: Callable[[Any], bool]) -> Callable[[_Label], bool]:
    return lambda label: test(getattr(label, attribute))


# A label's team is its team id, None for a workspace label (``null: true``).
TEAM_FIELDS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "id": _compare,
    "null": lambda flag: lambda team_id: (team_id is None) is flag,
}
LABEL_FIELDS: dict[str, Callable[[Any], Callable[[Any], bool]]] = {
    "name": lambda comparator: _label_attribute("name", _compare(comparator)),
    "team": lambda spec: _label_attribute("team_id", _filter_test(spec, TEAM_FIELDS, "team")),
}


def _team_filter(filters: dict[str, Any], field: str) -> str | None:
    """The team id of a ``{team: {id: {eq: ...}}}`` filter (popped from ``filters``)."""
    team = filters.pop("team", None)
    if team is None:
        return None
    if set(team) != {"id"} or set(team["id"]) != {"eq"}:
        raise unsupported(f"{field} team filter {team}")
    return team["id"]["eq"]


def _time_window(
    bounds: dict[str, str], moment: Callable[[Key], datetime]
) -> Callable[[Key], bool] | None:
    if not bounds:
        return None
    limits = {op: parse_iso(value) for op, value in bounds.items()}
    checks = {
        "gte": lambda a, b: a >= b,
        "gt": lambda a, b: a > b,
        "lte": lambda a, b: a <= b,
        "lt": lambda a, b: a < b,
    }
    return lambda key: all(checks[op](moment(key), limit) for op, limit in limits.items())


def _check_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid_input("id must be a UUID") from None
