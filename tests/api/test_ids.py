"""Ids from clients are checked as ids: a number no primary key can hold is a 400 naming it."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.monitoring.tests.factories import SentryIssueFactory
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HUGE = 10**20
PAGING = {"page", "page_size", "limit"}


def id_filters() -> list[tuple[str, str]]:
    """Every integer query parameter of every GET in the schema, paging aside."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
        and parameter["schema"].get("type") == "integer"
        and parameter["name"] not in PAGING
    ]


def test_the_schema_has_the_id_filters_of_the_finding():
    filters = set(id_filters())
    assert {
        ("/api/products/", "team"),
        ("/api/sentry/projects/", "team"),
        ("/api/sentry/issues/", "team"),
        ("/api/sentry/projects/", "product"),
        ("/api/tracker-projects/", "product"),
    } <= filters
    assert len(filters) >= 15


@pytest.mark.parametrize("value", ["1e20", str(HUGE), "-1", "0", "abc", "9223372036854775808"])
def test_every_id_filter_refuses_what_is_not_an_id(client_for, value):
    client = client_for(AdminFactory())
    failures = []
    for path, name in id_filters():
        response = client.get(path, {name: value})
        if response.status_code != 400 or response.json() != {name: ["Enter a valid id."]}:
            failures.append((path, name, response.status_code, response.content[:200]))
    assert failures == []


def test_the_largest_id_filters_to_nothing(client_for):
    admin = AdminFactory()
    ProductFactory(organization=admin.organization)
    response = client_for(admin).get("/api/products/", {"team": 2**63 - 1})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_id_lists_in_bodies_refuse_huge_numbers(client_for):
    admin = AdminFactory()
    client = client_for(admin)
    product = ProductFactory(organization=admin.organization)
    issue = SentryIssueFactory(project__connection__organization=admin.organization)
    for kind in ("sentry-projects", "tracker-projects"):
        for method in (client.post, client.delete):
            response = method(
                f"/api/products/{product.pk}/{kind}/", {"project_ids": [HUGE]}, format="json"
            )
            assert response.status_code == 400, (kind, response.content)
            assert response.json() == {"project_ids": {"0": ["Enter a valid id."]}}
    response = client.post(
        "/api/sentry/issues/assign-projects/",
        {"issue_ids": [issue.pk, HUGE], "product": HUGE},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "issue_ids": {"1": ["Enter a valid id."]},
        "product": ["Enter a valid id."],
    }
    response = client.post(
        "/api/sentry/issues/create-tickets/",
        {"issue_ids": [HUGE], "tracker_project": HUGE},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"issue_ids", "tracker_project"}


def test_another_organizations_id_filters_to_nothing_rather_than_telling_it_exists(client_for):
    admin, outsider = AdminFactory(), UserFactory()
    response = client_for(admin).get("/api/issues/", {"assigned_to": outsider.pk})
    assert response.status_code == 200
    assert response.json()["count"] == 0
