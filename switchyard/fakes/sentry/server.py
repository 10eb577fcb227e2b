"""FakeSentry: a stateful fake of Sentry's web API (``/api/0/``) and its integration webhooks.

Faithful to ``switchyard/fakes/specs/sentry-openapi-derefed.json`` for what Switchyard uses: organizations,
projects, the organization issue index (cursor pagination through ``Link`` headers), one issue
(GET/PUT), the deprecated per-project issue list, plus the private notes endpoint
(``…/issues/{id}/comments/``), modelled on Sentry's GroupNotesEndpoint. Issues are kept in a dict
and in indexes sorted by lastSeen / firstSeen so a page never scans more than it needs.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

from switchyard.fakes.base import (
    FakeRequest,
    FakeResponse,
    FakeServer,
    Fault,
    json_response,
    route,
)
from switchyard.fakes.sentry import seed as data
from switchyard.fakes.sentry.model import (
    ISSUE_STATUSES,
    SUBSTATUSES,
    BadRequest,
    Issue,
    Org,
    millis,
)
from switchyard.fakes.sentry.paging import (
    Cursor,
    keyed_page,
    limit_param,
    offset_page,
    per_page_param,
)
from switchyard.fakes.sentry.search import date_window, parse_search
from switchyard.fakes.sentry.serializers import SentrySerializers
from switchyard.fakes.sentry.state import SentryState
from switchyard.fakes.sentry.webhooks import SentryWebhooks

DEFAULT_TOKEN = "fake-sentry-token"
TOKEN_SCOPES = (
    "event:admin",
    "event:read",
    "event:write",
    "member:read",
    "org:read",
    "project:read",
)
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}


class FakeSentry(SentryState, SentryWebhooks, SentrySerializers, FakeServer):
    """A stateful fake Sentry: organizations, members, projects, issues and notes."""

    name: ClassVar[str] = "sentry"
    profile: ClassVar[str] = "sentry"  # see PROFILES in switchyard.fakes.sentry

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        organizations: Iterable[str] = ("acme",),
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        FakeServer.__init__(self)
        SentryWebhooks.__init__(self)
        SentryState.__init__(self, organizations, clock=clock)
        self.token = token
        # Older self-hosted Sentry has no organization-wide issue index: set False to answer 404.
        self.org_issue_index = True

    # -- seeding ----------------------------------------------------------------------------

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
        member_ids = [int(fake.add_member(name, email)) for name, email in data.MEMBERS]
        for n in range(projects):
            slug, name, platform = data.PROJECT_CATALOG[n % len(data.PROJECT_CATALOG)]
            if n >= len(data.PROJECT_CATALOG):
                slug, name = f"{slug}-{n // len(data.PROJECT_CATALOG) + 1}", f"{name} {n + 1}"
            fake.add_project(slug, name=name, platform=platform)
        now = millis(fake.clock())
        project_list = list(fake.projects.values())
        with fake.lock:
            for _ in range(issues):
                project = rng.choice(project_list)
                values = data.issue_values(rng, project.platform, member_ids, now)
                issue = fake._new_issue(project, **values)
                fake._by_last_seen.append((-issue.last_seen, -issue.id))
                fake._by_first_seen.append((-issue.first_seen, -issue.id))
                if rng.random() < 0.05:
                    author = rng.choice(member_ids)
                    fake._new_note(issue, author, rng.choice(data.NOTES), issue.last_seen)
            fake._by_last_seen.sort()
            fake._by_first_seen.sort()
        return fake

    def credentials_help(self) -> list[str]:
        """Lines telling a person how to point a Sentry connection at this fake."""
        orgs = ", ".join(self.orgs) or "(none)"
        return [
            f"auth token: {self.token}  (send as 'Authorization: Bearer {self.token}')",
            f"organization slug(s): {orgs}",
            "base URL: the URL above (it replaces https://sentry.io)",
            "webhooks: serve with --webhook-url and --webhook-secret (or call fake.subscribe_webhooks)",
        ]

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
        return offset_page(request, [self._org_json(o) for o in orgs])

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/projects/")
    def list_projects(self, request: FakeRequest, org: str) -> FakeResponse:
        organization = self._org(org)
        if organization is None:
            return self.not_found(request)
        projects = sorted(
            (p for p in self.projects.values() if p.org == organization.slug), key=lambda p: p.slug
        )
        return offset_page(request, [self._project_json(p) for p in projects])

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
        except BadRequest as exc:
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

    # Sentry serves every issue route twice: under /organizations/{org}/issues/ and /issues/.
    @route("GET", r"/api/0/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/")
    def list_issue_notes(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        issue = self._org_issue(self._issue_org(issue_id), issue_id)
        return self.not_found(request) if issue is None else self._notes_page(request, issue)

    @route("POST", r"/api/0/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/")
    def create_issue_note(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        issue = self._org_issue(self._issue_org(issue_id), issue_id)
        return self.not_found(request) if issue is None else self._add_note(request, issue)

    @route(
        "GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/"
    )
    def list_notes(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        return self.not_found(request) if issue is None else self._notes_page(request, issue)

    @route(
        "POST",
        r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/",
    )
    def create_note(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        issue = self._org_issue(org, issue_id)
        return self.not_found(request) if issue is None else self._add_note(request, issue)

    def _notes_page(self, request: FakeRequest, issue: Issue) -> FakeResponse:
        index = sorted((-n.created, -n.id) for n in issue.notes)
        try:
            limit = per_page_param(request)
            cursor = Cursor.parse(request.param("cursor"))
        except BadRequest as exc:
            return json_response(exc.body, 400)
        except ValueError:
            return json_response({"detail": "Invalid cursor parameter."}, 400)
        return keyed_page(
            request,
            index,
            lambda _id: True,
            cursor,
            limit,
            None,
            lambda note_id: self._note_json(self.notes[note_id]),
        )

    def _add_note(self, request: FakeRequest, issue: Issue) -> FakeResponse:
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

    def _requested_projects(self, org: Org, values: list[str]) -> set[int]:
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
            cursor = Cursor.parse(request.param("cursor"))
        except ValueError:
            return json_response({"detail": "Invalid cursor parameter."}, 400)
        try:
            limit = limit_param(request)
            predicates, floor = parse_search(request.param("query", "is:unresolved") or "")
            floor = date_window(request, predicates, floor, self.clock)
        except BadRequest as exc:
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
        return keyed_page(request, index, matches, cursor, limit, floor, render)

    # -- request bodies ---------------------------------------------------------------------

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
            raise BadRequest(errors)
        return changes

    def _json_body(self, request: FakeRequest) -> Any:
        try:
            return request.json()
        except (ValueError, UnicodeDecodeError):
            return None
