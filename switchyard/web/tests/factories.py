"""Customer issues and tickets for the web pages' tests."""

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from switchyard.accounts.tests.factories import CustomerFactory, OrganizationFactory
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import Ticket, TicketLink


class CustomerIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIssue

    issue_number = factory.Sequence(lambda n: f"ISS-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Issue {n}")
    description = "Something went wrong."
    organization = factory.SubFactory(OrganizationFactory)
    raised_by_customer = factory.SubFactory(CustomerFactory)
    created_by = factory.SelfAttribute("raised_by_customer")
    is_client_issue = True


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket as a pull stores it; give ``tracker_project``."""

    class Meta:
        model = Ticket

    connection = factory.LazyAttribute(lambda ticket: ticket.tracker_project.connection)
    external_id = factory.Sequence(lambda n: str(70000 + n))
    key = factory.Sequence(lambda n: f"T-{n + 1}")
    url = factory.LazyAttribute(lambda ticket: f"https://acme.atlassian.test/browse/{ticket.key}")
    summary = factory.Sequence(lambda n: f"Ticket {n}")
    status = "To Do"
    status_category = "todo"
    remote_created_at = factory.LazyFunction(timezone.now)
    remote_updated_at = factory.LazyFunction(timezone.now)


def link(ticket, source) -> TicketLink:
    """An active link from ``ticket`` to what it tracks."""
    return TicketLink.objects.create(
        ticket=ticket,
        tracker_project=ticket.tracker_project,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        sync_state=TicketLink.SyncState.OK,
    )
