"""Sentry rows made directly, for tests that don't need a pull."""

import factory
from django.utils import timezone

from switchyard.accounts.tests.factories import OrganizationFactory
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.sync.models import Connection


class SentryConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    organization = factory.SubFactory(OrganizationFactory)
    kind = "sentry"
    name = factory.Sequence(lambda n: f"Sentry {n}")
    base_url = "https://sentry.test"
    remote_organization = "acme"
    api_token = "token"


class SentryProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentryProject

    connection = factory.SubFactory(SentryConnectionFactory)
    external_id = factory.Sequence(lambda n: str(1000 + n))
    slug = factory.Sequence(lambda n: f"project-{n}")
    name = factory.LazyAttribute(lambda p: p.slug.title())
    platform = "python"
    sentry_organization = "acme"


class SentryIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentryIssue

    project = factory.SubFactory(SentryProjectFactory)
    connection = factory.LazyAttribute(lambda issue: issue.project.connection)
    external_id = factory.Sequence(lambda n: str(500000 + n))
    short_id = factory.Sequence(lambda n: f"PROJ-{n}")
    title = factory.Sequence(lambda n: f"TypeError: thing {n} is undefined")
    level = "error"
    event_count = 10
    user_count = 3
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)
