"""Who may call which customer-issue endpoint, and bad input answered with a 400 naming the field."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrderFactory,
    OrganizationFactory,
    UserFactory,
    VendorFactory,
)
from switchyard.support import services
from switchyard.support.models import CustomerIssue, IssueComment, IssueStatusChange

pytestmark = pytest.mark.django_db


def raise_issue(customer, organization, **fields):
    return services.issue_raise(
        customer=customer,
        organization=organization,
        title=fields.get("title", "Broken"),
        description="Details",
        priority=fields.get("priority", "medium"),
        category="general",
    ).issue


@pytest.fixture
def world():
    org, other_org = OrganizationFactory(), OrganizationFactory()
    owner, stranger = CustomerFactory(), CustomerFactory()
    issue = raise_issue(owner, org)
    foreign_issue = raise_issue(stranger, other_org)
    return {
        "org": org,
        "issue": issue,
        "foreign_issue": foreign_issue,
        "anonymous": None,
        "owner": owner,
        "other_customer": stranger,
        "employee": UserFactory(organization=org, role=Role.EMPLOYEE),
        "vendor": UserFactory(
            organization=org, role=Role.VENDOR, vendor=VendorFactory(organization=org)
        ),
        "admin": AdminFactory(organization=org),
        "other_org_employee": UserFactory(organization=other_org, role=Role.EMPLOYEE),
        "other_org_vendor": UserFactory(organization=other_org, role=Role.VENDOR),
    }


def endpoints(world):
    issue, org = world["issue"].pk, world["org"].pk
    raise_body = {"organization": org, "title": "New", "description": "New issue"}
    return {
        "raise": ("post", "/api/client/issues/raise/", raise_body),
        "list": ("get", "/api/issues/", None),
        "retrieve": ("get", f"/api/issues/{issue}/", None),
        "client_detail": ("get", f"/api/client/issues/{issue}/", None),
        "client_comment": (
            "post",
            f"/api/client/issues/{issue}/comment/",
            {"comment": "Any news?"},
        ),
        "patch": ("patch", f"/api/issues/{issue}/", {"status": "in_progress"}),
        "resolve": ("post", f"/api/issues/{issue}/resolve/", {"resolution_notes": "Done"}),
        "assign": ("post", f"/api/issues/{issue}/assign/", {"employee_id": world["employee"].pk}),
        "reopen": ("post", f"/api/issues/{issue}/reopen/", None),
        "sync": ("post", f"/api/issues/{issue}/sync_to_linear/", None),
        "fetch": ("get", "/api/issues/fetch_from_linear/?limit=5", None),
        "stats": ("get", "/api/issues/stats/", None),
        "org_patch": ("patch", f"/api/organizations/{org}/", {"linear_team_id": "team-1"}),
    }


# Expected status per endpoint and caller. 404: the issue or organization is not theirs (never
# revealed); 403: wrong role; 400: allowed, but the request cannot succeed as posed (reopening an
# open issue; syncing or fetching with no Linear team set).
MATRIX = {
    "raise": {
        "anonymous": 401,
        "owner": 201,
        "other_customer": 201,
        "employee": 403,
        "vendor": 403,
        "admin": 403,
        "other_org_employee": 403,
        "other_org_vendor": 403,
    },
    "list": {
        "anonymous": 401,
        "owner": 200,
        "other_customer": 200,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 200,
        "other_org_vendor": 200,
    },
    "retrieve": {
        "anonymous": 401,
        "owner": 200,
        "other_customer": 404,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "client_detail": {
        "anonymous": 401,
        "owner": 200,
        "other_customer": 404,
        "employee": 403,
        "vendor": 403,
        "admin": 403,
        "other_org_employee": 403,
        "other_org_vendor": 403,
    },
    "client_comment": {
        "anonymous": 401,
        "owner": 201,
        "other_customer": 404,
        "employee": 403,
        "vendor": 403,
        "admin": 403,
        "other_org_employee": 403,
        "other_org_vendor": 403,
    },
    "patch": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "resolve": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "assign": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "reopen": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 400,
        "vendor": 400,
        "admin": 400,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "sync": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 400,
        "vendor": 400,
        "admin": 400,
        "other_org_employee": 404,
        "other_org_vendor": 404,
    },
    "fetch": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 400,
        "vendor": 400,
        "admin": 400,
        "other_org_employee": 400,
        "other_org_vendor": 400,
    },
    "stats": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 200,
        "vendor": 200,
        "admin": 200,
        "other_org_employee": 200,
        "other_org_vendor": 200,
    },
    "org_patch": {
        "anonymous": 401,
        "owner": 403,
        "other_customer": 403,
        "employee": 403,
        "vendor": 403,
        "admin": 200,
        "other_org_employee": 403,
        "other_org_vendor": 403,
    },
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_permission_matrix(api_client, client_for, world, endpoint):
    method, url, body = endpoints(world)[endpoint]
    for caller, expected in MATRIX[endpoint].items():
        CustomerIssue.objects.filter(pk=world["issue"].pk).update(
            status="open"
        )  # each caller starts alike
        client = api_client if caller == "anonymous" else client_for(world[caller])
        response = (
            getattr(client, method)(url, body, format="json")
            if body
            else getattr(client, method)(url)
        )
        assert response.status_code == expected, (endpoint, caller, response.content[:300])


def test_lists_never_show_another_organizations_or_customers_issues(client_for, world):
    def ids(user):
        return {
            row["id"]
            for row in client_for(user).get("/api/issues/?page_size=200").json()["results"]
        }

    assert ids(world["owner"]) == {world["issue"].pk}
    assert ids(world["other_customer"]) == {world["foreign_issue"].pk}
    assert ids(world["employee"]) == ids(world["vendor"]) == {world["issue"].pk}
    assert ids(world["other_org_employee"]) == {world["foreign_issue"].pk}


def test_the_list_runs_a_fixed_number_of_queries(client_for, world):
    staff = client_for(world["employee"])

    def queries():
        with CaptureQueriesContext(db) as captured:
            assert staff.get("/api/issues/?page_size=200").status_code == 200
        return len(captured)

    few = queries()
    for index in range(30):
        raise_issue(CustomerFactory(), world["org"], title=f"Issue {index}")
    assert queries() == few


# -- bad input ------------------------------------------------------------------------------


def raise_as(client_for, customer, body):
    return client_for(customer).post("/api/client/issues/raise/", body, format="json")


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"organization": 999999},
            {"organization": ['Invalid pk "999999" - object does not exist.']},
        ),
        ({"priority": "critical"}, {"priority": ['"critical" is not a valid choice.']}),
        ({"category": "shipping"}, {"category": ['"shipping" is not a valid choice.']}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
    ],
)
def test_bad_raise_input_names_the_field(client_for, world, change, expected):
    before = CustomerIssue.objects.count()
    body = {
        "organization": world["org"].pk,
        "title": "Damaged",
        "description": "Crushed box",
        **change,
    }
    response = raise_as(client_for, world["owner"], body)
    assert response.status_code == 400
    assert response.json() == expected
    assert CustomerIssue.objects.count() == before


def test_vendor_and_order_must_belong_to_the_organization_and_the_customer(client_for, world):
    org, owner = world["org"], world["owner"]
    foreign_vendor = VendorFactory()
    someone_elses_order = OrderFactory(organization=org)
    other_org_order = OrderFactory(organization=OrganizationFactory(), customer=owner)
    before = CustomerIssue.objects.count()
    base = {"organization": org.pk, "title": "Damaged", "description": "Crushed box"}

    response = raise_as(client_for, owner, {**base, "vendor": foreign_vendor.pk})
    assert response.json() == {"vendor": ["This vendor does not belong to the organization."]}
    for order in (someone_elses_order, other_org_order):
        response = raise_as(client_for, owner, {**base, "order": order.pk})
        assert response.status_code == 400
        assert response.json() == {
            "order": ["This order is not one of yours with this organization."]
        }
    assert CustomerIssue.objects.count() == before


def test_bad_staff_input_names_the_field_and_changes_nothing(client_for, world):
    staff = client_for(world["employee"])
    issue = world["issue"]
    url = f"/api/issues/{issue.pk}/"

    assert staff.patch(url, {"status": "done"}, format="json").json() == {
        "status": ['"done" is not a valid choice.']
    }
    assert staff.patch(url, {"priority": "p1"}, format="json").json() == {
        "priority": ['"p1" is not a valid choice.']
    }
    for not_an_employee in (world["owner"], world["other_org_employee"]):
        response = staff.post(f"{url}assign/", {"employee_id": not_an_employee.pk}, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "employee_id": ["This is not an employee of the issue's organization."]
        }
    assert staff.post(f"{url}assign/", {}, format="json").json() == {
        "employee_id": ["This field is required."]
    }

    CustomerIssue.objects.filter(pk=issue.pk).update(status="closed")
    response = staff.post(f"{url}resolve/", {"resolution_notes": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["A closed issue cannot be resolved; reopen it first."]}
    issue.refresh_from_db()
    assert (issue.status, issue.assigned_to, issue.resolution_notes) == ("closed", None, "")
    assert IssueStatusChange.objects.filter(issue=issue).count() == 1


def test_an_empty_comment_is_refused(client_for, world):
    response = client_for(world["owner"]).post(
        f"/api/client/issues/{world['issue'].pk}/comment/", {"comment": ""}, format="json"
    )
    assert response.json() == {"comment": ["This field may not be blank."]}
    assert not IssueComment.objects.exists()


def test_issue_numbers_count_per_year_and_restart(world):
    year = timezone.now().year
    assert services.next_issue_number(year=year) == f"ISS-{year}-0003"  # two raised in the fixture
    assert services.next_issue_number(year=year + 1) == f"ISS-{year + 1}-0001"
    assert services.next_issue_number(year=year) == f"ISS-{year}-0004"


@pytest.mark.django_db(transaction=True)
def test_issue_numbers_stay_unique_under_concurrent_creation():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections, transaction

    def take_numbers(_):
        try:
            numbers = []
            for _ in range(5):
                with transaction.atomic():
                    numbers.append(services.next_issue_number(year=2031))
            return numbers
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        taken = [number for numbers in pool.map(take_numbers, range(6)) for number in numbers]
    assert len(taken) == len(set(taken)) == 30
    assert sorted(taken) == [f"ISS-2031-{n:04d}" for n in range(1, 31)]
