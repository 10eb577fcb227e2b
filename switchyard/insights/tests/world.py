"""A small organization whose source rows change in the ways a tenant's do, for rollup tests.

Rows are written directly (as a pull or a webhook would leave them); ``observe`` then does what the
event subscribers do after such a change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from switchyard.insights import services
from switchyard.insights.models import DailyRollup, LinkSpan, Source
from switchyard.insights.rollups import COUNTERS
from switchyard.monitoring.models import SentryIssue
from switchyard.monitoring.tests.factories import (
    SentryConnectionFactory,
    SentryIssueFactory,
    SentryProjectFactory,
)
from switchyard.products.tests.factories import ProductFactory
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import PriorityMapping, Ticket, TicketLink, TrackerProject

LEVELS = ["fatal", "error", "warning"]
PRIORITIES = ["urgent", "high", "low"]


class World:
    def __init__(self, start: datetime | None = None):
        from switchyard.accounts.tests.factories import OrganizationFactory

        self.organization = OrganizationFactory()
        self.products = [ProductFactory(organization=self.organization) for _ in range(2)]
        sentry = SentryConnectionFactory(organization=self.organization)
        self.sentry_projects = [SentryProjectFactory(connection=sentry) for _ in range(2)]
        jira = SentryConnectionFactory(organization=self.organization, kind="jira")
        self.tracker_projects = [
            TrackerProject.objects.create(
                connection=jira, external_id=str(n), key=f"P{n}", name="P"
            )
            for n in range(2)
        ]
        for project in self.tracker_projects:
            for priority in PRIORITIES:
                PriorityMapping.objects.create(
                    tracker_project=project, priority=priority, remote_priority=priority.title()
                )
        self.jira = jira
        self.now = start or timezone.now() - timedelta(days=20)
        self.counter = 0

    def tick(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    def observe(self, source: str, ids) -> None:
        services.items_observe(source=source, ids=ids, now=self.now)

    # -- Sentry issues -------------------------------------------------------------------------

    def sentry_issue(self, project: int, level: str, events: int = 5) -> SentryIssue:
        issue = SentryIssueFactory(
            project=self.sentry_projects[project],
            level=level,
            event_count=events,
            first_seen=self.now,
            last_seen=self.now,
        )
        self.observe(Source.SENTRY, [issue.pk])
        return issue

    def sentry_set(self, issue_id: int, **fields) -> None:
        SentryIssue.objects.filter(pk=issue_id).update(**fields)
        self.observe(Source.SENTRY, [issue_id])

    # -- tickets -------------------------------------------------------------------------------

    def ticket(self, project: int, priority: str, *, observed: bool = True, **fields) -> Ticket:
        """A ticket as a sync stores it (``fields`` over an open one made now), observed unless
        ``observed`` is false."""
        self.counter += 1
        ticket = Ticket.objects.create(
            **{
                "connection": self.jira,
                "tracker_project": self.tracker_projects[project],
                "external_id": f"t{self.counter}",
                "key": f"P-{self.counter}",
                "url": "https://jira.test/browse/P",
                "summary": "Broken",
                "status": "To Do",
                "status_category": "todo",
                "priority": priority.title(),
                "remote_created_at": self.now,
                "remote_updated_at": self.now,
                **fields,
            }
        )
        if observed:
            self.observe(Source.TICKET, [ticket.pk])
        return ticket

    def ticket_set(self, ticket_id: int, category: str) -> None:
        closed = category in {"done", "canceled"}
        Ticket.objects.filter(pk=ticket_id).update(
            status_category=category, resolved_at=self.now if closed else None
        )
        self.observe(Source.TICKET, [ticket_id])

    def link(self, ticket_id: int, issue_id: int, via: str) -> None:
        """The ticket made from the Sentry issue (at most one live link per issue and project)."""
        ticket = Ticket.objects.get(pk=ticket_id)
        link, _ = TicketLink.objects.get_or_create(
            source_type=ContentType.objects.get_for_model(SentryIssue),
            source_id=issue_id,
            tracker_project=ticket.tracker_project,
            is_active=True,
            defaults={"ticket": ticket, "created_via": via},
        )
        TicketLink.objects.filter(pk=link.pk).update(created_at=self.now)
        services.link_observe(link_id=link.pk)

    # -- customer issues -----------------------------------------------------------------------

    def customer_issue(self, priority: str) -> CustomerIssue:
        self.counter += 1
        issue = CustomerIssue.objects.create(
            issue_number=f"ISS-T-{self.counter}-{self.organization.pk}",
            title="Late",
            description="Late",
            organization=self.organization,
            priority=priority,
        )
        CustomerIssue.objects.filter(pk=issue.pk).update(created_at=self.now)
        self.observe(Source.CUSTOMER, [issue.pk])
        return issue

    def customer_set(self, issue_id: int, status: str) -> None:
        resolved = self.now if status in {"resolved", "closed"} else None
        CustomerIssue.objects.filter(pk=issue_id).update(status=status, resolved_at=resolved)
        self.observe(Source.CUSTOMER, [issue_id])

    # -- products ------------------------------------------------------------------------------

    def map_sentry_project(self, project: int, product: int | None) -> None:
        row = self.sentry_projects[project]
        row.product = self.products[product] if product is not None else None
        row.save(update_fields=["product"])
        services.mapping_changed(mappable="sentry-projects", ids=[row.pk])

    def map_tracker_project(self, project: int, product: int | None) -> None:
        row = self.tracker_projects[project]
        row.product = self.products[product] if product is not None else None
        row.save(update_fields=["product"])
        services.mapping_changed(mappable="tracker-projects", ids=[row.pk])


def rollup_snapshot(organization) -> dict:
    """Every non-empty rollup row of an organization, by key."""
    fields = ["product_key", "source", "bucket", "day"]
    return {
        tuple(row[f] for f in fields): tuple(row[c] for c in COUNTERS)
        for row in DailyRollup.objects.filter(organization=organization).values(*fields, *COUNTERS)
        if any(row[c] for c in COUNTERS)
    }


def span_snapshot(organization) -> dict:
    """Every resolution span of an organization, by link."""
    return {
        row[0]: row[1:]
        for row in LinkSpan.objects.filter(organization=organization).values_list(
            "link_id", "product_key", "day", "to_ticket", "to_ticket_closed", "to_issue_resolved"
        )
    }
