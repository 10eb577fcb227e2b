"""FakeSentry: a stateful fake of Sentry's web API (``/api/0/``) and its integration webhooks.

Faithful to ``shared/specs/sentry-openapi-derefed.json`` for what Switchyard uses: organizations,
projects, the organization issue index (cursor pagination through ``Link`` headers), one issue
(GET/PUT), the deprecated per-project issue list, plus the private notes endpoint
(``…/issues/{id}/comments/``), modelled on Sentry's GroupNotesEndpoint. Issues are kept in a dict
and in indexes sorted by lastSeen / firstSeen so a page never scans more than it needs.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from switchyard.fakes.base import (
    FakeRequest,
    FakeResponse,
    FakeServer,
    Fault,
    json_response,
    route,
)

DEFAULT_TOKEN = "fake-sentry-token"
PUBLIC_URL = "https://sentry.io"
TOKEN_SCOPES = (
    "event:admin",
    "event:read",
    "event:write",
    "member:read",
    "org:read",
    "project:read",
)
ISSUE_STATUSES = frozenset({"resolved", "unresolved", "ignored", "resolvedInNextRelease", "muted"})
SUBSTATUSES = frozenset(
    {
        "archived_until_escalating",
        "archived_until_condition_met",
        "archived_forever",
        "escalating",
        "ongoing",
        "regressed",
        "new",
    }
)
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}
SENTRY_ACTOR = {"type": "application", "id": "sentry", "name": "Sentry"}
MS = 1000
DAY_MS = 86_400 * MS


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / MS, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * MS)


# -- state ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Org:
    id: int
    slug: str
    name: str
    created: int


@dataclass(slots=True)
class _Member:
    id: int
    email: str
    name: str
    username: str
    joined: int


@dataclass(slots=True)
class _Project:
    id: int
    org: str
    slug: str
    name: str
    platform: str | None
    created: int
    team_id: int
    short_prefix: str
    short_counter: int = 0


@dataclass(slots=True)
class _Note:
    id: int
    issue_id: int
    author_id: int | None
    text: str
    created: int


@dataclass(slots=True)
class _Issue:
    id: int
    project_id: int
    short_id: str
    title: str
    culprit: str
    level: str
    type: str
    metadata: dict[str, str]
    platform: str | None
    status: str
    substatus: str | None
    priority: str
    first_seen: int
    last_seen: int
    count: int
    user_count: int
    assignee_id: int | None = None
    notes: list[_Note] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Cursor:
    value: int
    offset: int
    is_prev: bool

    @classmethod
    def parse(cls, raw: str | None) -> _Cursor | None:
        """Sentry's ``value:offset:is_prev`` cursor; ValueError when malformed."""
        if raw is None:
            return None
        value, offset, is_prev = raw.split(":")
        return cls(int(value), int(offset), is_prev == "1")

    def __str__(self) -> str:
        return f"{self.value}:{self.offset}:{int(self.is_prev)}"


class _BadRequest(Exception):
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = dict(body)


# -- seeding vocabulary -----------------------------------------------------------------------

PROJECT_CATALOG = [
    ("backend-api", "Backend API", "python-django"),
    ("web-app", "Web App", "javascript-react"),
    ("ios-app", "iOS App", "apple-ios"),
    ("android-app", "Android App", "android"),
    ("payments", "Payments Service", "go"),
    ("worker", "Background Worker", "python-celery"),
    ("checkout-web", "Checkout Web", "javascript-nextjs"),
    ("search-service", "Search Service", "java-spring-boot"),
    ("notifications", "Notifications", "node-express"),
    ("admin-portal", "Admin Portal", "ruby-rails"),
]
ERRORS = {
    "python": [
        ("KeyError", "'customer_id'"),
        ("AttributeError", "'NoneType' object has no attribute 'id'"),
        ("ZeroDivisionError", "division by zero"),
        ("OperationalError", "could not connect to server: Connection refused"),
        ("TimeoutError", "Read timed out. (read timeout=10)"),
        ("IntegrityError", 'duplicate key value violates unique constraint "orders_pkey"'),
        ("ValueError", "invalid literal for int() with base 10: 'abc'"),
    ],
    "javascript": [
        ("TypeError", "Cannot read properties of undefined (reading 'map')"),
        ("ReferenceError", "process is not defined"),
        ("ChunkLoadError", "Loading chunk 742 failed."),
        ("TypeError", "Failed to fetch"),
        ("SyntaxError", "Unexpected token '<', \"<!DOCTYPE \" is not valid JSON"),
    ],
    "node": [
        ("Error", "connect ECONNREFUSED 127.0.0.1:6379"),
        ("TypeError", "Cannot read properties of null (reading 'email')"),
        ("UnhandledPromiseRejection", "Request failed with status code 502"),
    ],
    "apple": [
        ("EXC_BAD_ACCESS", "KERN_INVALID_ADDRESS at 0x0000000000000010"),
        ("NSInvalidArgumentException", "-[__NSCFString count]: unrecognized selector"),
        ("Fatal error", "Unexpectedly found nil while unwrapping an Optional value"),
    ],
    "android": [
        ("NullPointerException", "Attempt to invoke virtual method on a null object reference"),
        ("IllegalStateException", "Fragment not attached to a context."),
        ("OutOfMemoryError", "Failed to allocate a 12582928 byte allocation"),
    ],
    "go": [
        ("runtime.Error", "invalid memory address or nil pointer dereference"),
        ("*errors.errorString", "context deadline exceeded"),
        ("*pq.Error", 'pq: too many connections for role "payments"'),
    ],
    "java": [
        ("NullPointerException", 'Cannot invoke "String.length()" because "s" is null'),
        ("SocketTimeoutException", "Read timed out"),
        ("DataIntegrityViolationException", "could not execute statement"),
    ],
    "ruby": [
        ("NoMethodError", "undefined method `name' for nil:NilClass"),
        ("ActiveRecord::RecordNotFound", "Couldn't find User with 'id'=42"),
        ("Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"),
    ],
}
CULPRITS = {
    "python": [
        "orders.views in create_order",
        "billing.tasks in charge_invoice",
        "accounts.api in get_profile",
        "search.indexer in rebuild",
    ],
    "javascript": [
        "components/Cart/index.tsx in handleSubmit",
        "app/routes/checkout in loader",
        "src/hooks/useOrders.ts in fetchOrders",
        "webpack/runtime in __webpack_require__",
    ],
    "node": ["src/queue/consumer.js in processMessage", "src/routes/users.js in getUser"],
    "apple": ["CheckoutViewController.swift in viewDidLoad()", "APIClient.swift in decode(_:)"],
    "android": ["com.acme.checkout.CartFragment in onViewCreated", "com.acme.net.Api in execute"],
    "go": ["payments/internal/charge.(*Service).Charge", "payments/cmd/server.main.func1"],
    "java": ["com.acme.search.IndexService in reindex", "com.acme.search.QueryController in run"],
    "ruby": ["UsersController#show", "InvoicesController#create", "ReportJob#perform"],
}
MESSAGES = [
    "Payment provider returned an unexpected status",
    "Slow query detected on orders",
    "Cache miss rate above threshold",
    "Retrying webhook delivery",
]
MEMBERS = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
]
NOTES = [
    "Looking into this now.",
    "Caused by the deploy at 14:02, rolling back.",
    "Customer ticket links here as well.",
    "Can't reproduce locally, need more data.",
    "Fixed in the next release.",
]


def _family(platform: str | None) -> str:
    prefix = (platform or "python").split("-")[0]
    return prefix if prefix in ERRORS else "python"


class FakeSentry(FakeServer):
    """A stateful fake Sentry: organizations, members, projects, issues and notes."""

    name: ClassVar[str] = "sentry"

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        organizations: Iterable[str] = ("acme",),
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        # Older self-hosted Sentry has no organization-wide issue index: set False to answer 404.
        self.org_issue_index = True
        self.orgs: dict[str, _Org] = {}
        self.members: dict[int, _Member] = {}
        self.projects: dict[int, _Project] = {}
        self.issues: dict[int, _Issue] = {}
        self.notes: dict[int, _Note] = {}
        # (-lastSeen ms, -id) ascending, i.e. most recently seen first; same for firstSeen.
        self._by_last_seen: list[tuple[int, int]] = []
        self._by_first_seen: list[tuple[int, int]] = []
        self._ids = {"org": 0, "member": 0, "project": 0, "team": 0, "note": 0}
        self._next_issue_id = 4_200_000_000
        self._last_tick = 0
        # webhooks
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.installation_uuid = str(uuid.UUID(int=0x5E47))
        # The token belongs to an internal integration by default, so changes made through the
        # API come back in webhooks with an "application" actor, as Sentry attributes a sentry
        # app's proxy user. Set to None to model a personal token (actor type "user").
        self.integration_name: str | None = "Switchyard"
        self.app_uuid = str(uuid.UUID(int=0xA99))
        self.sent_webhooks: list[tuple[dict[str, str], bytes]] = []
        self.webhook_errors: list[str] = []
        self._webhook_threads: list[threading.Thread] = []
        for slug in organizations:
            self.add_organization(slug)
        self.token_user_id = int(self.add_member("Integration Owner", "owner@example.com"))

    # -- construction and seeding -----------------------------------------------------------

    @classmethod
    def seeded(
        cls,
        issues: int = 50,
        projects: int = 3,
        seed: int = 1,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> FakeSentry:
        """A fake with realistic data: ``projects`` projects and ``issues`` issues over 60 days."""
        fake = cls(clock=clock)
        rng = random.Random(seed)
        member_ids = [int(fake.add_member(name, email)) for name, email in MEMBERS]
        for n in range(projects):
            slug, name, platform = PROJECT_CATALOG[n % len(PROJECT_CATALOG)]
            if n >= len(PROJECT_CATALOG):
                slug, name = f"{slug}-{n // len(PROJECT_CATALOG) + 1}", f"{name} {n + 1}"
            fake.add_project(slug, name=name, platform=platform)
        now = _ms(fake.clock())
        project_list = list(fake.projects.values())
        with fake.lock:
            for _ in range(issues):
                fake._seed_issue(rng, rng.choice(project_list), member_ids, now)
            fake._by_last_seen.sort()
            fake._by_first_seen.sort()
        return fake

    def _seed_issue(self, rng: random.Random, project: _Project, members: list[int], now: int):
        family = _family(project.platform)
        first_seen = now - rng.randrange(60 * DAY_MS)
        last_seen = first_seen + rng.randrange(max(1, now - first_seen))
        roll = rng.random()
        status, substatus = (
            ("unresolved", rng.choice(["new", "ongoing", "ongoing", "escalating", "regressed"]))
            if roll < 0.6
            else ("resolved", None)
            if roll < 0.9
            else ("ignored", rng.choice(["archived_until_escalating", "archived_forever"]))
        )
        level = rng.choices(["error", "warning", "fatal", "info"], [70, 15, 5, 10])[0]
        count = int(rng.paretovariate(1.2)) + rng.randrange(3)
        issue = self._new_issue(
            project,
            level=level,
            error=None if level == "info" else rng.choice(ERRORS[family]),
            message=rng.choice(MESSAGES),
            culprit=rng.choice(CULPRITS[family]),
            status=status,
            substatus=substatus,
            first_seen=first_seen,
            last_seen=last_seen,
            count=max(1, count),
            user_count=rng.randrange(1, max(2, count // 2 + 1)),
            priority=rng.choice(["low", "medium", "high"]),
            assignee_id=rng.choice(members) if rng.random() < 0.3 else None,
        )
        self._by_last_seen.append((-issue.last_seen, -issue.id))
        self._by_first_seen.append((-issue.first_seen, -issue.id))
        if rng.random() < 0.05:
            self._new_note(issue, rng.choice(members), rng.choice(NOTES), issue.last_seen)

    def credentials_help(self) -> list[str]:
        """Lines telling a person how to point a Sentry connection at this fake."""
        orgs = ", ".join(self.orgs) or "(none)"
        return [
            f"auth token: {self.token}  (send as 'Authorization: Bearer {self.token}')",
            f"organization slug(s): {orgs}",
            "base URL: the URL above (it replaces https://sentry.io)",
            "webhooks: serve with --webhook-url and --webhook-secret (or call fake.subscribe_webhooks)",
        ]

    def add_organization(self, slug: str, name: str | None = None) -> str:
        """Add an organization; returns its id."""
        with self.lock:
            org = _Org(
                self._next("org"), slug, name or slug.replace("-", " ").title(), self._tick()
            )
            self.orgs[slug] = org
            return str(org.id)

    def add_member(self, name: str, email: str, username: str | None = None) -> str:
        """Add a user who is a member of every organization; returns the user id."""
        with self.lock:
            member = _Member(self._next("member"), email, name, username or email, self._tick())
            self.members[member.id] = member
            return str(member.id)

    def add_project(
        self,
        slug: str,
        *,
        name: str | None = None,
        platform: str | None = "python",
        org: str | None = None,
    ) -> str:
        """Add a project to an organization (the first one by default); returns its id."""
        with self.lock:
            org_slug = org or next(iter(self.orgs))
            project = _Project(
                id=self._next("project") + 4_500_000,
                org=org_slug,
                slug=slug,
                name=name or slug.replace("-", " ").title(),
                platform=platform,
                created=self._tick(),
                team_id=self._next("team"),
                short_prefix=slug.upper(),
            )
            self.projects[project.id] = project
            return str(project.id)

    def add_issue(
        self,
        project: str | int,
        *,
        title: str | None = None,
        culprit: str = "app.views in index",
        level: str = "error",
        status: str = "unresolved",
        count: int = 1,
        user_count: int = 1,
        first_seen: datetime | None = None,
        last_seen: datetime | None = None,
        notify: bool = True,
    ) -> str:
        """Add an issue as Sentry would on a new event; emits the ``issue.created`` webhook."""
        with self.lock:
            proj = self._project(str(project))
            if proj is None:
                raise KeyError(f"no project {project!r}")
            seen = self._tick() if first_seen is None else _ms(first_seen)
            error = None
            if level != "info":
                kind, _, value = (title or "Error: something broke").partition(": ")
                error = (kind, value or kind)
            issue = self._new_issue(
                proj,
                level=level,
                error=error,
                message=title or "Something happened",
                culprit=culprit,
                status=status,
                substatus="new" if status == "unresolved" else None,
                first_seen=seen,
                last_seen=seen if last_seen is None else _ms(last_seen),
                count=count,
                user_count=user_count,
                priority="high" if level in ("error", "fatal") else "medium",
            )
            bisect.insort(self._by_last_seen, (-issue.last_seen, -issue.id))
            bisect.insort(self._by_first_seen, (-issue.first_seen, -issue.id))
            if notify:
                self._emit_issue("created", issue, SENTRY_ACTOR)
            return str(issue.id)

    def _new_issue(
        self,
        project: _Project,
        *,
        level: str,
        error: tuple[str, str] | None,
        message: str,
        culprit: str,
        status: str,
        substatus: str | None,
        first_seen: int,
        last_seen: int,
        count: int,
        user_count: int,
        priority: str,
        assignee_id: int | None = None,
    ) -> _Issue:
        project.short_counter += 1
        issue_id = self._next_issue_id
        self._next_issue_id += 1
        if error is not None:
            kind, value = error
            title = f"{kind}: {value}"
            filename = culprit.split(" in ")[0]
            metadata = {"type": kind, "value": value, "filename": filename}
            issue_type = "error"
        else:
            title, metadata, issue_type = message, {"title": message}, "default"
        issue = _Issue(
            id=issue_id,
            project_id=project.id,
            short_id=f"{project.short_prefix}-{_base36(project.short_counter)}",
            title=title,
            culprit=culprit,
            level=level,
            type=issue_type,
            metadata=metadata,
            platform=(project.platform or "other").split("-")[0],
            status=status,
            substatus=substatus,
            priority=priority,
            first_seen=first_seen,
            last_seen=last_seen,
            count=count,
            user_count=user_count,
            assignee_id=assignee_id,
        )
        self.issues[issue_id] = issue
        return issue

    def _new_note(self, issue: _Issue, author_id: int | None, text: str, at: int) -> _Note:
        note = _Note(self._next("note") + 9_000_000, issue.id, author_id, text, at)
        issue.notes.append(note)
        self.notes[note.id] = note
        return note

    # -- mutators: a person (or Sentry) acting in the remote ----------------------------------

    def resolve_issue(self, issue_id: str, *, by: str | None = None) -> None:
        """Resolve an issue in the UI; emits ``issue.resolved``."""
        self._set_status(issue_id, "resolved", None, by)

    def unresolve_issue(self, issue_id: str, *, by: str | None = None) -> None:
        """Mark an issue unresolved in the UI; emits ``issue.unresolved``."""
        self._set_status(issue_id, "unresolved", "ongoing", by)

    def ignore_issue(self, issue_id: str, *, by: str | None = None) -> None:
        """Archive (ignore) an issue forever in the UI; emits ``issue.ignored``."""
        self._set_status(issue_id, "ignored", "archived_forever", by)

    def regress_issue(self, issue_id: str) -> None:
        """A new event on an issue: lastSeen moves; a resolved issue regresses (webhook)."""
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            self._record_event(issue)
            if issue.status != "unresolved":
                issue.status, issue.substatus = "unresolved", "regressed"
                self._emit_issue("unresolved", issue, SENTRY_ACTOR)

    def record_events(self, issue_id: str, events: int = 1, *, users: int = 0) -> None:
        """New events on an issue (count, userCount, lastSeen); Sentry sends no webhook for this."""
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            issue.user_count += users
            for _ in range(events):
                self._record_event(issue)

    def assign_issue(self, issue_id: str, assignee: str | None, *, by: str | None = None) -> None:
        """Assign an issue to a member (email, username or id) in the UI; emits ``issue.assigned``."""
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            member = None if assignee is None else self._member(assignee)
            if assignee is not None and member is None:
                raise KeyError(f"no member {assignee!r}")
            issue.assignee_id = None if member is None else member.id
            self._emit_issue("assigned", issue, self._actor(self._member(by) if by else None))

    def add_note(self, issue_id: str, text: str, *, author: str | None = None) -> str:
        """Add a note as a member (email/username/id; default the token's user); emits ``comment.created``."""
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            member = self._member(author) if author else self.members[self.token_user_id]
            if member is None:
                raise KeyError(f"no member {author!r}")
            note = self._new_note(issue, member.id, text, self._tick())
            self._emit_comment("created", note, self._actor(member))
            return str(note.id)

    def _set_status(self, issue_id: str, status: str, substatus: str | None, by: str | None):
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            issue.status, issue.substatus = status, substatus
            # Sentry does not move lastSeen on a status change: only events do.
            self._emit_issue(status, issue, self._actor(self._member(by) if by else None))

    def _record_event(self, issue: _Issue) -> None:
        old = (-issue.last_seen, -issue.id)
        issue.count += 1
        issue.last_seen = max(self._tick(), issue.last_seen + 1)
        del self._by_last_seen[bisect.bisect_left(self._by_last_seen, old)]
        bisect.insort(self._by_last_seen, (-issue.last_seen, -issue.id))

    # -- webhooks ---------------------------------------------------------------------------

    def subscribe_webhooks(
        self, url: str | None, secret: str, *, installation_uuid: str | None = None
    ) -> None:
        """Send future webhooks, signed with ``secret``, to ``url`` (None: only record them)."""
        with self.lock:
            self.webhook_url, self.webhook_secret = url, secret
            if installation_uuid:
                self.installation_uuid = installation_uuid

    def build_webhook(
        self,
        event: str,
        *,
        issue_id: str | None = None,
        comment_id: str | None = None,
        actor: Mapping[str, Any] | None = None,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed delivery (headers, body) without sending it.

        ``event`` is ``resource.action``: ``issue.created|resolved|unresolved|ignored|assigned``
        (needs ``issue_id``) or ``comment.created|updated|deleted`` (needs ``comment_id``).
        """
        resource, _, action = event.partition(".")
        with self.lock:
            if resource == "issue" and issue_id is not None:
                data = {"issue": self._webhook_issue_json(self._issue_or_raise(issue_id))}
            elif resource == "comment" and comment_id is not None:
                data = self._comment_data(self.notes[int(comment_id)])
            else:
                raise ValueError(f"cannot build {event!r} from the given ids")
            return self._signed(resource, action, data, actor or SENTRY_ACTOR, secret)

    def flush_webhooks(self, timeout: float = 5.0) -> None:
        """Wait for background deliveries to finish (tests)."""
        for thread in list(self._webhook_threads):
            thread.join(timeout)

    def _signed(
        self,
        resource: str,
        action: str,
        data: Mapping[str, Any],
        actor: Mapping[str, Any],
        secret: str | None,
    ) -> tuple[dict[str, str], bytes]:
        body = json.dumps(
            {
                "action": action,
                "installation": {"uuid": self.installation_uuid},
                "data": data,
                "actor": dict(actor),
            }
        ).encode()
        key = secret if secret is not None else (self.webhook_secret or "")
        headers = {
            "Content-Type": "application/json",
            "Request-ID": str(uuid.uuid4()),
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": str(int(self.clock().timestamp())),
            "Sentry-Hook-Signature": hmac.new(key.encode(), body, hashlib.sha256).hexdigest(),
        }
        return headers, body

    def _emit_issue(self, action: str, issue: _Issue, actor: Mapping[str, Any]) -> None:
        data = {"issue": self._webhook_issue_json(issue)}
        self._deliver(*self._signed("issue", action, data, actor, None))

    def _emit_comment(self, action: str, note: _Note, actor: Mapping[str, Any]) -> None:
        self._deliver(*self._signed("comment", action, self._comment_data(note), actor, None))

    def _deliver(self, headers: dict[str, str], body: bytes) -> None:
        if self.webhook_secret is None:
            return  # nobody subscribed, like an integration without webhook resources
        self.sent_webhooks.append((headers, body))
        if not self.webhook_url:
            return
        url = self.webhook_url
        thread = threading.Thread(target=self._post_webhook, args=(url, headers, body), daemon=True)
        self._webhook_threads.append(thread)
        thread.start()

    def _post_webhook(self, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            httpx.post(url, content=body, headers=headers, timeout=5.0)
        except httpx.HTTPError as exc:  # best effort, like Sentry's own retries giving up
            with self.lock:
                self.webhook_errors.append(f"{url}: {exc!r}")

    # -- auth and errors --------------------------------------------------------------------

    def authenticate(self, request: FakeRequest) -> bool:
        header = request.headers.get("Authorization")
        if header is None:
            # The index endpoint answers anonymous callers (with auth and user null).
            return request.path == "/api/0/"
        return header == f"Bearer {self.token}"

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("Authorization") is None:
            return json_response({"detail": "Authentication credentials were not provided."}, 401)
        return json_response({"detail": "Invalid token"}, 401)

    def rate_limited_body(self) -> Any:
        return {
            "detail": "You are attempting to use this endpoint too frequently. "
            "Limit is 40 requests in 1 seconds"
        }

    def rate_limit_next(
        self,
        retry_after: float = 1,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        retry_after_header: bool = True,
    ) -> None:
        """Answer 429 with Sentry's X-Sentry-Rate-Limit-* headers (and Retry-After unless told not to)."""
        headers = {
            "Content-Type": "application/json",
            "X-Sentry-Rate-Limit-Limit": "40",
            "X-Sentry-Rate-Limit-Remaining": "0",
            "X-Sentry-Rate-Limit-Reset": str(int(time.time() + retry_after)),
            "X-Sentry-Rate-Limit-ConcurrentLimit": "25",
            "X-Sentry-Rate-Limit-ConcurrentRemaining": "24",
        }
        if retry_after_header:
            headers["Retry-After"] = f"{retry_after:g}"
        body = json.dumps(self.rate_limited_body()).encode()
        self._add_fault(
            Fault("status", times, 429, headers, body, method=method, path_pattern=path)
        )

    # -- routes -----------------------------------------------------------------------------

    @route("GET", r"/api/0/")
    def get_index(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("Authorization") is None:
            return json_response({"version": "0", "auth": None, "user": None})
        user = self._user_json(self.members[self.token_user_id])
        return json_response({"version": "0", "auth": {"scopes": list(TOKEN_SCOPES)}, "user": user})

    @route("GET", r"/api/0/organizations/")
    def list_organizations(self, request: FakeRequest) -> FakeResponse:
        orgs = sorted(self.orgs.values(), key=lambda o: o.created)
        return self._offset_page(request, [self._org_json(o) for o in orgs])

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/projects/")
    def list_projects(self, request: FakeRequest, org: str) -> FakeResponse:
        organization = self._org(org)
        if organization is None:
            return self.not_found(request)
        projects = sorted(
            (p for p in self.projects.values() if p.org == organization.slug), key=lambda p: p.slug
        )
        return self._offset_page(request, [self._project_json(p) for p in projects])

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/")
    def list_org_issues(self, request: FakeRequest, org: str) -> FakeResponse:
        organization = self._org(org)
        if organization is None or not self.org_issue_index:
            return self.not_found(request)
        try:
            project_ids = self._requested_projects(organization, request.query.get("project", []))
        except PermissionError:
            return json_response(NO_PERMISSION, 403)
        if not project_ids:
            return json_response([])
        return self._issue_page(request, project_ids, "list")

    @route("GET", r"/api/0/projects/(?P<org>[^/]+)/(?P<project>[^/]+)/issues/")
    def list_project_issues(self, request: FakeRequest, org: str, project: str) -> FakeResponse:
        organization = self._org(org)
        proj = self._project(project, organization.slug) if organization else None
        if proj is None:
            return self.not_found(request)
        if request.param("statsPeriod", "") not in ("", "24h", "14d"):
            return json_response(
                {"detail": "Invalid stats_period. Valid choices are '', '24h', and '14d'"}, 400
            )
        return self._issue_page(request, {proj.id}, "project")

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/")
    def get_issue(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        if issue is None:
            return self.not_found(request)
        return json_response(self._issue_detail_json(issue))

    @route("PUT", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/")
    def update_issue(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        if issue is None:
            return self.not_found(request)
        body = self._json_body(request)
        if not isinstance(body, dict):
            return json_response(
                {"non_field_errors": ["Invalid data. Expected a dictionary."]}, 400
            )
        try:
            changes = self._validate_update(body)
        except _BadRequest as exc:
            return json_response(exc.body, 400)
        actor = self._token_actor()
        if "status" in changes and changes["status"] != (issue.status, issue.substatus):
            issue.status, issue.substatus = changes["status"]
            self._emit_issue(issue.status, issue, actor)
        if "assignee" in changes and changes["assignee"] != issue.assignee_id:
            issue.assignee_id = changes["assignee"]
            self._emit_issue("assigned", issue, actor)
        if "priority" in changes:
            issue.priority = changes["priority"]
        return json_response(self._issue_json(issue))

    @route(
        "GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/"
    )
    def list_notes(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        if issue is None:
            return self.not_found(request)
        index = sorted((-n.created, -n.id) for n in issue.notes)
        try:
            limit = self._per_page(request)
            cursor = _Cursor.parse(request.param("cursor"))
        except _BadRequest as exc:
            return json_response(exc.body, 400)
        except ValueError:
            return json_response({"detail": "Invalid cursor parameter."}, 400)
        return self._keyed_page(
            request,
            index,
            lambda _id: True,
            cursor,
            limit,
            None,
            lambda note_id: self._note_json(self.notes[note_id]),
        )

    @route(
        "POST",
        r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/",
    )
    def create_note(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        if issue is None:
            return self.not_found(request)
        body = self._json_body(request)
        text = body.get("text") if isinstance(body, dict) else None
        if text is None:
            return json_response({"text": ["This field is required."]}, 400)
        if not isinstance(text, str) or not text.strip():
            return json_response({"text": ["This field may not be blank."]}, 400)
        now = self._tick()
        # GroupNotesEndpoint refuses the same text from the same user within an hour.
        for note in issue.notes:
            if (note.author_id, note.text) == (
                self.token_user_id,
                text,
            ) and now - note.created < 3_600_000:
                return json_response({"detail": "You have already posted that comment."}, 400)
        note = self._new_note(issue, self.token_user_id, text, now)
        self._emit_comment("created", note, self._token_actor())
        return json_response(self._note_json(note), 201)

    # -- listing helpers --------------------------------------------------------------------

    def _requested_projects(self, org: _Org, values: list[str]) -> set[int]:
        in_org = {p.id for p in self.projects.values() if p.org == org.slug}
        if not values or "-1" in values:
            return in_org
        chosen = set()
        for value in values:
            project = self._project(value, org.slug)
            if project is None:
                raise PermissionError(value)
            chosen.add(project.id)
        return chosen

    def _issue_page(
        self, request: FakeRequest, project_ids: set[int], variant: str
    ) -> FakeResponse:
        try:
            cursor = _Cursor.parse(request.param("cursor"))
        except ValueError:
            return json_response({"detail": "Invalid cursor parameter."}, 400)
        try:
            limit = self._limit(request)
            predicates, floor = self._search(request.param("query", "is:unresolved") or "")
            floor = self._date_window(request, predicates, floor)
        except _BadRequest as exc:
            return json_response(exc.body, 400)
        sort = request.param("sort", "date")
        if sort == "date":
            index = self._by_last_seen
        elif sort == "new":
            index, floor = self._by_first_seen, None
        elif sort in ("freq", "user"):
            attr = "count" if sort == "freq" else "user_count"
            index = sorted((-getattr(i, attr), -i.id) for i in self.issues.values())
            floor = None
        else:
            return json_response({"detail": f"Invalid sort: {sort}"}, 400)
        issues = self.issues

        def matches(issue_id: int) -> bool:
            issue = issues[issue_id]
            return issue.project_id in project_ids and all(p(issue) for p in predicates)

        render = (
            (lambda i: self._issue_list_json(issues[i]))
            if variant == "list"
            else (lambda i: self._project_issue_json(issues[i]))
        )
        return self._keyed_page(request, index, matches, cursor, limit, floor, render)

    def _search(self, query: str) -> tuple[list[Callable[[_Issue], bool]], int | None]:
        """Predicates for the subset of Sentry search the fake understands, and a lastSeen floor."""
        predicates: list[Callable[[_Issue], bool]] = []
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

    def _date_window(
        self, request: FakeRequest, predicates: list[Callable[[_Issue], bool]], floor: int | None
    ) -> int | None:
        period = request.param("statsPeriod")
        start, end = request.param("start"), request.param("end")
        lower: int | None = None
        if period:
            units = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
            if period[-1] not in units or not period[:-1].isdigit():
                raise _BadRequest({"detail": f"Invalid statsPeriod: {period!r}"})
            lower = _ms(self.clock()) - int(period[:-1]) * units[period[-1]] * MS
        elif start or end:
            if not (start and end):
                raise _BadRequest({"detail": "start and end are both required"})
            lower, upper = _parse_date(start), _parse_date(end)
            predicates.append(lambda i: i.last_seen <= upper)
        if lower is not None:
            predicates.append(lambda i: i.last_seen >= lower)
            floor = lower if floor is None else max(floor, lower)
        return floor

    def _keyed_page(
        self,
        request: FakeRequest,
        index: list[tuple[int, int]],
        matches: Callable[[int], bool],
        cursor: _Cursor | None,
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
            if (
                cursor is not None
                and not cursor.is_prev
                and all(k == cursor.value for k, _ in picked)
            ):
                offset += cursor.offset
            next_cursor = _Cursor(last_key, offset, False)
            prev_cursor = _Cursor(picked[0][0], 0, True)
        else:
            next_cursor = cursor if cursor and not cursor.is_prev else _Cursor(0, 0, False)
            prev_cursor = _Cursor(cursor.value if cursor else 0, 0, True)
            has_next = False
        body = [render(item_id) for _, item_id in picked]
        return json_response(
            body,
            headers={"Link": self._link(request, prev_cursor, has_prev, next_cursor, has_next)},
        )

    def _offset_page(self, request: FakeRequest, items: list[dict[str, Any]]) -> FakeResponse:
        """One page of a short list with Sentry's OffsetPaginator cursors (``0:<offset>:0``)."""
        try:
            limit = self._per_page(request)
            cursor = _Cursor.parse(request.param("cursor"))
        except _BadRequest as exc:
            return json_response(exc.body, 400)
        except ValueError:
            return json_response({"detail": "Invalid cursor parameter."}, 400)
        start = 0 if cursor is None else cursor.offset
        if cursor is not None and cursor.is_prev:
            start = max(0, start - limit)
        page = items[start : start + limit]
        link = self._link(
            request,
            _Cursor(0, max(0, start - limit) if start else 0, True),
            start > 0,
            _Cursor(0, start + limit, False),
            start + limit < len(items),
        )
        return json_response(page, headers={"Link": link})

    def _link(
        self, request: FakeRequest, prev: _Cursor, has_prev: bool, nxt: _Cursor, has_next: bool
    ) -> str:
        base = request.url.split("?", 1)[0] if request.url else f"{PUBLIC_URL}{request.path}"
        params = [(k, v) for k, values in request.query.items() if k != "cursor" for v in values]

        def one(cursor: _Cursor, rel: str, results: bool) -> str:
            url = f"{base}?{urlencode([*params, ('cursor', str(cursor))])}"
            return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"'

        return f"{one(prev, 'previous', has_prev)}, {one(nxt, 'next', has_next)}"

    def _limit(self, request: FakeRequest) -> int:
        raw = request.param("limit")
        if raw is None:
            return 100
        if not raw.isdigit() or int(raw) < 1:
            raise _BadRequest({"detail": "Invalid limit parameter."})
        return min(int(raw), 100)

    def _per_page(self, request: FakeRequest) -> int:
        raw = request.param("per_page")
        if raw is None:
            return 100
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise _BadRequest({"detail": "Invalid per_page parameter."})
        return int(raw)

    # -- update validation ------------------------------------------------------------------

    def _validate_update(self, body: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        if "status" in body:
            status = body["status"]
            substatus = body.get("substatus")
            if status not in ISSUE_STATUSES:
                errors["status"] = [f'"{status}" is not a valid choice.']
            elif substatus is not None and substatus not in SUBSTATUSES:
                errors["substatus"] = [f'"{substatus}" is not a valid choice.']
            else:
                if status in ("resolvedInNextRelease",):
                    status = "resolved"
                if status == "muted":
                    status = "ignored"
                default_sub = {
                    "resolved": None,
                    "unresolved": "ongoing",
                    "ignored": "archived_forever",
                }
                changes["status"] = (status, substatus or default_sub[status])
        if "assignedTo" in body:
            value = body["assignedTo"]
            if value in (None, ""):
                changes["assignee"] = None
            elif not isinstance(value, str):
                errors["assignedTo"] = ["Not a valid string."]
            elif value.startswith("team:"):
                errors["assignedTo"] = ["Unknown actor input"]
            else:
                member = self._member(value.removeprefix("user:"))
                if member is None:
                    errors["assignedTo"] = ["Unknown actor input"]
                else:
                    changes["assignee"] = member.id
        if "priority" in body:
            if body["priority"] not in ("low", "medium", "high"):
                errors["priority"] = [f'"{body["priority"]}" is not a valid choice.']
            else:
                changes["priority"] = body["priority"]
        if errors:
            raise _BadRequest(errors)
        return changes

    # -- lookups ----------------------------------------------------------------------------

    def _org(self, id_or_slug: str) -> _Org | None:
        if id_or_slug in self.orgs:
            return self.orgs[id_or_slug]
        return next((o for o in self.orgs.values() if str(o.id) == id_or_slug), None)

    def _project(self, id_or_slug: str, org: str | None = None) -> _Project | None:
        if id_or_slug.isdigit() and int(id_or_slug) in self.projects:
            project = self.projects[int(id_or_slug)]
            return project if org in (None, project.org) else None
        return next(
            (p for p in self.projects.values() if p.slug == id_or_slug and org in (None, p.org)),
            None,
        )

    def _member(self, key: str) -> _Member | None:
        if key.isdigit():
            return self.members.get(int(key))
        return next((m for m in self.members.values() if key in (m.email, m.username)), None)

    def _org_issue(self, org: str, issue_id: str) -> _Issue | None:
        organization = self._org(org)
        if organization is None or not issue_id.isdigit():
            return None
        issue = self.issues.get(int(issue_id))
        if issue is None or self.projects[issue.project_id].org != organization.slug:
            return None
        return issue

    def _issue_or_raise(self, issue_id: str | int) -> _Issue:
        return self.issues[int(issue_id)]

    def _json_body(self, request: FakeRequest) -> Any:
        try:
            return request.json()
        except (ValueError, UnicodeDecodeError):
            return None

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _tick(self) -> int:
        """Now in ms, strictly increasing so consecutive changes never share a timestamp."""
        self._last_tick = max(_ms(self.clock()), self._last_tick + 1)
        return self._last_tick

    def _token_actor(self) -> dict[str, Any]:
        if self.integration_name is None:
            return self._actor(self.members[self.token_user_id])
        return {"type": "application", "id": self.app_uuid, "name": self.integration_name}

    def _actor(self, member: _Member | None) -> dict[str, Any]:
        if member is None:
            return dict(SENTRY_ACTOR)
        return {"type": "user", "id": member.id, "name": member.name}

    # -- JSON shapes (as the spec's response schemas describe them) ---------------------------

    def _user_json(self, member: _Member) -> dict[str, Any]:
        digest = hashlib.md5(member.email.encode()).hexdigest()  # noqa: S324 - gravatar's scheme
        return {
            "id": str(member.id),
            "name": member.name,
            "username": member.username,
            "email": member.email,
            "avatarUrl": f"https://gravatar.com/avatar/{digest}?s=32&d=mm",
            "isActive": True,
            "isSuspended": False,
            "hasPasswordAuth": True,
            "isManaged": False,
            "dateJoined": _iso(member.joined),
            "lastLogin": _iso(member.joined),
            "has2fa": False,
            "lastActive": _iso(member.joined),
            "isSuperuser": False,
            "isStaff": False,
            "experiments": {},
            "emails": [{"id": str(member.id), "email": member.email, "is_verified": True}],
            "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
        }

    def _org_json(self, org: _Org) -> dict[str, Any]:
        return {
            "id": str(org.id),
            "slug": org.slug,
            "status": {"id": "active", "name": "active"},
            "name": org.name,
            "dateCreated": _iso(org.created),
            "isEarlyAdopter": False,
            "require2FA": False,
            "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
            "links": {
                "organizationUrl": f"https://{org.slug}.sentry.io",
                "regionUrl": "https://us.sentry.io",
            },
            "hasAuthProvider": False,
            "allowMemberInvite": True,
            "allowMemberProjectCreation": True,
            "allowSuperuserAccess": False,
            "features": ["issue-stream-search-query-builder"],
        }

    def _project_json(self, project: _Project) -> dict[str, Any]:
        flags = (
            "hasFeedbacks hasFlags hasMinifiedStackTrace hasMonitors hasNewFeedbacks hasProfiles "
            "hasReplays hasSessions hasInsightsHttp hasInsightsDb hasInsightsAssets "
            "hasInsightsAppStart hasInsightsScreenLoad hasInsightsVitals hasInsightsCaches "
            "hasInsightsQueues hasInsightsAgentMonitoring hasInsightsMCP hasLogs hasTraceMetrics "
            "hasUserReports firstTransactionEvent isBookmarked"
        ).split()
        team = {
            "id": str(project.team_id),
            "name": f"Team {project.name}",
            "slug": f"team-{project.slug}",
        }
        return {
            "id": str(project.id),
            "slug": project.slug,
            "name": project.name,
            "platform": project.platform,
            "dateCreated": _iso(project.created),
            "isMember": True,
            "hasAccess": True,
            "features": [],
            "firstEvent": _iso(project.created),
            "access": ["event:read", "event:write", "project:read"],
            "team": team,
            "teams": [team],
            "platforms": [project.platform] if project.platform else [],
            "environments": ["production"],
            "latestRelease": None,
            "latestDeploys": None,
            **dict.fromkeys(flags, False),
        }

    def _assigned_json(self, issue: _Issue) -> dict[str, Any] | None:
        if issue.assignee_id is None:
            return None
        member = self.members[issue.assignee_id]
        return {"type": "user", "id": str(member.id), "name": member.name, "email": member.email}

    def _permalink(self, issue: _Issue) -> str:
        return f"https://{self.projects[issue.project_id].org}.sentry.io/issues/{issue.id}/"

    def _issue_json(self, issue: _Issue) -> dict[str, Any]:
        """The base group serialization (the PUT response and the webhook ``data.issue``)."""
        project = self.projects[issue.project_id]
        return {
            "id": str(issue.id),
            "shareId": None,
            "shortId": issue.short_id,
            "title": issue.title,
            "culprit": issue.culprit,
            "permalink": self._permalink(issue),
            "logger": None,
            "level": issue.level,
            "status": issue.status,
            "statusDetails": {},
            "substatus": issue.substatus,
            "isPublic": False,
            "platform": issue.platform,
            "priority": issue.priority,
            "priorityLockedAt": None,
            "seerFixabilityScore": None,
            "seerAutofixLastTriggered": None,
            "seerExplorerAutofixLastTriggered": None,
            "project": {
                "id": str(project.id),
                "name": project.name,
                "slug": project.slug,
                "platform": project.platform,
            },
            "type": issue.type,
            "issueType": "error" if issue.type == "error" else "default",
            "issueCategory": "error",
            "metadata": dict(issue.metadata),
            "numComments": len(issue.notes),
            "assignedTo": self._assigned_json(issue),
            "isBookmarked": False,
            "isSubscribed": False,
            "subscriptionDetails": None,
            "hasSeen": False,
            "annotations": [],
            "isUnhandled": issue.level == "fatal",
            "count": str(issue.count),
            "userCount": issue.user_count,
            "firstSeen": _iso(issue.first_seen),
            "lastSeen": _iso(issue.last_seen),
        }

    def _derived(self, issue: _Issue) -> dict[str, Any]:
        return {
            "blocker": "",
            "progress": "",
            "status": "",
            "viewCount": 0,
            "hasOpenFixPr": False,
            "isAssigned": issue.assignee_id is not None,
            "hasRootCause": False,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": None,
        }

    def _stats_24h(self, issue: _Issue) -> list[list[int]]:
        hour = int(self.clock().timestamp()) // 3600 * 3600
        recent = issue.last_seen >= (hour - 23 * 3600) * MS
        return [[hour - (23 - n) * 3600, 1 if recent and n == 23 else 0] for n in range(24)]

    def _issue_list_json(self, issue: _Issue) -> dict[str, Any]:
        """One item of the organization issue index (StreamGroupSerializerSnuba)."""
        project = self.projects[issue.project_id]
        # The spec lists even expand-only keys (inbox, owners, ...) as required and non-nullable,
        # so the fake always sends them, shaped as the schema says.
        return {
            **self._issue_json(issue),
            "derivedData": self._derived(issue),
            "stats": {"24h": self._stats_24h(issue)},
            "lifetime": {
                "count": str(issue.count),
                "userCount": issue.user_count,
                "firstSeen": _iso(issue.first_seen),
                "lastSeen": _iso(issue.last_seen),
            },
            "filtered": None,
            "sessionCount": 0,
            "inbox": {"reason": 0, "reason_details": None, "date_added": _iso(issue.first_seen)},
            "owners": {
                "type": "ownershipRule",
                "owner": f"team:{project.team_id}",
                "date_added": _iso(issue.first_seen),
            },
            "integrationIssues": [],
            "sentryAppIssues": [],
            "latestEventHasAttachments": False,
            "matchingEventId": None,
            "matchingEventEnvironment": None,
        }

    def _project_issue_json(self, issue: _Issue) -> dict[str, Any]:
        """One item of the deprecated per-project issue list."""
        return {**self._issue_json(issue), "stats": {"24h": self._stats_24h(issue)}}

    def _issue_detail_json(self, issue: _Issue) -> dict[str, Any]:
        """One issue as GET …/issues/{id}/ returns it (GroupSerializer with details)."""
        notes = sorted(issue.notes, key=lambda n: (n.created, n.id), reverse=True)
        return {
            **self._issue_json(issue),
            "derivedData": self._derived(issue),
            "activity": [self._note_json(note) for note in notes],
            "participants": [],
            "seenBy": [],
            "userReportCount": 0,
            "tags": [],
            "stats": {"24h": self._stats_24h(issue)},
            "firstRelease": None,
            "lastRelease": None,
            "inbox": None,
            "owners": None,
            "integrationIssues": [],
            "sentryAppIssues": [],
            "latestEventHasAttachments": False,
        }

    def _webhook_issue_json(self, issue: _Issue) -> dict[str, Any]:
        org = self.projects[issue.project_id].org
        project = self.projects[issue.project_id]
        return {
            **self._issue_json(issue),
            "url": f"{PUBLIC_URL}/api/0/organizations/{org}/issues/{issue.id}/",
            "web_url": self._permalink(issue),
            "project_url": f"https://{org}.sentry.io/projects/{project.slug}/",
        }

    def _note_json(self, note: _Note) -> dict[str, Any]:
        """A NOTE activity as Sentry's ActivitySerializer shapes it."""
        author = None if note.author_id is None else self._user_json(self.members[note.author_id])
        return {
            "id": str(note.id),
            "user": author,
            "sentry_app": None,
            "type": "note",
            "data": {"text": note.text},
            "dateCreated": _iso(note.created),
        }

    def _comment_data(self, note: _Note) -> dict[str, Any]:
        issue = self.issues[note.issue_id]
        return {
            "comment_id": note.id,
            "issue_id": issue.id,
            "project_slug": self.projects[issue.project_id].slug,
            "timestamp": _iso(note.created),
            "comment": note.text,
        }


# -- module helpers ---------------------------------------------------------------------------


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _islice_from(items: list[tuple[int, int]], start: int) -> Iterable[tuple[int, int]]:
    for position in range(start, len(items)):
        yield items[position]


def _parse_date(value: str) -> int:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadRequest(
            {"detail": f"Invalid date: {value}. Expected ISO 8601-like (i.e. 2023-01-01T00:00:00)."}
        ) from None
    return _ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _split_comparison(value: str) -> tuple[str, int]:
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            return op, _parse_date(value[len(op) :])
    return "=", _parse_date(value)


def _compare(attr: str, op: str, bound: int) -> Callable[[_Issue], bool]:
    if op == ">=":
        return lambda i: getattr(i, attr) >= bound
    if op == ">":
        return lambda i: getattr(i, attr) > bound
    if op == "<=":
        return lambda i: getattr(i, attr) <= bound
    if op == "<":
        return lambda i: getattr(i, attr) < bound
    return lambda i: getattr(i, attr) // 1000 == bound // 1000


def _is_predicate(value: str) -> Callable[[_Issue], bool]:
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
    raise _BadRequest(
        {"detail": f'Invalid value for "is" search, valid values are {sorted(statuses)}'}
    )


__all__ = ["DEFAULT_TOKEN", "FakeSentry"]
