"""The demo organization's remotes: connections to the fake Sentry, Jira and Linear, and what
the demo builds on them once they answer (project mappings, an automation rule, customer issues).

Two steps, because the fakes need each connection's webhook URL and secret before they start,
and the mappings need the projects that only a first sync brings in:

1. ``demo_connections_ensure`` creates (or re-points) the connections and says, per kind, where
   the fake must send its webhooks and with which secret;
2. once the fakes answer, ``demo_remotes_populate`` syncs them and builds the rest, once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse

from switchyard.accounts.models import Organization, User
from switchyard.automation.models import AutomationRule
from switchyard.automation.services import rule_create
from switchyard.fakes.linear import DEFAULT_KEY as LINEAR_KEY
from switchyard.fakes.sentry import DEFAULT_TOKEN as SENTRY_TOKEN
from switchyard.products.mapping import mappable, product_map
from switchyard.products.models import Product
from switchyard.support.models import IssueCategory, IssuePriority, IssueStatus
from switchyard.support.services import (
    issue_assign,
    issue_comment,
    issue_raise,
    issue_resolve,
    issue_update,
    organization_set_linear_team,
)
from switchyard.sync import runs
from switchyard.sync.models import Connection, ConnectionKind, SyncRun
from switchyard.sync.registry import connection_needs
from switchyard.sync.services import connection_create, connection_update
from switchyard.trackers.models import TrackerProject
from switchyard.trackers.services import tracker_project_update

JIRA_EMAIL, JIRA_TOKEN = "bot@example.com", "fake-jira-token"  # FakeJira's defaults
# name, kind, fields beyond the base URL (the fakes' default credentials)
CONNECTIONS = [
    (
        "Demo Sentry",
        ConnectionKind.SENTRY,
        {"remote_organization": "acme", "api_token": SENTRY_TOKEN},
    ),
    ("Demo Jira", ConnectionKind.JIRA, {"account_email": JIRA_EMAIL, "api_token": JIRA_TOKEN}),
    ("Demo Linear", ConnectionKind.LINEAR, {"api_token": LINEAR_KEY}),
]
# remote project (Sentry project slug, Jira project key, Linear team key) -> product name; the
# fakes seed these when serving 5 Sentry projects, 3 Jira projects and 2 Linear teams (dev.py).
SENTRY_MAPPING = {
    "backend-api": "Checkout",
    "web-app": "Product Pages",
    "ios-app": "iOS App",
    "android-app": "Android App",
    "payments": "Card Processing",
}
TRACKER_MAPPING = {
    "PAY": "Checkout",
    "WEB": "Catalog",
    "API": "E-commerce Platform",
    "ENG": "Mobile Apps",
}
SUPPORT_TEAM = "SUP"  # the Linear team receiving customer issues
RULE_NAME = "New errors become tickets"
# title, description, priority, category, what happens next (status, comments)
CUSTOMER_ISSUES = [
    (
        "Card declined although the bank approved it",
        "I paid for order 1042 and my bank shows the charge, but the shop says declined.",
        IssuePriority.URGENT,
        IssueCategory.BILLING,
        IssueStatus.IN_PROGRESS,
        ["We see the charge too and are checking with the payment provider."],
    ),
    (
        "Parcel marked delivered but never arrived",
        "Tracking for order 1041 says delivered yesterday; nothing at the door.",
        IssuePriority.HIGH,
        IssueCategory.DELIVERY,
        IssueStatus.RESOLVED,
        ["The courier found it at the neighbour's: delivered now."],
    ),
    (
        "Search finds nothing for 'running shoes'",
        "Searching for running shoes shows no results, though the category has many.",
        IssuePriority.MEDIUM,
        IssueCategory.TECHNICAL,
        IssueStatus.OPEN,
        [],
    ),
    (
        "Invoice shows the wrong VAT rate",
        "The invoice for my last order uses 19% instead of 7% for books.",
        IssuePriority.LOW,
        IssueCategory.BILLING,
        IssueStatus.CLOSED,
        ["Corrected invoice sent.", "Thanks, received."],
    ),
]


@dataclass(frozen=True)
class FakeWebhook:
    """Where a fake remote sends its webhooks, and the secret that signs them."""

    kind: str
    url: str
    secret: str


def demo_connections_ensure(
    *, organization: Organization, remote_urls: dict[str, str], web_url: str
) -> list[FakeWebhook]:
    """Connect the organization to the fakes at ``remote_urls`` (kind -> base URL); re-point
    existing demo connections at them (their ports may have changed)."""
    webhooks = []
    for name, kind, fields in CONNECTIONS:
        # The API's path on its site as the hosted service has it (Linear's /graphql).
        api_path = urlsplit(connection_needs(kind).default_base_url).path.rstrip("/")
        base_url = remote_urls[kind].rstrip("/") + api_path
        connection = Connection.objects.filter(
            organization=organization, kind=kind, name=name
        ).first()
        if connection is None:
            connection = connection_create(
                organization=organization,
                kind=kind,
                name=name,
                base_url=base_url,
                webhook_secret=secrets.token_urlsafe(24),
                **fields,
            )
        elif connection.base_url != base_url:
            connection = connection_update(connection=connection, base_url=base_url, **fields)
        path = reverse("webhook", kwargs={"kind": kind, "connection_uuid": connection.uuid})
        webhooks.append(FakeWebhook(kind, web_url.rstrip("/") + path, connection.webhook_secret))
    return webhooks


def demo_remotes_populate(*, organization: Organization) -> bool:
    """Sync the demo connections, map their projects, add the rule and the customer issues.

    Only the first time (the rule marks it done); False when there was nothing to do.
    """
    if AutomationRule.objects.filter(organization=organization, name=RULE_NAME).exists():
        return False
    connections = {
        connection.kind: connection
        for connection in Connection.objects.filter(
            organization=organization, name__in=[name for name, *_ in CONNECTIONS]
        )
    }
    for connection in connections.values():
        run = runs.connection_pull(
            connection=connection, trigger=SyncRun.Trigger.COMMAND, full=True
        )
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"The first sync of {connection} failed: {run.error}")
    _map_projects(organization, connections)
    _add_rule(organization)
    _add_customer_issues(organization, connections[ConnectionKind.LINEAR])
    return True


def _product(organization: Organization, name: str) -> Product:
    return Product.objects.get(organization=organization, name=name)


@transaction.atomic
def _map_projects(organization: Organization, connections: dict[str, Connection]) -> None:
    for slug, product in SENTRY_MAPPING.items():
        project = connections[ConnectionKind.SENTRY].sentry_projects.get(slug=slug)
        product_map(
            mappable=mappable("sentry-projects"),
            product=_product(organization, product),
            ids=[project.pk],
        )
    projects = TrackerProject.objects.filter(
        connection__in=[connections[ConnectionKind.JIRA], connections[ConnectionKind.LINEAR]]
    )
    for project in projects:
        tracker_project_update(project=project, rules_may_create=True)
        if project.key in TRACKER_MAPPING:
            product_map(
                mappable=mappable("tracker-projects"),
                product=_product(organization, TRACKER_MAPPING[project.key]),
                ids=[project.pk],
            )


def _add_rule(organization: Organization) -> None:
    rule_create(
        organization=organization,
        fields={
            "name": RULE_NAME,
            "description": "Every new error becomes a ticket in the tracker of its product.",
            "active": True,
            "source": "sentry",
            "new_issues_only": True,
            "min_level": "error",
            "hourly_ceiling": 60,
        },
    )


def _add_customer_issues(organization: Organization, linear: Connection) -> None:
    team = linear.tracker_projects.get(key=SUPPORT_TEAM)
    organization_set_linear_team(organization=organization, linear_team_id=team.external_id)
    customer = User.objects.get(username="customer")
    staff = User.objects.get(organization=organization, username="employee")
    admin = User.objects.get(organization=organization, username="admin")
    for title, description, priority, category, status, comments in CUSTOMER_ISSUES:
        issue = issue_raise(
            customer=customer,
            organization=organization,
            title=title,
            description=description,
            priority=priority,
            category=category,
        ).issue
        if status == IssueStatus.OPEN:
            continue
        issue = issue_assign(issue=issue, actor=admin, employee_id=staff.pk)
        issue = issue_update(issue=issue, actor=staff, status=IssueStatus.IN_PROGRESS)
        for text in comments:
            issue_comment(issue=issue, author=staff, text=text)
        if status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            issue_resolve(issue=issue, actor=staff, resolution_notes=comments[0])
            issue.refresh_from_db()
        if status == IssueStatus.CLOSED:
            issue_update(issue=issue, actor=staff, status=IssueStatus.CLOSED)
