"""A fake Linear: real GraphQL executed with graphql-core against Linear's published schema.

Only the fields Switchyard reads have resolvers over the fake's state; every other field of the
schema resolves from plain values or null. Documents that do not validate against the schema
are refused as Linear refuses them (HTTP 400, GRAPHQL_VALIDATION_FAILED).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from graphql import GraphQLError, execute, parse, validate

from switchyard.fakes.base import FakeRequest, FakeResponse, FakeServer, Fault, json_response, route
from switchyard.fakes.linear.resolvers import LinearRoot
from switchyard.fakes.linear.schema import (
    error_body,
    invalid_input,
    iso,
    linear_schema,
    not_found,
    unsupported,
)
from switchyard.fakes.linear.state import (
    LABEL_COLOR,
    PRIORITY_LABELS,
    STATES,
    _Comment,
    _Issue,
    _Label,
    stable_id,
)
from switchyard.fakes.linear.webhooks import WebhookSender
from switchyard.fakes.linear.workspace import WORKSPACE, Workspace

DEFAULT_KEY = "lin_api_fake"
TITLES = [
    "Checkout fails for saved cards",
    "Search results empty for accented queries",
    "Refund email not sent",
    "Slow product page on mobile",
    "Inventory count off after import",
    "Password reset link expired",
    "Coupon applied twice",
    "Map pin in wrong city",
    "CSV export misses VAT column",
    "Dark mode contrast",
]
PEOPLE = ["Dana Developer", "Sam Support", "Lee Lead", "Kim Quality", "Alex Ops", "Robin Design"]
LABELS = ["Bug", "Customer", "Regression", "Feature", "Performance"]
TEAM_KEYS = ["ENG", "SUP", "OPS", "WEB", "MOB", "DAT"]


def _to_ms(moment: datetime) -> datetime:
    """Linear keeps milliseconds; so do the fake's times, which its cursors carry."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class FakeLinear(Workspace, WebhookSender, FakeServer):
    """Teams with workflow states, people, issues and comments, behind Linear's GraphQL API."""

    name: ClassVar[str] = "linear"

    def __init__(
        self, api_key: str = DEFAULT_KEY, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        FakeServer.__init__(self)
        WebhookSender.__init__(self)
        Workspace.__init__(self)
        self.api_key = api_key
        self.clock = clock or (lambda: datetime.now(UTC))
        self._numbers: dict[str, int] = defaultdict(int)
        self._last = datetime.min.replace(tzinfo=UTC)
        self.sync_id = 0
        self.viewer_id = self.add_user("Switchyard Bot", "bot@switchyard.example")

    # -- set-up and seeding ------------------------------------------------------------------

    def _now(self) -> datetime:
        """Now, strictly after the last change (so update times order every change)."""
        now = max(_to_ms(self.clock()), self._last + timedelta(milliseconds=1))
        self._last = now
        return now

    def add_user(self, name: str, email: str) -> str:
        """A member of the workspace; returns its id."""
        user_id = stable_id("user", email.lower())
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "displayName": name.split()[0].lower(),
            "email": email,
            "active": True,
            "url": f"https://linear.app/{WORKSPACE}/profiles/{name.split()[0].lower()}",
        }
        return user_id

    def add_team(self, key: str, name: str) -> str:
        """A team with Linear's default workflow states; returns its id."""
        team_id = stable_id("team", key)
        team = {"id": team_id, "key": key, "name": name}
        self.teams[team_id] = team
        for position, (state_name, state_type, color) in enumerate(STATES):
            state_id = stable_id("state", key, state_name)
            self.states[state_id] = {
                "id": state_id,
                "name": state_name,
                "type": state_type,
                "color": color,
                "position": float(position),
                "team": team,
            }
        return team_id

    def add_label(self, name: str, *, team_key: str | None = None) -> str:
        """A label of a team, or of the workspace when ``team_key`` is None; returns its id."""
        with self.lock:
            team_id = self.team_by_key(team_key)["id"] if team_key else None
            label_id = stable_id("label", team_id or "workspace", name)
            return self._new_label(name, team_id=team_id, label_id=label_id).id

    @classmethod
    def seeded(
        cls, *, issues: int = 50, projects: int = 2, seed: int = 1, **kwargs: Any
    ) -> FakeLinear:
        """A workspace of ``projects`` teams and ``issues`` issues, the same for the same seed."""
        fake = cls(**kwargs)
        rng = random.Random(seed)
        people = [fake.add_user(name, f"{name.split()[0].lower()}@acme.example") for name in PEOPLE]
        team_ids = [
            fake.add_team(
                TEAM_KEYS[n % len(TEAM_KEYS)] + (str(n // len(TEAM_KEYS)) if n >= 6 else ""),
                f"Team {n + 1}",
            )
            for n in range(max(1, projects))
        ]
        states = {
            team_id: {
                s["name"]: s["id"] for s in fake.states.values() if s["team"]["id"] == team_id
            }
            for team_id in team_ids
        }
        labels = {
            team_id: {
                name: fake.add_label(name, team_key=fake.teams[team_id]["key"]) for name in LABELS
            }
            for team_id in team_ids
        }
        now = _to_ms(fake.clock())
        for index in range(issues):
            team_id = team_ids[index % len(team_ids)]
            created = now - timedelta(seconds=rng.randrange(60 * 60 * 24 * 90))
            issue = fake._new_issue(
                team_id,
                title=rng.choice(TITLES),
                description="Reported by a customer.",
                priority=rng.randrange(0, 5),
                creator_id=rng.choice(people),
                assignee_id=rng.choice([None, *people]),
                created=created,
                updated=min(now, created + timedelta(seconds=rng.randrange(60 * 60 * 24 * 7))),
                state_id=states[team_id][rng.choice(["Backlog", "Todo", "In Progress", "Done"])],
                issue_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                label_ids=[
                    labels[team_id][name] for name in rng.sample(LABELS, rng.randrange(0, 3))
                ],
                bulk=True,
            )
            if rng.random() < 0.2:
                fake._new_comment(
                    issue, "Seen again today.", rng.choice(people), at=issue.updated_at, bulk=True
                )
        fake._index.seal()
        return fake

    def credentials_help(self) -> list[str]:
        """What to type into Switchyard's connection form."""
        teams = ", ".join(f"{t['key']} ({t['id']})" for t in self.teams.values()) or "(none)"
        return [
            f"API key: {self.api_key}  (sent as 'Authorization: {self.api_key}')",
            "base URL: the URL above, followed by /graphql",
            f"teams: {teams}",
        ]

    # -- people acting in Linear's UI (test-side mutators) -----------------------------------

    def create_issue_as_user(
        self,
        team_key: str,
        title: str,
        *,
        creator: str | None = None,
        description: str = "",
        priority: int = 3,
        state_name: str = "Todo",
    ) -> str:
        """Someone files an issue in Linear; returns its id (an Issue create webhook goes out)."""
        with self.lock:
            team_id = self.team_by_key(team_key)["id"]
            creator_id = self.user_by_email(creator)["id"] if creator else self.viewer_id
            now = self._now()
            issue = self._new_issue(
                team_id,
                title=title,
                description=description,
                priority=priority,
                creator_id=creator_id,
                created=now,
                updated=now,
                state_id=self.state_named(team_id, state_name)["id"],
            )
            self.emit(
                "Issue", "create", self._issue_webhook_data(issue), actor=self._actor(creator)
            )
            return issue.id

    def move_issue_to_state(self, issue_id: str, state_name: str, *, by: str | None = None) -> None:
        """Someone drags the issue to another state (e.g. Done)."""
        with self.lock:
            issue = self.issue(issue_id)
            state_id = self.state_named(issue.team_id, state_name)["id"]
            self._change(issue, {"stateId": state_id}, actor=self._actor(by))

    def assign(self, issue_id: str, email: str | None, *, by: str | None = None) -> None:
        """Someone assigns the issue (None unassigns)."""
        with self.lock:
            issue = self.issue(issue_id)
            assignee = self.user_by_email(email)["id"] if email else None
            self._change(issue, {"assigneeId": assignee}, actor=self._actor(by))

    def edit_issue(self, issue_id: str, *, by: str | None = None, **fields: Any) -> None:
        """Someone edits the issue: ``title``, ``description`` or ``priority``."""
        with self.lock:
            self._change(self.issue(issue_id), fields, actor=self._actor(by))

    def add_comment(self, issue_id: str, body: str, *, author: str | None = None) -> str:
        """Someone comments (``author`` None: the API key's own user); returns the comment id."""
        with self.lock:
            user_id = self.user_by_email(author)["id"] if author else self.viewer_id
            comment = self._new_comment(self.issue(issue_id), body, user_id, at=self._now())
            self.emit(
                "Comment",
                "create",
                self._comment_webhook_data(comment),
                actor=self._actor(author),
            )
            return comment.id

    # -- state changes -----------------------------------------------------------------------

    def _new_issue(
        self,
        team_id: str,
        *,
        title: str,
        description: str,
        priority: int,
        creator_id: str | None,
        created: datetime,
        updated: datetime,
        state_id: str,
        issue_id: str | None = None,
        assignee_id: str | None = None,
        label_ids: list[str] | None = None,
        bulk: bool = False,
    ) -> _Issue:
        self._numbers[team_id] += 1
        issue = _Issue(
            id=issue_id or str(uuid.uuid4()),
            team_id=team_id,
            number=self._numbers[team_id],
            title=title,
            description=description,
            priority=priority,
            state_id=state_id,
            creator_id=creator_id,
            assignee_id=assignee_id,
            created_at=created,
            updated_at=updated,
            label_ids=list(label_ids or []),
        )
        self._stamp_state(issue, updated)
        self.issues[issue.id] = issue
        self._by_identifier[self._identifier(issue)] = issue.id
        self._index.add(issue, bulk=bulk)
        return issue

    def _new_label(
        self,
        name: str,
        *,
        team_id: str | None,
        label_id: str | None = None,
        color: str = LABEL_COLOR,
    ) -> _Label:
        label = _Label(
            id=label_id or str(uuid.uuid4()),
            name=name,
            team_id=team_id,
            created_at=self._now(),
            color=color,
        )
        self.labels[label.id] = label
        return label

    def _stamp_state(self, issue: _Issue, when: datetime) -> None:
        """Set completedAt / canceledAt / startedAt as Linear does when the state type changes."""
        state_type = self.states[issue.state_id]["type"]
        issue.completed_at = (issue.completed_at or when) if state_type == "completed" else None
        issue.canceled_at = (issue.canceled_at or when) if state_type == "canceled" else None
        if state_type in ("started", "completed") and issue.started_at is None:
            issue.started_at = when

    def _touch(self, issue: _Issue, when: datetime) -> None:
        before, issue.updated_at = issue.updated_at, when
        self._index.moved(issue, before)

    def _change(
        self, issue: _Issue, fields: dict[str, Any], *, actor: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Apply issueUpdate-style ``fields``; emit the update webhook with ``updatedFrom``."""
        attributes = {
            "stateId": "state_id",
            "assigneeId": "assignee_id",
            "title": "title",
            "description": "description",
            "priority": "priority",
        }
        unknown = set(fields) - set(attributes)
        if unknown:
            raise unsupported(f"updating {', '.join(sorted(unknown))}")
        if "stateId" in fields and fields["stateId"] not in self.states:
            raise not_found("WorkflowState")
        if "stateId" in fields and self.states[fields["stateId"]]["team"]["id"] != issue.team_id:
            raise invalid_input("The workflow state does not belong to the issue's team.")
        if fields.get("assigneeId") is not None and fields["assigneeId"] not in self.users:
            raise not_found("User")
        if "priority" in fields and fields["priority"] not in PRIORITY_LABELS:
            raise invalid_input("priority must be between 0 and 4")
        before = {
            "updatedAt": iso(issue.updated_at),
            "completedAt": issue.completed_at,
            "canceledAt": issue.canceled_at,
        }
        updated_from: dict[str, Any] = {}
        for name, value in fields.items():
            if getattr(issue, attributes[name]) != value:
                updated_from[name] = getattr(issue, attributes[name])
                setattr(issue, attributes[name], value)
        now = self._now()
        self._touch(issue, now)
        if "stateId" in updated_from:
            self._stamp_state(issue, now)
            for name in ("completedAt", "canceledAt"):
                value = before[name]
                if value != getattr(issue, name.replace("At", "_at")):
                    updated_from[name] = iso(value) if value else None
        updated_from["updatedAt"] = before["updatedAt"]
        self.emit("Issue", "update", self._issue_webhook_data(issue), updated_from, actor=actor)
        return updated_from

    def _new_comment(
        self,
        issue: _Issue,
        body: str,
        user_id: str,
        *,
        at: datetime,
        comment_id: str | None = None,
        bulk: bool = False,
    ) -> _Comment:
        comment = _Comment(
            id=comment_id or str(uuid.uuid4()),
            issue_id=issue.id,
            body=body,
            user_id=user_id,
            created_at=at,
            updated_at=at,
        )
        self.comments[comment.id] = comment
        self._comment_ids[issue.id].append(comment.id)
        if not bulk:
            self._touch(issue, at)
        return comment

    # -- webhooks built on demand -------------------------------------------------------------

    def issue_webhook(
        self, issue_id: str, *, action: str = "update", secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A signed Issue delivery for an issue as it is now (built, not sent)."""
        with self.lock:
            data = self._issue_webhook_data(self.issue(issue_id))
            updated_from = {"updatedAt": data["updatedAt"]} if action == "update" else None
        return self.build_webhook("Issue", action, data, updated_from, secret=secret)

    def comment_webhook(
        self, comment_id: str, *, secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A signed Comment create delivery (built, not sent)."""
        with self.lock:
            data = self._comment_webhook_data(self.comments[comment_id])
        return self.build_webhook("Comment", "create", data, secret=secret)

    # -- HTTP ----------------------------------------------------------------------------------

    def authenticate(self, request: FakeRequest) -> bool:
        return request.headers.get("Authorization") == self.api_key

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        return json_response(
            {
                "errors": [
                    error_body(
                        "Authentication required, not authenticated",
                        kind="authentication error",
                        code="AUTHENTICATION_ERROR",
                        user_message="You need to authenticate to access this operation.",
                    )
                ]
            },
            401,
        )

    def rate_limited_body(self) -> Any:
        return {
            "errors": [
                error_body(
                    "Rate limit exceeded",
                    kind="ratelimited",
                    code="RATELIMITED",
                    user_message="Too many requests, please try again later.",
                )
            ]
        }

    def server_error_body(self, status: int) -> Any:
        return {
            "errors": [
                error_body(
                    "Internal server error", kind="internal error", code="INTERNAL_SERVER_ERROR"
                )
            ]
        }

    def rate_limit_next(
        self,
        retry_after: float = 1,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        status: int = 400,
        body: str | None = None,
    ) -> None:
        """Refuse the next requests as Linear's rate limiter does.

        Linear answers HTTP 400 with code RATELIMITED and the budget's reset time (epoch
        milliseconds) in ``X-RateLimit-Requests-Reset``; ``status=429`` answers with that
        status and a ``Retry-After`` as well.
        """
        reset = str(int((time.time() + retry_after) * 1000))
        headers = {
            "Content-Type": "application/json",
            "X-RateLimit-Requests-Limit": "1500",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": reset,
        }
        if status == 429:
            headers["Retry-After"] = f"{retry_after:g}"
        payload = json.dumps(self.rate_limited_body()).encode()
        self._add_fault(
            Fault(
                "status",
                times,
                status,
                headers,
                payload,
                method=method,
                path_pattern=path,
                body_pattern=body,
            )
        )

    @route("POST", r"/graphql/?|/")
    def graphql_endpoint(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
            document, variables = body["query"], body.get("variables") or {}
            if not isinstance(document, str) or not isinstance(variables, dict):
                raise TypeError("query must be text, variables an object")
        except (ValueError, KeyError, TypeError):
            return _graphql_failure("Must provide query string.", "BAD_USER_INPUT", "invalid input")
        try:
            parsed = parse(document)
        except GraphQLError as error:
            return _graphql_failure(error.message, "GRAPHQL_PARSE_FAILED", "graphql error")
        invalid = validate(linear_schema(), parsed)
        if invalid:
            return _graphql_failures(invalid, "GRAPHQL_VALIDATION_FAILED", "graphql error")
        result = execute(
            linear_schema(),
            parsed,
            root_value=LinearRoot(self),
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        if result.errors and result.data is None and not any(e.path for e in result.errors):
            # Variables that do not fit their types fail before any field runs.
            return _graphql_failures(result.errors, "BAD_USER_INPUT", "invalid input")
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_formatted(error) for error in result.errors]
        return json_response(answer)


def _formatted(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    if not formatted.get("extensions"):
        # An error no resolver raised on purpose: a bug in the fake, reported as Linear would.
        formatted["extensions"] = error_body(
            error.message, kind="internal error", code="INTERNAL_SERVER_ERROR"
        )["extensions"]
    return formatted


def _graphql_failure(message: str, code: str, kind: str) -> FakeResponse:
    return json_response({"errors": [error_body(message, kind=kind, code=code)]}, 400)


def _graphql_failures(errors: list[GraphQLError], code: str, kind: str) -> FakeResponse:
    bodies = [
        {
            **error.formatted,
            "extensions": error_body(error.message, kind=kind, code=code)["extensions"],
        }
        for error in errors
    ]
    return json_response({"errors": bodies}, 400)
