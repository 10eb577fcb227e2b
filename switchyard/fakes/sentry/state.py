"""The fake Sentry's state: organizations, members, projects, issues and notes, with their indexes.

Test-side mutators here simulate a person (or Sentry itself, on new events) acting in Sentry; each
change keeps the lastSeen / firstSeen indexes sorted and emits the webhook Sentry would send.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from switchyard.fakes.sentry.model import (
    SENTRY_ACTOR,
    Issue,
    Member,
    Note,
    Org,
    Project,
    millis,
)


class SentryState:
    """Everything a Sentry account holds, with the changes people and events make to it.

    Mixed into FakeSentry, which provides the lock; the webhook methods it calls
    (``_emit_issue``, ``_emit_comment``, ``_actor``) come from SentryWebhooks.
    """

    def __init__(
        self, organizations: Iterable[str], *, clock: Callable[[], datetime] | None
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.orgs: dict[str, Org] = {}
        self.members: dict[int, Member] = {}
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.notes: dict[int, Note] = {}
        # (-lastSeen ms, -id) ascending, i.e. most recently seen first; same for firstSeen.
        self._by_last_seen: list[tuple[int, int]] = []
        self._by_first_seen: list[tuple[int, int]] = []
        self._ids = {"org": 0, "member": 0, "project": 0, "team": 0, "note": 0}
        self._next_issue_id = 4_200_000_000
        self._last_tick = 0
        for slug in organizations:
            self.add_organization(slug)
        self.token_user_id = int(self.add_member("Integration Owner", "owner@example.com"))

    # -- set-up -----------------------------------------------------------------------------

    def add_organization(self, slug: str, name: str | None = None) -> str:
        """Add an organization; returns its id."""
        with self.lock:
            org = Org(self._next("org"), slug, name or slug.replace("-", " ").title(), self._tick())
            self.orgs[slug] = org
            return str(org.id)

    def add_member(self, name: str, email: str, username: str | None = None) -> str:
        """Add a user who is a member of every organization; returns the user id."""
        with self.lock:
            member = Member(self._next("member"), email, name, username or email, self._tick())
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
            project = Project(
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
            seen = self._tick() if first_seen is None else millis(first_seen)
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
                last_seen=seen if last_seen is None else millis(last_seen),
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
        project: Project,
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
    ) -> Issue:
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
        issue = Issue(
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

    def _new_note(self, issue: Issue, author_id: int | None, text: str, at: int) -> Note:
        note = Note(self._next("note") + 9_000_000, issue.id, author_id, text, at)
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

    def delete_issue(self, issue_id: str) -> None:
        """Delete an issue (discarded in Sentry): it is listed no more; Sentry sends no webhook."""
        with self.lock:
            issue = self._issue_or_raise(issue_id)
            del self.issues[issue.id]
            self._by_last_seen.remove((-issue.last_seen, -issue.id))

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

    def _record_event(self, issue: Issue) -> None:
        old = (-issue.last_seen, -issue.id)
        issue.count += 1
        issue.last_seen = max(self._tick(), issue.last_seen + 1)
        del self._by_last_seen[bisect.bisect_left(self._by_last_seen, old)]
        bisect.insort(self._by_last_seen, (-issue.last_seen, -issue.id))

    # -- lookups ----------------------------------------------------------------------------

    def _org(self, id_or_slug: str) -> Org | None:
        if id_or_slug in self.orgs:
            return self.orgs[id_or_slug]
        return next((o for o in self.orgs.values() if str(o.id) == id_or_slug), None)

    def _project(self, id_or_slug: str, org: str | None = None) -> Project | None:
        if id_or_slug.isdigit() and int(id_or_slug) in self.projects:
            project = self.projects[int(id_or_slug)]
            return project if org in (None, project.org) else None
        return next(
            (p for p in self.projects.values() if p.slug == id_or_slug and org in (None, p.org)),
            None,
        )

    def _member(self, key: str) -> Member | None:
        if key.isdigit():
            return self.members.get(int(key))
        return next((m for m in self.members.values() if key in (m.email, m.username)), None)

    def _org_issue(self, org: str, issue_id: str) -> Issue | None:
        organization = self._org(org)
        if organization is None or not issue_id.isdigit():
            return None
        issue = self.issues.get(int(issue_id))
        if issue is None or self.projects[issue.project_id].org != organization.slug:
            return None
        return issue

    def _issue_org(self, issue_id: str) -> str:
        """The organization of an issue addressed without one ("" when there is no such issue)."""
        issue = self.issues.get(int(issue_id)) if issue_id.isdigit() else None
        return "" if issue is None else self.projects[issue.project_id].org

    def _issue_or_raise(self, issue_id: str | int) -> Issue:
        return self.issues[int(issue_id)]

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _tick(self) -> int:
        """Now in ms, strictly increasing so consecutive changes never share a timestamp."""
        self._last_tick = max(millis(self.clock()), self._last_tick + 1)
        return self._last_tick


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
