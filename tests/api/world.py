"""Two organizations on one installation, each with a row behind every API endpoint.

Everything an organization owns is named after its label ("Falcon", "Heron"), so a test can look
for one organization's names in what another one is shown. Remote data comes from each
organization's own fake Sentry, Jira and Linear, synced through the real pull.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db.models import F, Value
from django.db.models.functions import Concat
from rest_framework.test import APIClient

from switchyard.accounts.models import Organization, Role, User
from switchyard.accounts.services import token_issue
from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrderFactory,
    TeamFactory,
    UserFactory,
    VendorFactory,
)
from switchyard.core import http
from switchyard.fakes.jira import FakeJira
from switchyard.fakes.linear import FakeLinear
from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.support.models import SupportSettings
from switchyard.sync.models import Connection, WebhookDelivery
from switchyard.trackers.models import Ticket, TrackerProject

PERSON = "dana@example.com"


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    return client


@dataclass
class World:
    """One organization, its people (one per role) and the fakes behind its connections."""

    label: str
    organization: Organization
    people: dict[str, User]
    urls: list[str] = field(default_factory=list)

    def client(self, role: str) -> APIClient:
        return client_of(self.people[role])


def _connect(organization: Organization, label: str) -> list[str]:
    slug = label.lower()
    sentry = FakeSentry.seeded(issues=6, projects=2, seed=len(label))
    jira = FakeJira()
    jira.add_user(PERSON, "Dana Developer")
    jira.add_project("PAY", "Payments", lead=PERSON)
    jira.create_issue_as_user("PAY", "Checkout button unresponsive", reporter=PERSON)
    linear = FakeLinear()
    linear.add_user("Dana Developer", PERSON)
    linear.add_team("SUP", "Support")
    linear.create_issue_as_user("SUP", "Refund flow broken", creator=PERSON)
    remotes = {
        "sentry": (f"https://sentry-{slug}.test", sentry, {"api_token": sentry.token}),
        "jira": (
            f"https://{slug}.atlassian.test",
            jira,
            {"account_email": jira.bot.email, "api_token": "fake-jira-token"},
        ),
        "linear": (f"https://linear-{slug}.test/graphql", linear, {"api_token": linear.api_key}),
    }
    for kind, (url, fake, credentials) in remotes.items():
        http.mount_transport(url, fake.transport())
        Connection.objects.create(
            organization=organization,
            kind=kind,
            name=f"{label} {kind}",
            base_url=url,
            remote_organization="acme" if kind == "sentry" else "",
            webhook_secret=f"{slug}-secret",
            **credentials,
        )
    return [url for url, _, _ in remotes.values()]


def _label_remote_rows(organization: Organization, label: str) -> None:
    """Fakes seed alike; prefix what they named so each organization's rows are its own."""
    prefix = Value(f"{label} ")
    SentryProject.objects.filter(connection__organization=organization).update(
        name=Concat(prefix, F("name")), slug=Concat(Value(f"{label.lower()}-"), F("slug"))
    )
    SentryIssue.objects.filter(connection__organization=organization).update(
        title=Concat(prefix, F("title"))
    )
    TrackerProject.objects.filter(connection__organization=organization).update(
        name=Concat(prefix, F("name"))
    )
    Ticket.objects.filter(connection__organization=organization).update(
        summary=Concat(prefix, F("summary"))
    )


def _people(organization: Organization, label: str) -> dict[str, User]:
    slug = label.lower()
    vendor = VendorFactory(organization=organization, name=f"{label} Couriers")
    people = {
        "admin": AdminFactory(organization=organization, username=f"{slug}-admin"),
        "employee": UserFactory(organization=organization, username=f"{slug}-employee"),
        "vendor": UserFactory(
            organization=organization, role=Role.VENDOR, vendor=vendor, username=f"{slug}-vendor"
        ),
        "customer": CustomerFactory(username=f"{slug}-customer"),
    }
    team = TeamFactory(organization=organization, name=f"{label} Payments team", slug=slug)
    team.members.add(people["employee"])
    OrderFactory(organization=organization, customer=people["customer"], number=f"{slug}-1042")
    return people


def _use_the_api(world: World) -> None:
    """What the organization's people do: build products, map, ticket, raise and handle issues."""
    checkout = _build_products(world)
    _map_projects(world, checkout)
    _ticket_sentry_issues(world)
    raised = _raise_customer_issues(world)
    _handle_customer_issue(world, raised[0])
    WebhookDelivery.objects.create(
        connection=Connection.objects.get(organization=world.organization, kind="sentry"),
        delivery_id=f"{world.label.lower()}-delivery-1",
        event_type="issue",
        body="{}",
    )


def _build_products(world: World) -> dict:
    """A root product owned by the team and a child product; the child as the API returned it."""
    admin, label = world.client("admin"), world.label
    team = world.organization.teams.get()
    root = admin.post(
        "/api/products/", {"name": f"{label} Platform", "owning_team": team.pk}, format="json"
    ).json()
    return admin.post(
        "/api/products/", {"name": f"{label} Checkout", "parent": root["id"]}, format="json"
    ).json()


def _map_projects(world: World, product: dict) -> None:
    """The first Sentry project and every tracker project onto ``product``."""
    org, admin = world.organization, world.client("admin")
    sentry_projects = list(
        SentryProject.objects.filter(connection__organization=org).values_list("pk", flat=True)
    )
    tracker_projects = list(
        TrackerProject.objects.filter(connection__organization=org).values_list("pk", flat=True)
    )
    for kind, ids in (
        ("sentry-projects", sentry_projects[:1]),
        ("tracker-projects", tracker_projects),
    ):
        response = admin.post(
            f"/api/products/{product['id']}/{kind}/", {"project_ids": ids}, format="json"
        )
        assert response.status_code == 200, response.content


def _ticket_sentry_issues(world: World) -> None:
    """A Jira ticket made for the first Sentry issue, an existing one linked to the second."""
    org, admin = world.organization, world.client("admin")
    jira_project = TrackerProject.objects.get(connection__organization=org, connection__kind="jira")
    issues = list(SentryIssue.objects.filter(connection__organization=org).order_by("pk"))
    response = admin.post(
        f"/api/sentry/issues/{issues[0].pk}/tickets/",
        {"tracker_project": jira_project.pk},
        format="json",
    )
    assert response.status_code == 202, response.content
    response = admin.post(
        f"/api/sentry/issues/{issues[1].pk}/link-ticket/", {"ticket": "PAY-1"}, format="json"
    )
    assert response.status_code == 201, response.content


def _raise_customer_issues(world: World) -> list[int]:
    """Support settings on the Linear project, two issues raised by the customer; their ids."""
    org, label, customer = world.organization, world.label, world.client("customer")
    SupportSettings.objects.create(
        organization=org,
        tracker_project=TrackerProject.objects.get(
            connection__organization=org, connection__kind="linear"
        ),
    )
    order = org.orders.get()
    raised = []
    for title in (f"{label} order arrived damaged", f"{label} refund missing"):
        response = customer.post(
            "/api/client/issues/raise/",
            {
                "organization": org.pk,
                "title": title,
                "description": f"{label}: the box was crushed.",
                "priority": "high",
                "category": "delivery",
                "order": order.pk,
                "vendor": org.vendors.get().pk,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        raised.append(response.json()["issue"]["id"])
    return raised


def _handle_customer_issue(world: World, issue_id: int) -> None:
    """The customer comments; the vendor assigns it to the employee and resolves it."""
    label = world.label
    response = world.client("customer").post(
        f"/api/client/issues/{issue_id}/comment/", {"comment": f"{label} photos"}, format="json"
    )
    assert response.status_code == 201, response.content
    staff = world.client("vendor")
    employee_id = world.people["employee"].pk
    assert (
        staff.post(f"/api/issues/{issue_id}/assign/", {"employee_id": employee_id}).status_code
        == 200
    )
    response = staff.post(
        f"/api/issues/{issue_id}/resolve/", {"resolution_notes": f"{label} refunded"}
    )
    assert response.status_code == 200, response.content


def build_worlds(labels: tuple[str, ...] = ("Falcon", "Heron")) -> list[World]:
    """Organizations with people, connections synced from their fakes, and rows made through
    the API. Call ``unmount(worlds)`` afterwards."""
    worlds = []
    for label in labels:
        organization = Organization.objects.create(name=f"{label} Retail", slug=label.lower())
        world = World(label, organization, _people(organization, label))
        world.urls = _connect(organization, label)
        worlds.append(world)
    call_command("sync", stdout=io.StringIO())
    for world in worlds:
        _label_remote_rows(world.organization, world.label)
        _use_the_api(world)
    return worlds


def unmount(worlds: list[World]) -> None:
    for world in worlds:
        for url in world.urls:
            http.mount_transport(url, None)
