"""A fake Linear: real GraphQL executed with graphql-core against Linear's published schema.

Only the fields Switchyard reads have resolvers over the fake's state; every other field of the
schema resolves to null. Documents that do not validate against the schema are refused as Linear
refuses them (HTTP 400, GRAPHQL_VALIDATION_FAILED).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

from switchyard.fakes.base import FakeRequest, FakeResponse, FakeServer, Fault, json_response, route
from switchyard.fakes.conformance import spec_path

DEFAULT_KEY = "lin_api_fake"
STATES = [  # name, type, position
    ("Triage", "triage", 0),
    ("Backlog", "backlog", 1),
    ("Todo", "unstarted", 2),
    ("In Progress", "started", 3),
    ("In Review", "started", 4),
    ("Done", "completed", 5),
    ("Canceled", "canceled", 6),
    ("Duplicate", "canceled", 7),
]
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


@functools.cache
def linear_schema() -> GraphQLSchema:
    """Linear's schema, built once per process (1.2 MB of SDL)."""
    return build_schema(spec_path("linear").read_text())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(message: str, code: str, kind: str) -> dict:
    return {
        "message": message,
        "extensions": {"type": kind, "code": code, "userPresentableMessage": message},
    }


class LinearInputError(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            extensions={
                "type": "invalid input",
                "code": "INVALID_INPUT",
                "userPresentableMessage": message,
            },
        )


@dataclass
class _Issue:
    id: str
    team_id: str
    number: int
    title: str
    description: str
    priority: int
    state_id: str
    creator_id: str | None
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    completed_at: datetime | None = None
    canceled_at: datetime | None = None


@dataclass
class _Comment:
    id: str
    issue_id: str
    body: str
    user_id: str
    created_at: datetime


def _connection(nodes: list, first: int | None, after: str | None) -> dict:
    start = int(base64.b64decode(after).decode()) if after else 0
    size = max(1, min(first or 50, 250))
    page = nodes[start : start + size]
    end = start + len(page)
    return {
        "nodes": page,
        "pageInfo": {
            "hasNextPage": end < len(nodes),
            "hasPreviousPage": start > 0,
            "startCursor": base64.b64encode(str(start).encode()).decode(),
            "endCursor": base64.b64encode(str(end).encode()).decode() if page else None,
        },
    }


class FakeLinear(FakeServer):
    """Teams with workflow states, people, issues and comments, behind Linear's GraphQL API."""

    name: ClassVar[str] = "linear"

    def __init__(self, api_key: str = DEFAULT_KEY, *, clock=None) -> None:
        super().__init__()
        self.api_key = api_key
        self.clock = clock or (lambda: datetime.now(UTC))
        self.users: dict[str, dict] = {}
        self.teams: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self.issues: dict[str, _Issue] = {}
        self.comments: dict[str, _Comment] = {}
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self.sent_webhooks: list[tuple[dict[str, str], bytes]] = []
        self.webhook_errors: list[str] = []
        self._last = datetime.min.replace(tzinfo=UTC)
        self.viewer_id = self.add_user("Switchyard Bot", "bot@switchyard.example")

    # -- set-up and seeding ------------------------------------------------------------------

    def _now(self) -> datetime:
        now = max(self.clock(), self._last + timedelta(milliseconds=1))
        self._last = now
        return now

    def add_user(self, name: str, email: str) -> str:
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{email}"))
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "displayName": name.split()[0].lower(),
            "email": email,
        }
        return user_id

    def add_team(self, key: str, name: str) -> str:
        team_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"team:{key}"))
        team = {"id": team_id, "key": key, "name": name}
        self.teams[team_id] = team
        for state_name, state_type, position in STATES:
            state_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"state:{key}:{state_name}"))
            self.states[state_id] = {
                "id": state_id,
                "name": state_name,
                "type": state_type,
                "position": float(position),
                "team": team,
            }
        return team_id

    @classmethod
    def seeded(
        cls, *, issues: int = 50, projects: int = 2, seed: int = 1, **kwargs: Any
    ) -> FakeLinear:
        fake = cls(**kwargs)
        rng = random.Random(seed)
        people = [
            fake.add_user(name, f"{name.split()[0].lower()}@acme.example")
            for name in ("Dana Developer", "Sam Support", "Lee Lead")
        ]
        keys = ["ENG", "SUP", "OPS", "WEB", "MOB", "DAT"]
        team_ids = [
            fake.add_team(
                keys[n % len(keys)] + (str(n // len(keys)) if n >= len(keys) else ""),
                f"Team {n + 1}",
            )
            for n in range(max(1, projects))
        ]
        now = fake.clock()
        for index in range(issues):
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
            fake._new_issue(
                team_ids[index % len(team_ids)],
                title=rng.choice(TITLES),
                description="Reported by a customer.",
                priority=rng.randrange(0, 5),
                creator_id=rng.choice(people),
                created=created,
                updated=created + timedelta(minutes=rng.randrange(600)),
                state_name=rng.choice(["Backlog", "Todo", "In Progress", "Done"]),
            )
        return fake

    def credentials_help(self) -> list[str]:
        teams = ", ".join(f"{t['key']} ({t['id']})" for t in self.teams.values()) or "(none)"
        return [
            f"API key: {self.api_key}  (sent as 'Authorization: {self.api_key}')",
            "base URL: the URL above, followed by /graphql",
            f"teams: {teams}",
        ]

    def team_by_key(self, key: str) -> dict:
        return next(team for team in self.teams.values() if team["key"] == key)

    def state_named(self, team_id: str, name: str) -> dict:
        return next(
            s for s in self.states.values() if s["team"]["id"] == team_id and s["name"] == name
        )

    def user_by_email(self, email: str) -> dict:
        return next(user for user in self.users.values() if user["email"].lower() == email.lower())

    # -- people acting in Linear's UI (test-side mutators) -----------------------------------

    def create_issue_as_user(
        self,
        team_key: str,
        title: str,
        *,
        creator: str | None = None,
        description: str = "",
        priority: int = 3,
    ) -> str:
        with self.lock:
            team_id = self.team_by_key(team_key)["id"]
            creator_id = self.user_by_email(creator)["id"] if creator else None
            now = self._now()
            issue = self._new_issue(
                team_id,
                title=title,
                description=description,
                priority=priority,
                creator_id=creator_id,
                created=now,
                updated=now,
                state_name="Todo",
            )
            self._emit("Issue", "create", self._issue_json(issue))
            return issue.id

    def move_issue_to_state(self, issue_id: str, state_name: str, *, by: str | None = None) -> None:
        with self.lock:
            issue = self.issues[issue_id]
            before = issue.state_id
            self._set_state(issue, self.state_named(issue.team_id, state_name)["id"])
            issue.updated_at = self._now()
            self._emit("Issue", "update", self._issue_json(issue), {"stateId": before})

    def assign(self, issue_id: str, email: str | None, *, by: str | None = None) -> None:
        with self.lock:
            issue = self.issues[issue_id]
            before = issue.assignee_id
            issue.assignee_id = self.user_by_email(email)["id"] if email else None
            issue.updated_at = self._now()
            self._emit("Issue", "update", self._issue_json(issue), {"assigneeId": before})

    def add_comment(self, issue_id: str, body: str, *, author: str | None = None) -> str:
        with self.lock:
            user_id = self.user_by_email(author)["id"] if author else self.viewer_id
            comment = self._new_comment(issue_id, body, user_id)
            self._emit("Comment", "create", self._comment_webhook_json(comment))
            return comment.id

    # -- state changes -------------------------------------------------------------------

    def _identifier(self, issue: _Issue) -> str:
        return f"{self.teams[issue.team_id]['key']}-{issue.number}"

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
        state_name: str,
        issue_id: str | None = None,
        assignee_id: str | None = None,
    ) -> _Issue:
        number = 1 + sum(1 for i in self.issues.values() if i.team_id == team_id)
        issue = _Issue(
            id=issue_id or str(uuid.uuid4()),
            team_id=team_id,
            number=number,
            title=title,
            description=description,
            priority=priority,
            state_id="",
            creator_id=creator_id,
            assignee_id=assignee_id,
            created_at=created,
            updated_at=updated,
        )
        self._set_state(issue, self.state_named(team_id, state_name)["id"])
        self.issues[issue.id] = issue
        return issue

    def _set_state(self, issue: _Issue, state_id: str) -> None:
        state_type = self.states[state_id]["type"]
        issue.state_id = state_id
        now = issue.updated_at
        issue.completed_at = (issue.completed_at or now) if state_type == "completed" else None
        issue.canceled_at = (issue.canceled_at or now) if state_type == "canceled" else None

    def _new_comment(
        self, issue_id: str, body: str, user_id: str, comment_id: str | None = None
    ) -> _Comment:
        comment = _Comment(
            id=comment_id or str(uuid.uuid4()),
            issue_id=issue_id,
            body=body,
            user_id=user_id,
            created_at=self._now(),
        )
        self.comments[comment.id] = comment
        self.issues[issue_id].updated_at = comment.created_at
        return comment

    # -- rendering -------------------------------------------------------------------------

    def _issue_json(self, issue: _Issue) -> dict:
        return {
            "id": issue.id,
            "identifier": self._identifier(issue),
            "url": f"https://linear.app/acme/issue/{self._identifier(issue)}/",
            "title": issue.title,
            "description": issue.description,
            "priority": issue.priority,
            "state": self.states[issue.state_id],
            "team": self.teams[issue.team_id],
            "assignee": self.users.get(issue.assignee_id or ""),
            "creator": self.users.get(issue.creator_id or ""),
            "labels": {"nodes": [{"name": name} for name in issue.labels]},
            "createdAt": _iso(issue.created_at),
            "updatedAt": _iso(issue.updated_at),
            "completedAt": _iso(issue.completed_at) if issue.completed_at else None,
            "canceledAt": _iso(issue.canceled_at) if issue.canceled_at else None,
            "comments": lambda info, first=None, after=None, **_: _connection(
                [self._comment_json(c) for c in self.comments.values() if c.issue_id == issue.id],
                first,
                after,
            ),
        }

    def _comment_json(self, comment: _Comment) -> dict:
        return {
            "id": comment.id,
            "body": comment.body,
            "createdAt": _iso(comment.created_at),
            "user": self.users.get(comment.user_id),
            "issue": {"id": comment.issue_id},
        }

    def _comment_webhook_json(self, comment: _Comment) -> dict:
        return {
            "id": comment.id,
            "body": comment.body,
            "issueId": comment.issue_id,
            "userId": comment.user_id,
            "user": self.users.get(comment.user_id),
            "createdAt": _iso(comment.created_at),
        }

    # -- GraphQL root ------------------------------------------------------------------------

    def _find_issue(self, key: str) -> _Issue:
        issue = self.issues.get(key) or next(
            (i for i in self.issues.values() if self._identifier(i) == key), None
        )
        if issue is None:
            raise LinearInputError("Entity not found: Issue")
        return issue

    def q_viewer(self, info) -> dict:
        return self.users[self.viewer_id]

    def q_teams(self, info, first=None, after=None, **_) -> dict:
        return _connection(sorted(self.teams.values(), key=lambda t: t["key"]), first, after)

    def q_workflow_states(self, info, filter=None, first=None, after=None, **_) -> dict:  # noqa: A002
        team_id = ((filter or {}).get("team") or {}).get("id", {}).get("eq")
        states = [s for s in self.states.values() if team_id is None or s["team"]["id"] == team_id]
        return _connection(
            sorted(states, key=lambda s: (s["team"]["key"], s["position"])), first, after
        )

    def q_issues(self, info, filter=None, first=None, after=None, **_) -> dict:  # noqa: A002
        team_id = ((filter or {}).get("team") or {}).get("id", {}).get("eq")
        since = ((filter or {}).get("updatedAt") or {}).get("gte")
        since_at = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        chosen = [
            i
            for i in self.issues.values()
            if (team_id is None or i.team_id == team_id)
            and (since_at is None or i.updated_at >= since_at)
        ]
        chosen.sort(key=lambda i: (i.updated_at, i.id))
        return _connection([self._issue_json(i) for i in chosen], first, after)

    def q_issue(self, info, id) -> dict:  # noqa: A002 (the schema's argument name)
        return self._issue_json(self._find_issue(id))

    def q_users(self, info, filter=None, first=None, **_) -> dict:  # noqa: A002
        email = ((filter or {}).get("email") or {}).get("eq")
        found = [
            u for u in self.users.values() if email is None or u["email"].lower() == email.lower()
        ]
        return _connection(found, first, None)

    def m_issue_create(self, info, input) -> dict:  # noqa: A002 (the schema's argument name)
        if input.get("id") in self.issues:
            raise LinearInputError("Entity already exists: an issue with this id exists.")
        if input["teamId"] not in self.teams:
            raise LinearInputError("Entity not found: Team")
        now = self._now()
        state_name = (
            self.states[input["stateId"]]["name"] if input.get("stateId") in self.states else "Todo"
        )
        issue = self._new_issue(
            input["teamId"],
            title=input.get("title") or "",
            description=input.get("description") or "",
            priority=int(input.get("priority") or 0),
            creator_id=self.viewer_id,
            created=now,
            updated=now,
            state_name=state_name,
            issue_id=input.get("id"),
            assignee_id=input.get("assigneeId"),
        )
        self._emit("Issue", "create", self._issue_json(issue))
        return {
            "success": True,
            "lastSyncId": float(len(self.issues)),
            "issue": self._issue_json(issue),
        }

    def m_issue_update(self, info, id, input) -> dict:  # noqa: A002 (the schema's argument names)
        issue = self._find_issue(id)
        before: dict[str, Any] = {}
        issue.updated_at = self._now()
        if "stateId" in input:
            if input["stateId"] not in self.states:
                raise LinearInputError("Entity not found: WorkflowState")
            before["stateId"] = issue.state_id
            self._set_state(issue, input["stateId"])
        for name, attribute in (
            ("title", "title"),
            ("description", "description"),
            ("priority", "priority"),
            ("assigneeId", "assignee_id"),
        ):
            if name in input:
                before[name] = getattr(issue, attribute)
                setattr(issue, attribute, input[name])
        self._emit("Issue", "update", self._issue_json(issue), before)
        return {"success": True, "lastSyncId": 1.0, "issue": self._issue_json(issue)}

    def m_comment_create(self, info, input) -> dict:  # noqa: A002 (the schema's argument name)
        if input.get("id") in self.comments:
            raise LinearInputError("Entity already exists: a comment with this id exists.")
        self._find_issue(input.get("issueId") or "")
        comment = self._new_comment(
            input["issueId"], input.get("body") or "", self.viewer_id, input.get("id")
        )
        self._emit("Comment", "create", self._comment_webhook_json(comment))
        return {"success": True, "lastSyncId": 1.0, "comment": self._comment_json(comment)}

    # -- HTTP --------------------------------------------------------------------------------

    def authenticate(self, request: FakeRequest) -> bool:
        return request.headers.get("Authorization") == self.api_key

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        return json_response(
            {
                "errors": [
                    _error(
                        "Authentication required, not authenticated",
                        "AUTHENTICATION_ERROR",
                        "authentication error",
                    )
                ]
            },
            400,
        )

    def rate_limited_body(self) -> Any:
        return {"errors": [_error("Rate limit exceeded", "RATELIMITED", "ratelimited")]}

    def rate_limit_next(
        self,
        retry_after: float = 1,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Linear answers a rate limit with HTTP 400, code RATELIMITED and a reset time in ms."""
        reset = str(int((time.time() + retry_after) * 1000))
        headers = {"Content-Type": "application/json", "X-RateLimit-Requests-Reset": reset}
        self._add_fault(
            Fault(
                "status",
                times,
                400,
                headers,
                json.dumps(self.rate_limited_body()).encode(),
                method=method,
                path_pattern=path,
            )
        )

    @route("POST", r"/graphql/?|/")
    def graphql_endpoint(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
            document, variables = body["query"], body.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return json_response(
                {
                    "errors": [
                        _error("Must provide query string.", "BAD_USER_INPUT", "invalid input")
                    ]
                },
                400,
            )
        result = graphql_sync(
            linear_schema(), document, root_value=_Root(self), variable_values=variables
        )
        if result.errors and result.data is None:
            status = 400
            errors = [
                {
                    **error.formatted,
                    "extensions": error.extensions
                    or {"type": "graphql error", "code": "GRAPHQL_VALIDATION_FAILED"},
                }
                for error in result.errors
            ]
            return json_response({"errors": errors}, status)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return json_response(answer)

    # -- webhooks ------------------------------------------------------------------------

    def subscribe_webhooks(self, url: str | None, secret: str) -> None:
        self.webhook_url, self.webhook_secret = url, secret

    def build_webhook(
        self,
        kind: str,
        action: str,
        data: dict,
        updated_from: dict | None = None,
        *,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        payload = {
            "action": action,
            "type": kind,
            "data": data,
            "updatedFrom": updated_from or {},
            "url": data.get("url", ""),
            "createdAt": _iso(self.clock()),
            "organizationId": "fake-org",
            "webhookTimestamp": int(time.time() * 1000),
            "webhookId": "fake-webhook",
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "Linear-Delivery": str(uuid.uuid4()),
            "Linear-Event": kind,
            "Linear-Signature": hmac.new(
                (secret or self.webhook_secret).encode(), body, hashlib.sha256
            ).hexdigest(),
        }
        return headers, body

    def issue_webhook(self, issue_id: str, *, action: str = "update", secret: str | None = None):
        """A signed Issue delivery for an issue as it is now (built, not sent)."""
        with self.lock:
            data = {
                k: v for k, v in self._issue_json(self.issues[issue_id]).items() if not callable(v)
            }
        return self.build_webhook("Issue", action, data, secret=secret)

    def comment_webhook(self, comment_id: str, *, secret: str | None = None):
        with self.lock:
            return self.build_webhook(
                "Comment",
                "create",
                self._comment_webhook_json(self.comments[comment_id]),
                secret=secret,
            )

    def _emit(self, kind: str, action: str, data: dict, updated_from: dict | None = None) -> None:
        if self.webhook_url is None and not self.webhook_secret:
            return
        plain = {k: v for k, v in data.items() if not callable(v)}
        headers, body = self.build_webhook(kind, action, plain, updated_from)
        self.sent_webhooks.append((headers, body))
        if self.webhook_url:
            threading.Thread(target=self._send, args=(headers, body), daemon=True).start()

    def _send(self, headers: dict[str, str], body: bytes) -> None:
        try:
            httpx.post(self.webhook_url, content=body, headers=headers, timeout=5)
        except httpx.HTTPError as error:
            self.webhook_errors.append(repr(error))


class _Root:
    """The GraphQL root value: the Query and Mutation fields the fake answers, by schema name."""

    def __init__(self, fake: FakeLinear) -> None:
        self.viewer = fake.q_viewer
        self.teams = fake.q_teams
        self.workflowStates = fake.q_workflow_states
        self.issues = fake.q_issues
        self.issue = fake.q_issue
        self.users = fake.q_users
        self.issueCreate = fake.m_issue_create
        self.issueUpdate = fake.m_issue_update
        self.commentCreate = fake.m_comment_create
