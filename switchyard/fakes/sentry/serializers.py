"""The fake Sentry's JSON: its rows as the spec's response schemas describe them."""

from __future__ import annotations

import hashlib
from typing import Any

from switchyard.fakes.sentry.model import MS, Issue, Member, Note, Org, Project, iso


class SentrySerializers:
    """JSON shapes of users, organizations, projects, issues and notes.

    Mixed into FakeSentry; reads its ``members`` and ``projects`` and its ``clock``.
    """

    def _user_json(self, member: Member) -> dict[str, Any]:
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
            "dateJoined": iso(member.joined),
            "lastLogin": iso(member.joined),
            "has2fa": False,
            "lastActive": iso(member.joined),
            "isSuperuser": False,
            "isStaff": False,
            "experiments": {},
            "emails": [{"id": str(member.id), "email": member.email, "is_verified": True}],
            "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
        }

    def _org_json(self, org: Org) -> dict[str, Any]:
        return {
            "id": str(org.id),
            "slug": org.slug,
            "status": {"id": "active", "name": "active"},
            "name": org.name,
            "dateCreated": iso(org.created),
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

    def _project_json(self, project: Project) -> dict[str, Any]:
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
            "dateCreated": iso(project.created),
            "isMember": True,
            "hasAccess": True,
            "features": [],
            "firstEvent": iso(project.created),
            "access": ["event:read", "event:write", "project:read"],
            "team": team,
            "teams": [team],
            "platforms": [project.platform] if project.platform else [],
            "environments": ["production"],
            "latestRelease": None,
            "latestDeploys": None,
            **dict.fromkeys(flags, False),
        }

    def _assigned_json(self, issue: Issue) -> dict[str, Any] | None:
        if issue.assignee_id is None:
            return None
        member = self.members[issue.assignee_id]
        return {"type": "user", "id": str(member.id), "name": member.name, "email": member.email}

    def _permalink(self, issue: Issue) -> str:
        return f"https://{self.projects[issue.project_id].org}.sentry.io/issues/{issue.id}/"

    def _issue_json(self, issue: Issue) -> dict[str, Any]:
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
            "firstSeen": iso(issue.first_seen),
            "lastSeen": iso(issue.last_seen),
        }

    def _derived(self, issue: Issue) -> dict[str, Any]:
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

    def _stats_24h(self, issue: Issue) -> list[list[int]]:
        hour = int(self.clock().timestamp()) // 3600 * 3600
        recent = issue.last_seen >= (hour - 23 * 3600) * MS
        return [[hour - (23 - n) * 3600, 1 if recent and n == 23 else 0] for n in range(24)]

    def _issue_list_json(self, issue: Issue) -> dict[str, Any]:
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
                "firstSeen": iso(issue.first_seen),
                "lastSeen": iso(issue.last_seen),
            },
            "filtered": None,
            "sessionCount": 0,
            "inbox": {"reason": 0, "reason_details": None, "date_added": iso(issue.first_seen)},
            "owners": {
                "type": "ownershipRule",
                "owner": f"team:{project.team_id}",
                "date_added": iso(issue.first_seen),
            },
            "integrationIssues": [],
            "sentryAppIssues": [],
            "latestEventHasAttachments": False,
            "matchingEventId": None,
            "matchingEventEnvironment": None,
        }

    def _project_issue_json(self, issue: Issue) -> dict[str, Any]:
        """One item of the deprecated per-project issue list."""
        return {**self._issue_json(issue), "stats": {"24h": self._stats_24h(issue)}}

    def _issue_detail_json(self, issue: Issue) -> dict[str, Any]:
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

    def _note_json(self, note: Note) -> dict[str, Any]:
        """A NOTE activity as Sentry's ActivitySerializer shapes it."""
        author = None if note.author_id is None else self._user_json(self.members[note.author_id])
        return {
            "id": str(note.id),
            "user": author,
            "sentry_app": None,
            "type": "note",
            "data": {"text": note.text},
            "dateCreated": iso(note.created),
        }
