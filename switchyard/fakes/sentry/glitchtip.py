"""FakeGlitchTip: the fake Sentry behaving as GlitchTip, a Sentry-compatible server (a Django project).

What differs from Sentry in the routes Switchyard uses, as GlitchTip's API code
(``apps/issue_events/api/``, django-ninja) answers them:

- Issue lists take ``sort`` among ``last_seen first_seen count priority`` (each optionally with
  ``-``, default ``-last_seen``); anything else, Sentry's ``date`` included, is a 422 naming the
  parameter in django-ninja's shape (``{"detail": [{"loc": ["query", "sort"], "msg": ...}]}``).
- Search reads ``is:<status>``, free text, and every other ``key:value`` as a tag filter, so
  ``lastSeen:>=…`` matches nothing. ``start``/``end`` bound ``firstSeen``, not ``lastSeen``.
- Issues carry no ``substatus``, ``priority`` or ``assignedTo``; ``permalink`` is the text
  "Not implemented"; the answer to a PUT is serialized without aliases, so it says
  ``user_count``, ``share_id`` and ``status_details``. A PUT changes the status only.
- One issue is read at ``/api/0/issues/{id}/``; the organization route serves PUT only (405).
- Notes live at ``/api/0/issues/{id}/comments/`` and take ``{"data": {"text": ...}}``; the
  organization-scoped notes route is not an API route: the web app's HTML answers it (a CSRF
  403 to a POST, a 404 page to a GET).
- Errors: ``{"detail": "Not Found"}``, ``{"detail": "Unauthorized"}``, 429 with ``{"message"}``.
- No Sentry integration webhooks are sent.
"""

from __future__ import annotations

import math
import shlex
from typing import Any, ClassVar

from switchyard.fakes.base import FakeRequest, FakeResponse, json_response, route
from switchyard.fakes.sentry.model import BadRequest, Issue, Note, Project, iso
from switchyard.fakes.sentry.paging import Cursor, keyed_page, limit_param
from switchyard.fakes.sentry.search import parse_date
from switchyard.fakes.sentry.server import FakeSentry

SORTS = (
    "last_seen",
    "first_seen",
    "count",
    "priority",
    "-last_seen",
    "-first_seen",
    "-count",
    "-priority",
)
STATUSES = ("unresolved", "resolved", "ignored")
CSRF_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><title>403 Forbidden</title></head>\n'
    b"<body><h1>Forbidden <span>(403)</span></h1><p>CSRF verification failed. "
    b"Request aborted.</p></body>\n</html>\n"
)
NOT_FOUND_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><title>Not Found</title></head>\n'
    b"<body><h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
    b"</body>\n</html>\n"
)


def _invalid(loc: list[Any], msg: str, kind: str = "literal_error") -> FakeResponse:
    """django-ninja's answer to a parameter or body that fails validation."""
    return json_response({"detail": [{"type": kind, "loc": loc, "msg": msg}]}, 422)


def _html(status: int, page: bytes) -> FakeResponse:
    return FakeResponse(status, page, {"Content-Type": "text/html; charset=utf-8"})


class FakeGlitchTip(FakeSentry):
    """The fake Sentry's state and data, answering as GlitchTip does."""

    profile: ClassVar[str] = "glitchtip"

    # -- errors and identity ------------------------------------------------------------------

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        return json_response({"detail": "Unauthorized"}, 401)

    def not_found(self, request: FakeRequest) -> FakeResponse:
        return json_response({"detail": "Not Found"}, 404)

    def rate_limited_body(self) -> Any:
        return {"message": "Please retry later"}

    @route("GET", r"/api/0/")
    def get_index(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("Authorization") is None:
            return json_response({"version": "0", "user": None, "auth": None})
        member = self.members[self.token_user_id]
        user = {
            "id": member.id,
            "email": member.email,
            "name": member.name,
            "username": member.email,
            "dateJoined": iso(member.joined),
        }
        scopes = ["event:admin", "event:read", "event:write", "org:read", "project:read"]
        auth = {"id": 1, "label": "switchyard", "scopes": scopes, "created": iso(member.joined)}
        return json_response({"version": "0", "user": user, "auth": auth})

    # -- issue lists ----------------------------------------------------------------------------

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/")
    def list_org_issues(self, request: FakeRequest, org: str) -> FakeResponse:
        organization = self._org(org)
        if organization is None:
            return self.not_found(request)
        in_org = {p.id for p in self.projects.values() if p.org == organization.slug}
        wanted = request.query.get("project", [])
        for n, value in enumerate(wanted):
            if not value.lstrip("-").isdigit():
                return _invalid(
                    ["query", "project", n],
                    "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing",
                )
        chosen = {int(v) for v in wanted} & in_org if wanted else in_org
        return self._glitchtip_page(request, chosen)

    @route("GET", r"/api/0/projects/(?P<org>[^/]+)/(?P<project>[^/]+)/issues/")
    def list_project_issues(self, request: FakeRequest, org: str, project: str) -> FakeResponse:
        organization = self._org(org)
        proj = self._project(project, organization.slug) if organization else None
        return self._glitchtip_page(request, {proj.id} if proj else set())

    def _glitchtip_page(self, request: FakeRequest, project_ids: set[int]) -> FakeResponse:
        sort = request.param("sort", "-last_seen")
        if sort not in SORTS:
            expected = ", ".join(f"'{s}'" for s in SORTS[:-1]) + f" or '{SORTS[-1]}'"
            return _invalid(["query", "sort"], f"Input should be {expected}")
        try:
            predicates = self._search(request.param("query") or "")
            cursor = Cursor.parse(request.param("cursor"))
            limit = limit_param(request)
            start, end = request.param("start"), request.param("end")
            if start:
                low = parse_date(start)
                predicates.append(lambda i: i.first_seen >= low)
            if end:
                high = parse_date(end)
                predicates.append(lambda i: i.first_seen <= high)
        except (BadRequest, ValueError):
            return json_response({"detail": "Invalid cursor or date"}, 400)
        issues = self.issues
        field = sort.lstrip("-")
        sign = 1 if sort.startswith("-") else -1  # keyed_page walks a descending key
        index = sorted((-sign * self._sort_key(i, field), -sign * i.id) for i in issues.values())

        def matches(issue_id: int) -> bool:
            issue = issues[issue_id]
            return issue.project_id in project_ids and all(p(issue) for p in predicates)

        def render(issue_id: int) -> dict[str, Any]:
            return self._glitchtip_issue(issues[issue_id])

        return keyed_page(request, index, matches, cursor, limit, None, render)

    @staticmethod
    def _sort_key(issue: Issue, field: str) -> int:
        if field == "priority":
            # GlitchTip: LOG10(count) + EXTRACT(EPOCH FROM last_seen) / 300000
            return int((math.log10(max(issue.count, 1)) + issue.last_seen / 1000 / 300_000) * 1e6)
        return {"last_seen": issue.last_seen, "first_seen": issue.first_seen}.get(
            field, issue.count
        )

    @staticmethod
    def _search(query: str) -> list:
        predicates = []
        terms = shlex.split(query)
        for n, term in enumerate(terms):
            key, sep, value = term.partition(":")
            if not sep:
                text = " ".join(terms[n:]).lower()
                predicates.append(lambda i, t=text: t in i.title.lower())
                break
            value = value.strip('"')
            if key == "is":
                predicates.append(lambda i, v=value: i.status == v)
            else:
                # Any other key:value is a tag filter; these issues carry no tags.
                predicates.append(lambda i: False)
        return predicates

    # -- one issue --------------------------------------------------------------------------

    @route("GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/")
    def get_issue(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        # Only PUT is routed here; django-ninja answers other methods with a 405.
        return json_response({"detail": "Method not allowed"}, 405)

    @route("GET", r"/api/0/issues/(?P<issue_id>\d+)/")
    def get_unscoped_issue(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        issue = self._org_issue(self._issue_org(issue_id), issue_id)
        if issue is None:
            return self.not_found(request)
        return json_response({**self._glitchtip_issue(issue), "userReportCount": 0})

    @route("PUT", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/")
    def update_issue(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        return self._glitchtip_update(request, self._org_issue(org, issue_id))

    @route("PUT", r"/api/0/issues/(?P<issue_id>\d+)/")
    def update_unscoped_issue(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        return self._glitchtip_update(request, self._org_issue(self._issue_org(issue_id), issue_id))

    def _glitchtip_update(self, request: FakeRequest, issue: Issue | None) -> FakeResponse:
        if issue is None:
            return self.not_found(request)
        body = self._json_body(request)
        if not isinstance(body, dict):
            return _invalid(["body", "payload"], "Input should be a valid dictionary", "dict_type")
        status = body.get("status")
        if status is not None and status not in STATUSES:
            return _invalid(
                ["body", "payload", "status"],
                "Input should be 'unresolved', 'resolved' or 'ignored'",
                "enum",
            )
        if status is not None:  # assignedTo and the rest are ignored
            issue.status, issue.substatus = status, None
        answer = self._glitchtip_issue(issue)
        # The PUT answer is serialized by field name, not alias.
        for alias, name in (
            ("userCount", "user_count"),
            ("shareId", "share_id"),
            ("statusDetails", "status_details"),
            ("subscriptionDetails", "subscription_details"),
            ("matchingEventId", "matching_event_id"),
        ):
            answer[name] = answer.pop(alias)
        return json_response({**answer, "userReportCount": 0})

    # -- notes ----------------------------------------------------------------------------------

    @route("GET", r"/api/0/issues/(?P<issue_id>[^/]+)/comments/")
    def list_issue_notes(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        return super().list_issue_notes(request, issue_id)

    @route("POST", r"/api/0/issues/(?P<issue_id>[^/]+)/comments/")
    def create_issue_note(self, request: FakeRequest, issue_id: str) -> FakeResponse:
        issue = self._org_issue(self._issue_org(issue_id), issue_id)
        if issue is None:
            return json_response({"detail": "Issue does not exist"}, 400)
        body = self._json_body(request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return _invalid(["body", "payload", "data"], "Field required", "missing")
        note = self._new_note(issue, self.token_user_id, data["text"], self._tick())
        return json_response(self._note_json(note), 201)

    @route(
        "GET", r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/"
    )
    def list_notes(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        return _html(404, NOT_FOUND_PAGE)

    @route(
        "POST",
        r"/api/0/organizations/(?P<org>[^/]+)/issues/(?P<issue_id>[^/]+)/(?:comments|notes)/",
    )
    def create_note(self, request: FakeRequest, org: str, issue_id: str) -> FakeResponse:
        return _html(403, CSRF_PAGE)

    # -- JSON -------------------------------------------------------------------------------------

    def _glitchtip_issue(self, issue: Issue) -> dict[str, Any]:
        """GlitchTip's IssueSchema, by alias (lists and the single issue)."""
        project = self.projects[issue.project_id]
        return {
            "id": str(issue.id),
            "count": str(issue.count),
            "type": issue.type,
            "level": issue.level,
            "status": issue.status,
            "project": {
                "id": str(project.id),
                "platform": project.platform,
                "slug": project.slug,
                "name": project.name,
            },
            "shortId": issue.short_id,
            "numComments": len(issue.notes),
            "stats": {"24h": []},
            "shareId": None,
            "logger": None,
            "permalink": "Not implemented",
            "statusDetails": {},
            "subscriptionDetails": None,
            "userCount": issue.user_count,
            "matchingEventId": None,
            "firstSeen": iso(issue.first_seen),
            "lastSeen": iso(issue.last_seen),
            "title": issue.title,
            "metadata": dict(issue.metadata),
            "culprit": issue.culprit or "",
        }

    def _project_json(self, project: Project) -> dict[str, Any]:
        return {
            "id": str(project.id),
            "name": project.name,
            "slug": project.slug,
            "platform": project.platform,
            "dateCreated": iso(project.created),
            "firstEvent": None,
            "avatar": {"avatarType": "", "avatarUuid": None},
            "color": "",
            "features": [],
            "hasAccess": True,
            "isBookmarked": False,
            "isInternal": False,
            "isMember": True,
            "isPublic": False,
            "scrubIPAddresses": True,
            "eventThrottleRate": 0,
        }

    def _note_json(self, note: Note) -> dict[str, Any]:
        author = None if note.author_id is None else self.members[note.author_id]
        return {
            "id": note.id,
            "data": {"text": note.text},
            "type": "note",
            "dateCreated": iso(note.created),
            "user": None if author is None else {"id": str(author.id), "email": author.email},
        }

    # GlitchTip sends alerts, not Sentry's integration webhooks.

    def _emit_issue(self, action: str, issue: Issue, actor: Any) -> None:
        return None

    def _emit_comment(self, action: str, note: Note, actor: Any) -> None:
        return None
