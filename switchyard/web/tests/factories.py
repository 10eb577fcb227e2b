"""Customer issues for the web pages' tests."""

import factory

from switchyard.accounts.tests.factories import CustomerFactory, OrganizationFactory
from switchyard.support.models import CustomerIssue


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
