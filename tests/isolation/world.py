"""Two organizations with a row of every kind, each named after a word found nowhere else.

Every name-like field of an organization's rows contains its word, so a page that shows any of them
can be caught by searching for the word.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone

from switchyard.accounts.models import Order, Organization, Role, Team, User, Vendor
from switchyard.accounts.services import user_create
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.products.services import product_create
from switchyard.support.models import CustomerIssue, IssueComment, SupportSettings
from switchyard.sync.models import (
    Connection,
    EventDelivery,
    OutboxEntry,
    SyncRun,
    WebhookDelivery,
)
from switchyard.trackers.models import (
    PriorityMapping,
    StatusMapping,
    Ticket,
    TicketLink,
    TrackerProject,
)

PASSWORD = "correct horse battery staple"


@dataclass
class Tenant:
    """One organization's rows, by model, and its people by role."""

    word: str
    organization: Organization
    people: dict[str, User] = field(default_factory=dict)
    rows: dict[type[models.Model], list[models.Model]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, row: models.Model) -> models.Model:
        self.rows[type(row)].append(row)
        return row

    def first(self, model: type[models.Model]) -> models.Model:
        return self.rows[model][0]

    def ids(self, model: type[models.Model]) -> set[int]:
        return {row.pk for row in self.rows[model]}


def build_tenant(word: str) -> Tenant:
    """An organization named ``word`` with people, products, remotes, tickets and issues."""
    lower, title = word.lower(), word.title()
    tenant = Tenant(
        word=lower,
        organization=Organization.objects.create(name=f"{title} Corp", slug=f"{lower}-corp"),
    )
    org = tenant.organization
    tenant.add(org)
    vendor, customer = _add_people(tenant)
    team, order = _add_team_and_order(tenant, customer)
    root = tenant.add(product_create(organization=org, name=f"{title} Platform", owning_team=team))
    tenant.add(product_create(organization=org, name=f"{title} Checkout", parent=root))
    now = timezone.now()
    sentry, jira, issue = _add_sentry(tenant, root, now)
    tracker_project = _add_tracker(tenant, jira, root, issue, now)
    _add_support(tenant, vendor, order, customer, tracker_project)
    _add_sync_records(tenant, sentry, jira)
    return tenant


def _spellings(tenant: Tenant) -> tuple[str, str, str]:
    """The tenant's word in lower case, title case and upper case."""
    return tenant.word, tenant.word.title(), tenant.word.upper()


def _add_people(tenant: Tenant) -> tuple[Vendor, User]:
    """A vendor, a person of each organization role, and a customer; the vendor and customer."""
    lower, title, _ = _spellings(tenant)
    org = tenant.organization
    vendor = tenant.add(
        Vendor.objects.create(
            organization=org, name=f"{title} Vendor", contact_email=f"{lower}@vendor.test"
        )
    )
    for role in (Role.ADMIN, Role.EMPLOYEE, Role.VENDOR):
        person = user_create(
            username=f"{lower}-{role}",
            password=PASSWORD,
            role=role,
            organization=org,
            vendor=vendor if role == Role.VENDOR else None,
            email=f"{lower}-{role}@{lower}.test",
            first_name=title,
            last_name=f"{title}{role.title()}",
        )
        tenant.people[role] = tenant.add(person)
    customer = user_create(
        username=f"{lower}-customer",
        password=PASSWORD,
        role=Role.CUSTOMER,
        email=f"{lower}-customer@{lower}.test",
        first_name=title,
        last_name=f"{title}Customer",
    )
    tenant.people[Role.CUSTOMER] = customer
    return vendor, customer


def _add_team_and_order(tenant: Tenant, customer: User) -> tuple[Team, Order]:
    lower, title, upper = _spellings(tenant)
    org = tenant.organization
    team = tenant.add(Team.objects.create(organization=org, name=f"{title} Team", slug=lower))
    team.members.add(tenant.people[Role.EMPLOYEE])
    order = tenant.add(
        Order.objects.create(
            organization=org,
            customer=customer,
            number=f"{upper}-1042",
            ordered_on=datetime.date(2026, 1, 5),
            amount=Decimal("42.00"),
        )
    )
    return team, order


def _add_sentry(tenant: Tenant, root, now) -> tuple[Connection, Connection, SentryIssue]:
    """A Sentry and a Jira connection, a Sentry project on ``root`` and an issue in it."""
    lower, title, upper = _spellings(tenant)
    org = tenant.organization
    sentry = tenant.add(
        Connection.objects.create(
            organization=org,
            kind="sentry",
            name=f"{title} Sentry",
            base_url=f"https://{lower}.sentry.test",
            remote_organization=f"{lower}-sentry-org",
            api_token=f"{lower}-sentry-token",
        )
    )
    jira = tenant.add(
        Connection.objects.create(
            organization=org,
            kind="jira",
            name=f"{title} Jira",
            base_url=f"https://{lower}.atlassian.test",
            account_email=f"bot@{lower}.test",
            api_token=f"{lower}-jira-token",
            webhook_secret=f"{lower}-hook-secret",
        )
    )
    project = tenant.add(
        SentryProject.objects.create(
            connection=sentry,
            external_id=f"{lower}-project-1",
            slug=f"{lower}-web",
            name=f"{title} Web",
            platform=f"{lower}-platform",
            sentry_organization=f"{lower}-sentry-org",
            product=root,
        )
    )
    issue = tenant.add(
        SentryIssue.objects.create(
            connection=sentry,
            project=project,
            external_id=f"{lower}-issue-1",
            short_id=f"{upper}-WEB-1",
            title=f"{title}Error: checkout failed",
            culprit=f"{lower}.checkout",
            level="error",
            first_seen=now,
            last_seen=now,
        )
    )
    return sentry, jira, issue


def _add_tracker(tenant: Tenant, jira, root, issue, now) -> TrackerProject:
    """A tracker project on ``root`` with its mappings, and a ticket linked to ``issue``."""
    lower, title, upper = _spellings(tenant)
    tracker_project = tenant.add(
        TrackerProject.objects.create(
            connection=jira,
            external_id=f"{lower}-tp-1",
            key=upper,
            name=f"{title} Board",
            lead=f"{lower}-lead",
            product=root,
        )
    )
    tenant.add(
        StatusMapping.objects.create(
            tracker_project=tracker_project, remote_status=f"{title} Done", category="done"
        )
    )
    tenant.add(
        PriorityMapping.objects.create(
            tracker_project=tracker_project, priority="high", remote_priority=f"{title} High"
        )
    )
    ticket = tenant.add(
        Ticket.objects.create(
            connection=jira,
            tracker_project=tracker_project,
            external_id=f"{lower}-ticket-1",
            key=f"{upper}-7",
            url=f"https://{lower}.atlassian.test/browse/{upper}-7",
            summary=f"{title} ticket summary",
            status=f"{title} To Do",
            status_category="todo",
            assignee_email=f"{lower}-employee@{lower}.test",
            remote_created_at=now,
            remote_updated_at=now,
        )
    )
    tenant.add(
        TicketLink.objects.create(
            ticket=ticket,
            tracker_project=tracker_project,
            source_type=ContentType.objects.get_for_model(SentryIssue),
            source_id=issue.pk,
            last_error=f"{title} link error",
        )
    )
    return tracker_project


def _add_support(tenant: Tenant, vendor, order, customer, tracker_project) -> None:
    """A customer issue with a comment, and the organization's support settings."""
    _, title, upper = _spellings(tenant)
    org = tenant.organization
    customer_issue = tenant.add(
        CustomerIssue.objects.create(
            issue_number=f"ISS-{upper}-0001",
            title=f"{title} parcel arrived damaged",
            description=f"{title} description",
            organization=org,
            vendor=vendor,
            order=order,
            raised_by_customer=customer,
            is_client_issue=True,
        )
    )
    tenant.add(
        IssueComment.objects.create(issue=customer_issue, author=customer, text=f"{title} comment")
    )
    tenant.add(SupportSettings.objects.create(organization=org, tracker_project=tracker_project))


def _add_sync_records(tenant: Tenant, sentry, jira) -> None:
    """A failed sync run, outbox entry and event delivery, and a received webhook."""
    lower, title, _ = _spellings(tenant)
    tenant.add(
        SyncRun.objects.create(connection=sentry, status="failed", error=f"{title} run error")
    )
    tenant.add(
        OutboxEntry.objects.create(
            connection=jira,
            operation=f"{lower}.push",
            ordering_key=f"{lower}-key",
            status="failed",
            last_error=f"{title} outbox error",
        )
    )
    tenant.add(
        EventDelivery.objects.create(
            organization=tenant.organization,
            subscriber=f"{lower}.subscriber",
            event_type=f"{lower}.Changed",
            payload={"id": 1},
            status="failed",
            last_error=f"{title} event error",
        )
    )
    tenant.add(
        WebhookDelivery.objects.create(
            connection=jira,
            delivery_id=f"{lower}-delivery-1",
            event_type=f"{lower}:updated",
            body=f'{{"{lower}": true}}',
        )
    )


def snapshot() -> dict:
    """Every row of every Switchyard model, with its many-to-many ids: compare before and after."""
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        if not model.__module__.startswith("switchyard."):
            continue
        for row in model._default_manager.order_by("pk"):
            values = model_to_dict(row)
            for m2m in model._meta.many_to_many:
                values[m2m.name] = sorted(
                    pk for pk in getattr(row, m2m.name).values_list("pk", flat=True)
                )
            values.pop("last_login", None)
            state[(model._meta.label, row.pk)] = values
    return state
