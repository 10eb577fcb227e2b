"""Mapping many projects costs the queries of mapping a few: one UPDATE and one INSERT of audit
entries, whatever the number of projects, and every project still gets its own entry."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchyard.accounts.models import AuditEntry
from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory
from switchyard.monitoring.models import SentryProject
from switchyard.monitoring.tests.factories import SentryProjectFactory
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_admin():
    admin = AdminFactory()
    admin.groups.add(org_admin_group())
    return admin


def queries_to(request) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.json()
    return len(captured)


def map_and_unmap(api, product, count: int) -> tuple[int, int, list[SentryProject]]:
    projects = SentryProjectFactory.create_batch(
        count, connection__organization=product.organization
    )
    ids = {"project_ids": [project.pk for project in projects]}
    url = f"/api/products/{product.pk}/sentry-projects/"
    mapping = queries_to(lambda: api.post(url, ids, format="json"))
    unmapping = queries_to(lambda: api.delete(url, ids, format="json"))
    return mapping, unmapping, projects


def test_mapping_fifty_projects_costs_the_queries_of_mapping_five(client_for, acme_admin):
    checkout = ProductFactory(organization=acme_admin.organization, name="Checkout")
    api = client_for(acme_admin)
    map_and_unmap(api, checkout, 1)  # content types and the like, cached from then on

    few = map_and_unmap(api, checkout, 5)
    many = map_and_unmap(api, checkout, 50)

    assert (many[0], many[1]) == (few[0], few[1])
    for project in many[2]:
        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(SentryProject),
            object_pk=str(project.pk),
            action=AuditEntry.Action.UPDATE,
        ).order_by("pk")
        assert [
            (e.changes, e.actor, e.organization, e.object_repr, e.object_id) for e in entries
        ] == [
            (
                {"product": [None, checkout.pk]},
                acme_admin,
                acme_admin.organization,
                str(project),
                project.pk,
            ),
            (
                {"product": [checkout.pk, None]},
                acme_admin,
                acme_admin.organization,
                str(project),
                project.pk,
            ),
        ]
