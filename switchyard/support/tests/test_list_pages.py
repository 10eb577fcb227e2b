"""The issue list pages by number for the existing front end, and by cursor for deep walks."""

import pytest

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import CustomerFactory, OrganizationFactory, UserFactory
from switchyard.support import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_api(client_for):
    org = OrganizationFactory()
    for index in range(7):
        services.issue_raise(
            customer=CustomerFactory(),
            organization=org,
            title=f"Issue {index}",
            description="Details",
            priority="high" if index % 2 else "low",
            category="general",
        )
    return client_for(UserFactory(organization=org, role=Role.EMPLOYEE))


def walk(api, url):
    seen, pages = [], 0
    while url:
        body = api.get(url).json()
        assert body["count"] == 7
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


@pytest.mark.parametrize("ordering", ["", "&ordering=priority", "&ordering=-updated_at"])
def test_a_cursor_walk_sees_the_same_issues_in_the_same_order_as_the_numbered_pages(
    staff_api, ordering
):
    numbered, numbered_pages = walk(staff_api, f"/api/issues/?page_size=3{ordering}")
    cursored, cursored_pages = walk(staff_api, f"/api/issues/?cursor=&page_size=3{ordering}")
    assert len(set(numbered)) == 7 and numbered_pages == 3
    assert cursored == numbered and cursored_pages == 3
    assert "page=3" in staff_api.get("/api/issues/?page=2&page_size=3").json()["next"]


def test_rows_equal_in_the_ordering_asked_for_follow_the_newest_first_order(staff_api):
    issues = staff_api.get("/api/issues/?page_size=10").json()["results"]
    newest_first = [issue["id"] for issue in issues]
    by_priority, _ = walk(staff_api, "/api/issues/?page_size=3&ordering=priority")
    rank = {"high": 0, "low": 1}
    priority = {issue["id"]: issue["priority"] for issue in issues}
    assert by_priority == sorted(newest_first, key=lambda pk: rank[priority[pk]])


def test_a_page_past_the_end_is_a_404(staff_api):
    assert staff_api.get("/api/issues/?page=4&page_size=3").status_code == 404
