"""Fake Sentry plus a fake tracker (Jira or Linear), answering in-process, and a person acting in it.

Every test that takes ``tracker`` runs once per tracker kind.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.core import http
from switchyard.fakes.jira import FakeJira
from switchyard.fakes.linear import FakeLinear
from switchyard.fakes.sentry import PROFILES
from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection, WebhookDelivery
from switchyard.trackers.connectors.jira import webhooks as jira_webhooks
from switchyard.trackers.connectors.jira.adf import adf_to_markdown
from switchyard.trackers.connectors.linear import webhooks as linear_webhooks
from switchyard.trackers.connectors.registry import CONNECTORS
from switchyard.trackers.models import TicketLink, TrackerProject

SENTRY_URL = "https://sentry.test"
JIRA_URL = "https://acme.atlassian.test"
LINEAR_URL = "https://linear.test/graphql"
PERSON = "dana@acme.example"
WEBHOOK_SECRET = "tracker-secret"


class JiraWorld:
    """A person working in the fake Jira."""

    kind = "jira"
    url = JIRA_URL
    review_status = "In Review"
    in_progress_status = "In Progress"

    def __init__(self) -> None:
        self.fake = FakeJira()
        self.person = self.fake.add_user(PERSON, "Dana Developer").email
        self.fake.add_project("PAY", "Payments", lead=PERSON)
        self.fake.add_project("LOCKED", "Locked workflow", lead=PERSON, done_transitions=False)
        self.fake.create_issue_as_user("PAY", "Checkout button unresponsive", reporter=PERSON)

    def connection_fields(self) -> dict:
        return {
            "base_url": self.url,
            "account_email": self.fake.bot.email,
            "api_token": "fake-jira-token",
        }

    def project_key(self, locked: bool = False) -> str:
        return "LOCKED" if locked else "PAY"

    def remote(self, key: str) -> dict:
        issue = self.fake.issue(key)
        return {
            "summary": issue.summary,
            "status": issue.status.name,
            "closed": issue.status.category == "done",
            "labels": list(issue.labels),
            "priority": issue.priority,
            "assignee": self.fake.users[issue.assignee_id].email if issue.assignee_id else None,
            "comments": [
                (self.fake.users[c.author_id].email, adf_to_markdown(c.body))
                for c in issue.comments
            ],
            "description": issue.description,  # stored as ADF, as Jira does
        }

    def count(self, project_key: str) -> int:
        return sum(1 for issue in self.fake.issues.values() if issue.project.key == project_key)

    def close(self, key: str) -> None:
        self.fake.transition_by_name(key, "Done", by=PERSON)

    def move(self, key: str, status: str) -> None:
        self.fake.transition_by_name(key, status, by=PERSON)

    def comment(self, key: str, text: str, *, as_bot: bool = False) -> None:
        self.fake.add_comment(key, text, author=self.fake.bot.email if as_bot else PERSON)

    def assign(self, key: str, email: str) -> None:
        self.fake.assign(key, email, by=PERSON)

    def fail_creates(self) -> None:
        self.fake.timeout_next(method="POST", path=r"/rest/api/3/issue$")

    # Fields the platform spec does not promise in every answer (or that a proxy may drop).
    OPTIONAL_ISSUE_FIELDS = (
        "self",
        "fields.description",
        "fields.priority",
        "fields.labels",
        "fields.assignee",
        "fields.reporter",
        "fields.created",
        "fields.resolutiondate",
    )

    def thin_reads(self, *, times: int = 50) -> None:
        """Issue searches and reads answer without the optional fields."""
        self.fake.strip_next(
            *(f"issues.{name}" for name in self.OPTIONAL_ISSUE_FIELDS),
            path=r"/search/jql$",
            times=times,
        )
        self.fake.strip_next(
            *self.OPTIONAL_ISSUE_FIELDS, method="GET", path=r"/issue/[^/]+$", times=times
        )

    def thin_create_answers(self, *, times: int = 50) -> None:
        """Creates answer with neither the key nor the id of what they made (a 2xx all the same)."""
        self.fake.strip_next("key", "id", method="POST", path=r"/issue$", times=times)

    def blank_write_answers(self, *, times: int = 50) -> None:
        """Every write answers its 2xx with an empty body."""
        self.fake.strip_next(method="POST", path=r"/issue$|/transitions$|/comment$", times=times)
        self.fake.strip_next(method="PUT", path=r"/issue/", times=times)

    def last_change_webhook(self, key: str) -> tuple[dict, bytes]:
        issue = self.fake.issue(key)
        changelog = [
            {
                "field": "status",
                "fieldtype": "jira",
                "from": None,
                "fromString": None,
                "to": issue.status.id,
                "toString": issue.status.name,
            }
        ]
        return self.fake.build_webhook(
            "jira:issue_updated", key, changelog=changelog, by=PERSON, secret=WEBHOOK_SECRET
        )

    def last_comment_webhook(self, key: str) -> tuple[dict, bytes]:
        comment = self.fake.issue(key).comments[-1]
        author = self.fake.users[comment.author_id].email
        return self.fake.build_webhook(
            "comment_created", key, comment_id=comment.id, by=author, secret=WEBHOOK_SECRET
        )

    def fresh_delivery_headers(self) -> dict:
        return {"X-Atlassian-Webhook-Identifier": str(uuid.uuid4())}

    def signed_headers(self, body: bytes) -> dict:
        return {"X-Hub-Signature": jira_webhooks.signature(WEBHOOK_SECRET, body)}

    def create_remote_ticket(self, summary: str) -> str:
        return self.fake.create_issue_as_user("PAY", summary, reporter=PERSON)

    def remote_priority(self, local: str) -> str:
        return {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Highest"}[local]

    # -- customer issues: an organization may use a Jira project instead of a Linear team --

    def use_for_support(self, settings, project) -> None:
        settings.tracker_project = project
        settings.save()

    def check_linear_fields(self, issue: dict, linear_data: dict | None) -> None:
        # The linear_* fields describe a Linear link only.
        assert linear_data is None and issue["synced_to_linear"] is False


def ticket_key_of(issue_id: int) -> str:
    """The key of the ticket linked to a customer issue."""
    return TicketLink.objects.get(
        source_type__model="customerissue", source_id=issue_id, is_active=True
    ).ticket.key


class LinearWorld:
    """A person working in the fake Linear."""

    kind = "linear"
    url = LINEAR_URL
    review_status = "In Review"
    in_progress_status = "In Progress"

    def __init__(self) -> None:
        self.fake = FakeLinear()
        self.fake.add_user("Dana Developer", PERSON)
        self.fake.add_team("PAY", "Payments")
        # Labels already there, in another case than Switchyard's: tickets must reuse them.
        self.fake.add_label("Sentry")
        self.fake.add_label("checkout", team_key="PAY")
        locked = self.fake.add_team("LOCKED", "Locked workflow")
        # A team whose workflow has no completed or canceled state: nothing can move into done.
        for state_id in [
            s["id"]
            for s in self.fake.states.values()
            if s["team"]["id"] == locked and s["type"] in ("completed", "canceled")
        ]:
            del self.fake.states[state_id]
        self.fake.create_issue_as_user("PAY", "Checkout button unresponsive", creator=PERSON)

    def connection_fields(self) -> dict:
        return {"base_url": self.url, "api_token": self.fake.api_key}

    def project_key(self, locked: bool = False) -> str:
        return "LOCKED" if locked else "PAY"

    def _issue(self, key: str):
        return next(i for i in self.fake.issues.values() if self.fake._identifier(i) == key)

    def remote(self, key: str) -> dict:
        issue = self._issue(key)
        state = self.fake.states[issue.state_id]
        comments = [c for c in self.fake.comments.values() if c.issue_id == issue.id]
        return {
            "summary": issue.title,
            "status": state["name"],
            "closed": state["type"] in ("completed", "canceled"),
            "labels": self.fake.label_names(issue),
            "priority": str(issue.priority),
            "assignee": self.fake.users[issue.assignee_id]["email"] if issue.assignee_id else None,
            "comments": [(self.fake.users[c.user_id]["email"], c.body) for c in comments],
            "description": issue.description,
        }

    def count(self, project_key: str) -> int:
        team_id = self.fake.team_by_key(project_key)["id"]
        return sum(1 for issue in self.fake.issues.values() if issue.team_id == team_id)

    def close(self, key: str) -> None:
        self.fake.move_issue_to_state(self._issue(key).id, "Done", by=PERSON)

    def move(self, key: str, status: str) -> None:
        self.fake.move_issue_to_state(self._issue(key).id, status, by=PERSON)

    def comment(self, key: str, text: str, *, as_bot: bool = False) -> None:
        self.fake.add_comment(self._issue(key).id, text, author=None if as_bot else PERSON)

    def assign(self, key: str, email: str) -> None:
        self.fake.assign(self._issue(key).id, email, by=PERSON)

    def fail_creates(self) -> None:
        self.fake.timeout_next(method="POST", body=r"mutation IssueCreate")

    OPTIONAL_ISSUE_FIELDS = (
        "url",
        "description",
        "assignee",
        "creator",
        "labels",
        "createdAt",
        "completedAt",
        "canceledAt",
        "state.position",
    )

    def thin_reads(self, *, times: int = 50) -> None:
        """Issue listings and reads answer without the optional fields."""
        self.fake.strip_next(
            *(f"data.issues.nodes.{name}" for name in self.OPTIONAL_ISSUE_FIELDS),
            body=r"query Issues\b",
            times=times,
        )
        self.fake.strip_next(
            *(f"data.issue.{name}" for name in self.OPTIONAL_ISSUE_FIELDS),
            body=r"query Issue\b",
            times=times,
        )

    def thin_create_answers(self, *, times: int = 50) -> None:
        """Creates answer without the issue they made (a success all the same)."""
        self.fake.strip_next("data.issueCreate.issue", body=r"mutation IssueCreate", times=times)

    def blank_write_answers(self, *, times: int = 50) -> None:
        """Every mutation answers HTTP 200 with an empty body."""
        self.fake.strip_next(body=r"mutation \w+(Create|Update)\b", times=times)

    def last_change_webhook(self, key: str) -> tuple[dict, bytes]:
        return self.fake.issue_webhook(self._issue(key).id, secret=WEBHOOK_SECRET)

    def last_comment_webhook(self, key: str) -> tuple[dict, bytes]:
        issue = self._issue(key)
        comment = [c for c in self.fake.comments.values() if c.issue_id == issue.id][-1]
        return self.fake.comment_webhook(comment.id, secret=WEBHOOK_SECRET)

    def fresh_delivery_headers(self) -> dict:
        return {"Linear-Delivery": str(uuid.uuid4())}

    def signed_headers(self, body: bytes) -> dict:
        return {"Linear-Signature": linear_webhooks.signature(WEBHOOK_SECRET, body)}

    def create_remote_ticket(self, summary: str) -> str:
        return self.fake.create_issue_as_user("PAY", summary, creator=PERSON)

    def remote_priority(self, local: str) -> str:
        return {"low": "4", "medium": "3", "high": "2", "urgent": "1"}[local]

    def use_for_support(self, settings, project) -> None:
        settings.linear_team_id = project.external_id
        settings.save()

    def check_linear_fields(self, issue: dict, linear_data: dict | None) -> None:
        assert issue["synced_to_linear"] is True
        assert linear_data["identifier"].startswith("PAY-") and linear_data["state"] == "Todo"
        assert (
            issue["linear_issue_id"] == linear_data["id"]
            and issue["linear_issue_url"] == linear_data["url"]
        )


WORLDS = {"jira": JiraWorld, "linear": LinearWorld}


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(http, "pause", lambda seconds: None)


@pytest.fixture
def sentry_profile() -> str:
    """The fake Sentry's behaviour profile; a test parametrizes it to run against GlitchTip."""
    return "sentry"


@pytest.fixture
def fake_sentry(sentry_profile):
    fake = PROFILES[sentry_profile].seeded(issues=60, projects=2, seed=3)
    fake.add_member("Dana Developer", PERSON)
    http.mount_transport(SENTRY_URL, fake.transport())
    yield fake
    http.mount_transport(SENTRY_URL, None)


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture(params=sorted(kind for kind in WORLDS if kind in CONNECTORS))
def tracker(request, admin, fake_sentry):
    """A synced Sentry connection and a synced tracker connection of one kind, with its fake."""
    world = WORLDS[request.param]()
    http.mount_transport(world.url, world.fake.transport())
    Connection.objects.create(
        organization=admin.organization,
        kind="sentry",
        name="Sentry",
        base_url=SENTRY_URL,
        remote_organization="acme",
        api_token=fake_sentry.token,
        webhook_secret="sentry-secret",
    )
    world.connection = Connection.objects.create(
        organization=admin.organization,
        kind=world.kind,
        name=world.kind.title(),
        webhook_secret=WEBHOOK_SECRET,
        **world.connection_fields(),
    )
    call_command("sync", stdout=open("/dev/null", "w"))
    world.project = TrackerProject.objects.get(connection=world.connection, key=world.project_key())
    world.locked_project = TrackerProject.objects.get(
        connection=world.connection, key=world.project_key(locked=True)
    )
    yield world
    http.mount_transport(world.url, None)


@pytest.fixture
def unresolved_issues(tracker):
    return list(SentryIssue.objects.filter(status="unresolved").order_by("pk"))


def deliver_webhook(
    client, connection: Connection, headers: dict, body: bytes, capture
) -> WebhookDelivery:
    """Post a signed delivery to Switchyard's endpoint and let the worker apply it."""
    with capture(execute=True):
        response = client.post(
            f"/api/webhooks/{connection.kind}/{connection.uuid}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code in (200, 202), response.content
    return WebhookDelivery.objects.filter(connection=connection).order_by("-received_at").first()
