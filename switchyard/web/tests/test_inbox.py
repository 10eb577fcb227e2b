"""The staff inbox and an issue's page: roles, other organizations, filters, bulk and single actions."""

import pytest

from switchyard.accounts.tests.factories import CustomerFactory
from switchyard.support.models import CustomerIssue, IssueComment, SupportSettings
from switchyard.trackers.models import TicketLink
from switchyard.web.tests.factories import CustomerIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(org):
    return CustomerIssueFactory(organization=org, title="Order 1042 arrived damaged")


def test_customers_get_a_403_and_anonymous_people_sign_in(client, signed_in, people, issue):
    assert client.get("/inbox/")["Location"].startswith("/login/")
    customer = signed_in(people["customer"])
    for url in ["/inbox/", f"/inbox/issues/{issue.pk}/"]:
        response = customer.get(url)
        assert response.status_code == 403
        assert "Only staff of an organization may do this." in response.content.decode()
    assert customer.post("/inbox/bulk/", {"issues": [issue.pk]}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "employee", "vendor"])
def test_staff_open_the_inbox_and_the_issue(signed_in, people, issue, role):
    client = signed_in(people[role])
    assert issue.title in client.get("/inbox/").content.decode()
    assert client.get(f"/inbox/issues/{issue.pk}/").status_code == 200


def test_another_organizations_issue_is_a_404(signed_in, people, issue):
    client = signed_in(people["outsider"])
    assert issue.title not in client.get("/inbox/").content.decode()
    assert client.get(f"/inbox/issues/{issue.pk}/").status_code == 404
    response = client.post(f"/inbox/issues/{issue.pk}/", {"action": "resolve"})
    assert response.status_code == 404
    client.post("/inbox/bulk/", {"issues": [issue.pk], "action": "status", "status": "closed"})
    issue.refresh_from_db()
    assert issue.status == "open"


def test_filters_through_the_url(signed_in, people, org):
    me = people["employee"]
    CustomerIssueFactory(organization=org, title="Urgent mine", priority="urgent", assigned_to=me)
    CustomerIssueFactory(organization=org, title="Low nobody", priority="low")
    CustomerIssueFactory(organization=org, title="Internal one", is_client_issue=False)
    client = signed_in(me)

    def titles(query):
        html = client.get(f"/inbox/?{query}").content.decode()
        return {t for t in ["Urgent mine", "Low nobody", "Internal one"] if t in html}

    assert titles("priority=urgent") == {"Urgent mine"}
    assert titles("assignee=mine") == {"Urgent mine"}
    assert titles("assignee=unassigned") == {"Low nobody", "Internal one"}
    assert titles(f"assignee={me.pk}") == {"Urgent mine"}
    assert titles("source=internal") == {"Internal one"}
    assert titles("source=client&q=low") == {"Low nobody"}
    assert titles("ordering=priority") == {"Urgent mine", "Low nobody", "Internal one"}
    html = client.get("/inbox/?priority=urgent", headers={"HX-Request": "true"}).content.decode()
    assert html.startswith('<div id="results">') and "Urgent mine" in html


def test_bulk_assign_and_status(signed_in, people, org):
    first, second = CustomerIssueFactory(organization=org), CustomerIssueFactory(organization=org)
    client = signed_in(people["employee"])
    response = client.post(
        "/inbox/bulk/",
        {"issues": [first.pk, second.pk], "action": "assign", "assignee": people["vendor"].pk},
        follow=True,
    )
    assert "2 issues updated." in response.content.decode()
    assert set(CustomerIssue.objects.values_list("assigned_to", flat=True)) == {people["vendor"].pk}
    client.post("/inbox/bulk/", {"issues": [first.pk], "action": "status", "status": "in_progress"})
    first.refresh_from_db()
    assert first.status == "in_progress" and first.history.get().changed_by == people["employee"]


def test_bulk_bad_input_changes_nothing(signed_in, people, org):
    issue = CustomerIssueFactory(organization=org)
    client = signed_in(people["employee"])
    customer = CustomerFactory()
    for data, message in [
        ({"issues": [issue.pk], "action": "assign", "assignee": customer.pk}, "valid choice"),
        ({"issues": [issue.pk], "action": "assign"}, "Choose who to assign"),
        ({"issues": [issue.pk], "action": "status", "status": "bogus"}, "valid choice"),
        ({"action": "status", "status": "closed"}, "This field is required."),
    ]:
        response = client.post("/inbox/bulk/", data, follow=True)
        assert message in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "open" and issue.assigned_to is None


def test_issue_actions_assign_change_resolve_reopen_comment(signed_in, people, issue):
    client = signed_in(people["employee"])
    url = f"/inbox/issues/{issue.pk}/"
    client.post(url, {"action": "assign", "employee": people["vendor"].pk})
    client.post(url, {"action": "change", "status": "in_progress", "priority": "high"})
    client.post(url, {"action": "resolve", "resolution_notes": "Replacement sent."})
    issue.refresh_from_db()
    assert issue.assigned_to == people["vendor"] and issue.priority == "high"
    assert issue.status == "resolved" and issue.resolution_notes == "Replacement sent."
    response = client.post(url, {"action": "reopen"}, follow=True)
    issue.refresh_from_db()
    assert issue.status == "in_progress" and "Issue reopened." in response.content.decode()
    client.post(url, {"action": "comment", "text": "We are on it."})
    assert IssueComment.objects.get().author == people["employee"]
    # The customer reads the staff's answer on their own page.
    customer_page = signed_in(issue.raised_by_customer).get(f"/portal/issues/{issue.pk}/")
    assert "We are on it." in customer_page.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "assign", "employee": "customer"}, "employee", "Select a valid choice."),
        ({"action": "assign", "employee": ""}, "employee", "This field is required."),
        ({"action": "change", "status": "done", "priority": "high"}, "status", "Select a valid"),
        ({"action": "comment", "text": ""}, "text", "This field is required."),
        ({"action": "escalate", "tracker_project": "999"}, "tracker_project", "Select a valid"),
    ],
)
def test_bad_input_on_the_issue_page(signed_in, people, issue, data, field, message):
    if data.get("employee") == "customer":
        data = {**data, "employee": issue.raised_by_customer.pk}
    response = signed_in(people["employee"]).post(f"/inbox/issues/{issue.pk}/", data)
    assert response.status_code == 200
    assert f'id="id_{field}-error">{message}' in response.content.decode()
    issue.refresh_from_db()
    assert issue.assigned_to is None and issue.status == "open" and not issue.comments.exists()


def test_refusals_of_the_services_are_shown(signed_in, people, issue):
    client = signed_in(people["employee"])
    response = client.post(f"/inbox/issues/{issue.pk}/", {"action": "reopen"})
    assert "Only a resolved or closed issue can be reopened." in response.content.decode()
    response = client.post(f"/inbox/issues/{issue.pk}/", {"action": "sync"})
    assert "The organization has no Linear team" in response.content.decode()
    assert client.post(f"/inbox/issues/{issue.pk}/", {"action": "drop"}).status_code == 302


def test_sync_and_escalate_reach_the_tracker(client, tracker, admin):
    issue = CustomerIssueFactory(organization=admin.organization, title="Damaged parcel")
    SupportSettings.objects.create(organization=admin.organization)
    tracker.use_for_support(admin.organization.support_settings, tracker.project)
    client.force_login(admin)
    url = f"/inbox/issues/{issue.pk}/"
    response = client.post(url, {"action": "sync"}, follow=True)
    assert "In sync with the tracker." in response.content.decode()
    key = TicketLink.objects.get(tracker_project=tracker.project).ticket.key
    assert "Damaged parcel" in tracker.remote(key)["summary"]
    assert key in client.get(url).content.decode()

    response = client.post(
        url, {"action": "escalate", "tracker_project": tracker.locked_project.pk}
    )
    assert response.status_code == 302
    assert TicketLink.objects.filter(tracker_project=tracker.locked_project).exists()
    response = client.post(
        url, {"action": "escalate", "tracker_project": tracker.locked_project.pk}
    )
    assert "Already linked" in response.content.decode()


def test_the_inbox_costs_the_same_queries_at_any_page_size(
    signed_in, people, org, django_assert_max_num_queries
):
    for n in range(30):
        CustomerIssueFactory(organization=org, assigned_to=people["vendor"] if n % 2 else None)
    client = signed_in(people["employee"])
    for size in (1, 200):
        with django_assert_max_num_queries(9):
            response = client.get(f"/inbox/?page_size={size}&status=open")
        assert response.status_code == 200
