"""The whole customer-issue flow over HTTP, as the existing front end drives it, for each tracker."""

import re

import pytest
from django.utils import timezone

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import (
    PASSWORD,
    CustomerFactory,
    OrderFactory,
    UserFactory,
    VendorFactory,
)
from switchyard.support.models import CustomerIssue, SupportSettings
from switchyard.sync.models import OutboxEntry
from switchyard.trackers.tests.fixtures import deliver_webhook, ticket_key_of

pytestmark = pytest.mark.django_db


def login(api_client, user):
    response = api_client.post(
        "/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return api_client


@pytest.fixture
def support(tracker, admin):
    """The organization sends customer issues to the tracker project of the fixture's kind."""
    settings = SupportSettings.objects.create(organization=admin.organization)
    tracker.use_for_support(settings, tracker.project)
    return tracker


@pytest.fixture
def people(admin):
    org = admin.organization
    vendor = VendorFactory(organization=org, name="Swift Couriers")
    return {
        "customer": CustomerFactory(email="cory@example.com"),
        "vendor_staff": UserFactory(organization=org, role=Role.VENDOR, vendor=vendor),
        "employee": UserFactory(
            organization=org, role=Role.EMPLOYEE, first_name="Eli", last_name="Employee"
        ),
        "vendor": vendor,
    }


def test_the_front_end_flow_end_to_end(
    api_client, client, admin, support, people, django_capture_on_commit_callbacks
):
    org = admin.organization
    on_commit = django_capture_on_commit_callbacks
    customer_api = login(api_client, people["customer"])
    issue, key = customer_raises_an_issue(customer_api, org, support, people, on_commit)
    customer_lists_views_and_comments(customer_api, support, issue, key, on_commit)
    staff_api = login(api_client.__class__(), people["vendor_staff"])
    staff_triage(staff_api, support, issue, key, people["employee"], on_commit)
    customer_sees_the_status_and_history(customer_api, issue)
    closing_the_ticket_resolves_the_issue(client, support, issue, key, on_commit)
    tracker_tickets_arrive_as_internal_issues(staff_api, support, org)


def customer_raises_an_issue(customer_api, org, support, people, on_commit) -> tuple[dict, str]:
    """A customer logs in and raises an issue naming the order; the issue and its ticket's key."""
    order = OrderFactory(organization=org, customer=people["customer"], number="1042")
    with on_commit(execute=True):
        response = customer_api.post(
            "/api/client/issues/raise/",
            {
                "organization": org.pk,
                "title": "Order 1042 arrived damaged",
                "description": "The box was crushed.",
                "priority": "high",
                "category": "delivery",
                "order": order.pk,
                "vendor": people["vendor"].pk,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["message"].startswith("Issue raised successfully and synced to")
    issue = body["issue"]
    assert re.fullmatch(rf"ISS-{timezone.now().year}-\d{{4,}}", issue["issue_number"])
    assert (issue["status"], issue["priority"], issue["category"], issue["is_client_issue"]) == (
        "open",
        "high",
        "delivery",
        True,
    )
    assert issue["raised_by_customer_email"] == "cory@example.com"
    assert issue["order_number"] == "1042" and issue["vendor_name"] == "Swift Couriers"
    support.check_linear_fields(issue, body["linear_data"])
    key = ticket_key_of(issue["id"])
    remote = support.remote(key)
    assert remote["summary"] == f"[{issue['issue_number']}] Order 1042 arrived damaged"
    assert remote["priority"] == support.remote_priority("high")
    return issue, key


def customer_lists_views_and_comments(customer_api, support, issue, key, on_commit) -> None:
    listed = customer_api.get("/api/issues/").json()
    assert [row["id"] for row in listed["results"]] == [issue["id"]]
    detail = customer_api.get(f"/api/client/issues/{issue['id']}/").json()
    assert [h["to_status"] for h in detail["status_history"]] == ["open"]
    with on_commit(execute=True):
        response = customer_api.post(
            f"/api/client/issues/{issue['id']}/comment/",
            {"comment": "Photos attached."},
            format="json",
        )
    assert response.status_code == 201
    assert any("Photos attached." in text for _, text in support.remote(key)["comments"])


def staff_triage(staff_api, support, issue, key, employee, on_commit) -> None:
    """Vendor staff triage: filters, status, assignment, resolution, reopening."""
    for query in ["status=open", "priority=high", "is_client_issue=true", "category=delivery"]:
        results = staff_api.get(f"/api/issues/?{query}").json()["results"]
        assert [row["issue_number"] for row in results] == [issue["issue_number"]], query
    assert staff_api.get("/api/issues/?priority=low").json()["count"] == 0

    with on_commit(execute=True):
        response = staff_api.patch(
            f"/api/issues/{issue['id']}/", {"status": "in_progress"}, format="json"
        )
    assert response.json()["status"] == "in_progress"
    assert support.remote(key)["status"] == support.in_progress_status

    response = staff_api.post(
        f"/api/issues/{issue['id']}/assign/", {"employee_id": employee.pk}, format="json"
    )
    assert response.json()["issue"]["assigned_to_name"] == "Eli Employee"
    assert staff_api.get(f"/api/issues/?assigned_to={employee.pk}").json()["count"] == 1

    staff_resolve_reopen_and_sync(staff_api, support, issue, key, on_commit)


def staff_resolve_reopen_and_sync(staff_api, support, issue, key, on_commit) -> None:
    with on_commit(execute=True):
        response = staff_api.post(
            f"/api/issues/{issue['id']}/resolve/",
            {"resolution_notes": "Replacement sent."},
            format="json",
        )
    body = response.json()
    assert (body["previous_status"], body["linear_synced"], body["issue"]["status"]) == (
        "in_progress",
        True,
        "resolved",
    )
    assert body["issue"]["resolution_notes"] == "Replacement sent."
    assert support.remote(key)["closed"]

    with on_commit(execute=True):
        body = staff_api.post(f"/api/issues/{issue['id']}/reopen/").json()
    assert (body["previous_status"], body["issue"]["status"]) == ("resolved", "in_progress")
    assert support.remote(key)["status"] == support.in_progress_status

    body = staff_api.post(f"/api/issues/{issue['id']}/sync_to_linear/").json()
    assert body["linear_synced"] is True


def customer_sees_the_status_and_history(customer_api, issue) -> None:
    detail = customer_api.get(f"/api/client/issues/{issue['id']}/").json()
    assert [h["to_status"] for h in detail["status_history"]] == [
        "open",
        "in_progress",
        "resolved",
        "in_progress",
    ]


def closing_the_ticket_resolves_the_issue(client, support, issue, key, on_commit) -> None:
    """Someone closes the ticket in the tracker: the issue follows, and the history says from
    where."""
    support.close(key)
    headers, body = support.last_change_webhook(key)
    deliver_webhook(client, support.connection, headers, body, on_commit)
    assert CustomerIssue.objects.get(pk=issue["id"]).status == "resolved"
    assert CustomerIssue.objects.get(pk=issue["id"]).history.last().via == support.kind


def tracker_tickets_arrive_as_internal_issues(staff_api, support, org) -> None:
    """A ticket created in the tracker shows up as an internal issue; fetch reads and syncs."""
    support.create_remote_ticket("Internal: refund flow broken")
    fetched = staff_api.get("/api/issues/fetch_from_linear/?limit=50&sync=false").json()
    assert any(t["title"] == "Internal: refund flow broken" for t in fetched["linear_issues"])
    assert fetched["synced_issues"] == []
    assert fetched["organization"]["id"] == org.pk
    fetched = staff_api.get("/api/issues/fetch_from_linear/?limit=50&sync=true").json()
    created = [row for row in fetched["synced_issues"] if row["action"] == "created"]
    assert len(created) >= 1
    internal = CustomerIssue.objects.get(title="Internal: refund flow broken")
    assert internal.is_client_issue is False

    stats = staff_api.get("/api/issues/stats/").json()
    assert stats["total"] == CustomerIssue.objects.filter(organization=org).count()
    assert set(stats["by_priority"]) == {"low", "medium", "high", "urgent"}
    assert stats["by_source"]["client_raised"] == 1
    assert stats["by_status"]["resolved"] >= 1


def test_raising_without_a_tracker_still_creates_the_issue(api_client, admin, people):
    customer_api = login(api_client, people["customer"])
    response = customer_api.post(
        "/api/client/issues/raise/",
        {
            "organization": admin.organization.pk,
            "title": "Late delivery",
            "description": "Two weeks late.",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert "no Linear team" in body["message"]
    assert body["linear_data"] is None and body["issue"]["synced_to_linear"] is False
    assert (body["issue"]["priority"], body["issue"]["category"]) == ("medium", "general")


def test_raising_while_the_tracker_is_down_waits_in_the_outbox(
    api_client, admin, support, people, django_capture_on_commit_callbacks
):
    support.fake.fail_next(503, times=10)
    customer_api = login(api_client, people["customer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_api.post(
            "/api/client/issues/raise/",
            {"organization": admin.organization.pk, "title": "Broken", "description": "It broke."},
            format="json",
        )
    body = response.json()
    assert response.status_code == 201
    assert "could not be reached" in body["message"]
    assert body["linear_data"] is None and body["issue"]["synced_to_linear"] is False
    assert (
        OutboxEntry.objects.filter(operation="tracker.create_ticket", status="pending").count() == 1
    )


def test_setting_the_linear_team_of_an_organization(client_for, admin, people):
    org = admin.organization
    response = client_for(admin).patch(
        f"/api/organizations/{org.pk}/", {"linear_team_id": "team-123"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["linear_team_id"] == "team-123"
    assert (
        client_for(people["employee"])
        .patch(f"/api/organizations/{org.pk}/", {"linear_team_id": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(UserFactory(role=Role.ADMIN))
        .patch(f"/api/organizations/{org.pk}/", {"linear_team_id": "x"}, format="json")
        .status_code
        == 404
    )
    assert SupportSettings.objects.get(organization=org).linear_team_id == "team-123"


def _fetch_requests(support) -> list:
    """The tracker requests that read issues (Jira's search, Linear's issues query)."""
    return [
        request
        for request in support.fake.requests
        if request.path.endswith("/search/jql") or b"issues(" in request.body
    ]


def test_fetch_reads_only_the_newest_limit_tickets_from_the_tracker(client_for, admin, support):
    for number in range(7):
        support.create_remote_ticket(f"Recent {number}")
    support.fake.requests.clear()

    response = client_for(admin).get("/api/issues/fetch_from_linear/?limit=3")

    assert response.status_code == 200, response.content
    titles = [ticket["title"] for ticket in response.json()["linear_issues"]]
    assert titles == ["Recent 6", "Recent 5", "Recent 4"]
    (request,) = _fetch_requests(support)
    body = request.json()
    asked = body.get("maxResults") or body.get("variables", {}).get("first")
    assert asked == 3


@pytest.mark.parametrize(
    ("break_it", "status", "code", "reason"),
    [
        ("unreachable", 503, "remote_unavailable", ""),
        (
            "token refused",
            502,
            "remote_failed",
            "The token was refused (401): check or replace it.",
        ),
    ],
)
def test_fetch_says_why_when_the_tracker_fails(
    client_for, admin, support, break_it, status, code, reason
):
    if break_it == "unreachable":
        support.fake.drop_next(times=10)
    else:
        support.connection.api_token = "revoked-token"
        support.connection.save()

    response = client_for(admin).get("/api/issues/fetch_from_linear/?limit=5")

    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message"].startswith(reason)
    assert "revoked-token" not in response.content.decode()
