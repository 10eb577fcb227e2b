"""Rules and the tracker rows they point at, made directly."""

import factory

from switchyard.accounts.tests.factories import OrganizationFactory
from switchyard.automation.models import AutomationRule
from switchyard.sync.models import Connection
from switchyard.trackers.models import TrackerProject


class TrackerConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    organization = factory.SubFactory(OrganizationFactory)
    kind = "jira"
    name = factory.Sequence(lambda n: f"Jira {n}")
    base_url = "https://acme.atlassian.test"
    account_email = "bot@acme.example"
    api_token = "token"


class TrackerProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackerProject

    connection = factory.SubFactory(TrackerConnectionFactory)
    external_id = factory.Sequence(lambda n: str(10000 + n))
    key = factory.Sequence(lambda n: f"P{n}")
    name = factory.LazyAttribute(lambda p: f"Project {p.key}")
    rules_may_create = True


class AutomationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AutomationRule

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    tracker_project = factory.SubFactory(
        TrackerProjectFactory, connection__organization=factory.SelfAttribute("...organization")
    )
