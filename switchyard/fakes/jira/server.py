"""FakeJira: a stateful Jira Cloud (REST API v3) for tests, the demo and benchmarks.

Routes follow the official spec (``switchyard/fakes/specs/jira-platform-v3.openapi.json``): the same paths,
methods, status codes, pagination (``nextPageToken`` for ``/search/jql``, ``startAt`` elsewhere)
and ``{"errorMessages": [...], "errors": {...}}`` error bodies.
"""

from __future__ import annotations

import base64
import hmac
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from switchyard.fakes.base import (
    FakeRequest,
    FakeResponse,
    FakeServer,
    empty_response,
    json_response,
    route,
)
from switchyard.fakes.jira import seed as data
from switchyard.fakes.jira.model import (
    ISSUE_TYPES,
    PRIORITIES,
    Issue,
    error_response,
    millis,
    text_to_adf,
)
from switchyard.fakes.jira.search import run_search, wanted_fields
from switchyard.fakes.jira.state import JiraState

API = "/rest/api/3"
NO_ISSUE = "Issue does not exist or you do not have permission to see it."


class FakeJira(JiraState, FakeServer):
    """A Jira Cloud site: users, projects with workflows, issues, comments and webhooks."""

    name: ClassVar[str] = "jira"

    def __init__(
        self,
        email: str = "bot@example.com",
        api_token: str = "fake-jira-token",
        site: str = "switchyard-demo",
        *,
        time_zone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        FakeServer.__init__(self)
        JiraState.__init__(
            self, email, site_url=f"https://{site}.atlassian.net", time_zone=time_zone, clock=clock
        )
        self.email = email
        self.api_token = api_token

    # -- seeding and set-up ---------------------------------------------------------------

    @classmethod
    def seeded(
        cls, *, issues: int = 50, projects: int = 3, seed: int = 1, **kwargs: Any
    ) -> FakeJira:
        """A site with people, ``projects`` projects and ``issues`` issues, the same for a seed."""
        fake = cls(**kwargs)
        rng = random.Random(seed)
        humans = [fake._register(user) for user in data.people(rng)]
        for key, name in data.project_names(max(1, projects)):
            fake.add_project(key, name, lead=rng.choice(humans).email)
        project_list = list(fake.projects.values())
        rows = []
        for _ in range(issues):
            created, updated = data.times(rng)
            rows.append((created, updated, rng.choice(project_list), data.issue_values(rng)))
        rows.sort(key=lambda row: row[0])
        for created, updated, project, values in rows:
            issue = fake._new_issue(
                project,
                summary=values["summary"],
                description=values["description"],
                issue_type=values["issue_type"],
                priority=values["priority"],
                labels=values["labels"],
                reporter_id=rng.choice(humans).account_id,
                assignee_id=rng.choice(humans).account_id if rng.random() < 0.6 else None,
                created=created,
                index=False,
            )
            issue.status = project.status(values["status"])
            issue.updated = updated
            if issue.status.category == "done":
                issue.resolved = updated
            if rng.random() < 0.15:
                for _ in range(rng.randint(1, 2)):
                    moment = created + (updated - created) * rng.random()
                    fake._new_comment(
                        issue,
                        rng.choice(humans).account_id,
                        text_to_adf("Looked into this, see logs."),
                        moment,
                    )
        fake.by_updated = sorted((millis(i.updated), i.id) for i in fake.issues.values())
        return fake

    def credentials_help(self) -> list[str]:
        """Lines telling a person how to connect a client to this fake."""
        return [
            "site URL: the URL above (REST self links name " + self.site_url + ")",
            f"email: {self.email}",
            f"API token: {self.api_token}",
            f"projects: {', '.join(self.projects) or '(none)'}",
        ]

    # -- REST: auth and errors ------------------------------------------------------------

    def authenticate(self, request: FakeRequest) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            email, _, token = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(email.encode(), self.email.encode()) and hmac.compare_digest(
            token.encode(), self.api_token.encode()
        )

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        response = error_response(
            401, ["You are not authenticated. Authentication required to perform this operation."]
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
        return response

    def not_found(self, request: FakeRequest) -> FakeResponse:
        return error_response(404, [f"null for uri: {self.site_url}{request.path}"])

    def rate_limited_body(self) -> Any:
        return {"errorMessages": ["Rate limit exceeded."], "errors": {}}

    def server_error_body(self, status: int) -> Any:
        return {"errorMessages": [f"Internal server error ({status})."], "errors": {}}

    # -- REST: users and projects ---------------------------------------------------------

    @route("GET", f"{API}/myself")
    def get_myself(self, request: FakeRequest) -> FakeResponse:
        return json_response(self.renderer.user(self.bot, full=True))

    @route("GET", f"{API}/user/search")
    def find_users(self, request: FakeRequest) -> FakeResponse:
        query = (request.param("query") or "").lower()
        account_id = request.param("accountId")
        if not query and not account_id:
            return error_response(
                400, ["One of 'query' or 'accountId' parameters must be provided."]
            )
        start, limit = _int(request, "startAt", 0), min(_int(request, "maxResults", 50), 1000)
        found = [
            user
            for user in self.users.values()
            if (account_id and user.account_id == account_id)
            or (
                query
                and (
                    user.email.lower().startswith(query)
                    or any(w.lower().startswith(query) for w in user.display_name.split())
                    or user.display_name.lower().startswith(query)
                )
            )
        ]
        return json_response([self.renderer.user(u) for u in found[start : start + limit]])

    @route("GET", f"{API}/project/search")
    def search_projects(self, request: FakeRequest) -> FakeResponse:
        start = _int(request, "startAt", 0)
        limit = max(1, min(_int(request, "maxResults", 50), 100))
        expand = set((request.param("expand") or "").split(","))
        text = (request.param("query") or "").lower()
        keys = {k.upper() for value in request.query.get("keys", []) for k in value.split(",") if k}
        projects = sorted(
            (
                p
                for p in self.projects.values()
                if (not text or text in p.key.lower() or text in p.name.lower())
                and (not keys or p.key in keys)
            ),
            key=lambda p: p.key,
        )
        page = projects[start : start + limit]
        is_last = start + len(page) >= len(projects)
        params = {k: v[0] for k, v in request.query.items()}
        body: dict[str, Any] = {
            "self": f"{self.site_url}{request.path}?{urlencode(params)}",
            "maxResults": limit,
            "startAt": start,
            "total": len(projects),
            "isLast": is_last,
            "values": [self.renderer.project(p, expand=expand) for p in page],
        }
        if not is_last:
            params.update(startAt=str(start + len(page)), maxResults=str(limit))
            body["nextPage"] = f"{self.site_url}{request.path}?{urlencode(params)}"
        return json_response(body)

    # -- REST: search -----------------------------------------------------------------------

    @route("GET", f"{API}/search/jql")
    def search_get(self, request: FakeRequest) -> FakeResponse:
        fields = [f for value in request.query.get("fields", []) for f in value.split(",")]
        return run_search(
            self,
            request.param("jql") or "",
            request.param("nextPageToken"),
            _int(request, "maxResults", 50),
            fields,
        )

    @route("POST", f"{API}/search/jql")
    def search_post(self, request: FakeRequest) -> FakeResponse:
        body, problem = _json_object(request)
        if problem:
            return problem
        fields = body.get("fields") or []
        max_results = body.get("maxResults", 50)
        if not isinstance(fields, list) or not isinstance(max_results, int):
            return error_response(
                400, ["Invalid request payload. Refer to the REST API documentation and try again."]
            )
        return run_search(
            self,
            str(body.get("jql") or ""),
            body.get("nextPageToken"),
            max_results,
            [f for value in fields for f in str(value).split(",")],
        )

    # -- REST: issues ------------------------------------------------------------------------

    def _find(self, id_or_key: str) -> Issue | None:
        if id_or_key.isdigit():
            return self.issues.get(int(id_or_key))
        return self.by_key.get(id_or_key.upper())

    @route("GET", rf"{API}/issue/(?P<key>[^/]+)")
    def get_issue(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        fields = [f for value in request.query.get("fields", []) for f in value.split(",")]
        return json_response(self.renderer.issue(issue, wanted_fields(fields or ["*all"])))

    @route("POST", f"{API}/issue")
    def create_issue(self, request: FakeRequest) -> FakeResponse:
        body, problem = _json_object(request)
        if problem:
            return problem
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
        project_ref = fields.get("project") if isinstance(fields.get("project"), dict) else {}
        project = self.projects.get(str(project_ref.get("key", "")).upper()) or next(
            (p for p in self.projects.values() if p.id == str(project_ref.get("id"))), None
        )
        errors: dict[str, str] = {}
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        type_ref = fields.get("issuetype") if isinstance(fields.get("issuetype"), dict) else {}
        issue_type = next(
            (
                t
                for t in ISSUE_TYPES
                if type_ref
                and type_ref.get("name") in (t[1], None)
                and type_ref.get("id") in (t[0], None)
            ),
            None,
        )
        if issue_type is None:
            errors["issuetype"] = (
                "Specify an issue type" if not type_ref else "The issue type selected is invalid."
            )
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        values, field_errors = self._field_values(
            {k: v for k, v in fields.items() if k not in ("project", "issuetype", "summary")}
        )
        errors.update(field_errors)
        if errors:
            return error_response(400, [], errors)
        assert project is not None and issue_type is not None
        issue = self._new_issue(
            project,
            summary=fields["summary"],
            description=values.get("description"),
            issue_type=issue_type,
            priority=values.get("priority", "Medium"),
            labels=values.get("labels", []),
            reporter_id=self.bot.account_id,
            assignee_id=values.get("assignee"),
            created=self._now(),
        )
        self._emit("jira:issue_created", issue, self.bot)
        return json_response(
            {
                "id": str(issue.id),
                "key": issue.key,
                "self": f"{self.site_url}{API}/issue/{issue.id}",
            },
            201,
        )

    @route("PUT", rf"{API}/issue/(?P<key>[^/]+)")
    def edit_issue(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        body, problem = _json_object(request)
        if problem:
            return problem
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
        summary = fields.pop("summary", None)
        values, errors = self._field_values(fields)
        if summary is not None:
            if not isinstance(summary, str) or not summary.strip():
                errors["summary"] = "You must specify a summary of the issue."
            else:
                values["summary"] = summary
        if errors:
            return error_response(400, [], errors)
        self._update(issue, values, self.bot)
        return empty_response(204)

    def _field_values(self, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Validated values of the settable fields other than project, issue type and summary."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, value in fields.items():
            if name == "description":
                if value is None or (
                    isinstance(value, dict)
                    and value.get("type") == "doc"
                    and value.get("version") == 1
                    and isinstance(value.get("content"), list)
                ):
                    values["description"] = value
                else:
                    errors[name] = (
                        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                    )
            elif name == "priority":
                priority = value.get("name") if isinstance(value, dict) else None
                if priority in PRIORITIES:
                    values["priority"] = priority
                else:
                    errors[name] = "The priority selected is invalid."
            elif name == "labels":
                if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    errors[name] = "Labels must be a list of strings."
                elif bad := [v for v in value if any(c.isspace() for c in v)]:
                    errors[name] = f"The label '{bad[0]}' contains spaces which is invalid."
                else:
                    values["labels"] = list(dict.fromkeys(value))
            elif name == "assignee":
                account = value.get("accountId") if isinstance(value, dict) else None
                if value is None or account is None and isinstance(value, dict) and not value:
                    values["assignee"] = None
                elif account in self.users:
                    values["assignee"] = account
                else:
                    errors[name] = f"User '{account}' does not exist."
            else:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        return values, errors

    @route("GET", rf"{API}/issue/(?P<key>[^/]+)/transitions")
    def get_transitions(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        transitions = issue.project.transitions_from(issue.status)
        return json_response(
            {
                "expand": "transitions",
                "transitions": [self.renderer.transition(t) for t in transitions],
            }
        )

    @route("POST", rf"{API}/issue/(?P<key>[^/]+)/transitions")
    def do_transition(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        body, problem = _json_object(request)
        if problem:
            return problem
        ref = body.get("transition") if isinstance(body.get("transition"), dict) else {}
        transition_id = ref.get("id")
        if not transition_id:
            return error_response(400, ["Missing 'transition' identifier"])
        chosen = next(
            (t for t in issue.project.transitions_from(issue.status) if t.id == str(transition_id)),
            None,
        )
        if chosen is None:
            return error_response(
                400, [f"Transition id '{transition_id}' is not valid for this issue."]
            )
        self._transition(issue, chosen.to, self.bot)
        return empty_response(204)

    # -- REST: comments ------------------------------------------------------------------------

    @route("GET", rf"{API}/issue/(?P<key>[^/]+)/comment")
    def get_comments(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        start = _int(request, "startAt", 0)
        limit = max(1, min(_int(request, "maxResults", 100), 5000))
        comments = sorted(
            issue.comments,
            key=lambda c: (c.created, int(c.id)),
            reverse=request.param("orderBy") == "-created",
        )
        page = comments[start : start + limit]
        return json_response(
            {
                "startAt": start,
                "maxResults": limit,
                "total": len(comments),
                "comments": [self.renderer.comment(issue, c) for c in page],
            }
        )

    @route("POST", rf"{API}/issue/(?P<key>[^/]+)/comment")
    def add_comment_api(self, request: FakeRequest, key: str) -> FakeResponse:
        issue = self._find(key)
        if issue is None:
            return error_response(404, [NO_ISSUE])
        body, problem = _json_object(request)
        if problem:
            return problem
        adf = body.get("body")
        if not isinstance(adf, dict) or adf.get("type") != "doc" or not adf.get("content"):
            return error_response(400, [], {"comment": "Comment body can not be empty!"})
        comment = self._new_comment(issue, self.bot.account_id, adf, self._now())
        self._touch(issue, issue.updated)
        self._emit("comment_created", issue, self.bot, comment_id=comment.id)
        return json_response(self.renderer.comment(issue, comment), 201)


def _int(request: FakeRequest, name: str, default: int) -> int:
    try:
        return max(0, int(request.param(name) or default))
    except ValueError:
        return default


def _json_object(request: FakeRequest) -> tuple[dict[str, Any], FakeResponse | None]:
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return {}, error_response(
            400, ["Unexpected character in the request body: not valid JSON."]
        )
    if not isinstance(body, dict):
        return {}, error_response(
            400, ["Invalid request payload. Refer to the REST API documentation and try again."]
        )
    return body, None


__all__ = ["FakeJira"]
