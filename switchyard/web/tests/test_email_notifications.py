"""Customers get an email when staff move or answer their issue, unless they turned it off."""

import pytest

from switchyard.web.tests.factories import CustomerIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(org, people):
    return CustomerIssueFactory(organization=org, raised_by_customer=people["customer"])


def test_status_changes_and_staff_replies_are_emailed(
    signed_in, people, issue, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(people["employee"])
    url = f"/inbox/issues/{issue.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "change", "status": "in_progress", "priority": "medium"})
        client.post(url, {"action": "comment", "text": "A replacement is on its way."})
    assert [m.to for m in mailoutbox] == [[people["customer"].email]] * 2
    assert mailoutbox[0].subject == f"[{issue.issue_number}] Now in progress"
    assert "A replacement is on its way." in mailoutbox[1].body


def test_the_customers_own_comment_sends_nothing(
    signed_in, people, issue, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(people["customer"]).post(f"/portal/issues/{issue.pk}/", {"text": "Any news?"})
    assert mailoutbox == []


def test_a_customer_turns_emails_off(
    signed_in, people, issue, mailoutbox, django_capture_on_commit_callbacks
):
    customer = signed_in(people["customer"])
    assert "checked" in customer.get("/portal/email/").content.decode()
    response = customer.post("/portal/email/", {}, follow=True)
    assert "Email settings saved." in response.content.decode()
    assert "checked" not in customer.get("/portal/email/").content.decode()
    staff = signed_in(people["employee"])
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/inbox/issues/{issue.pk}/", {"action": "comment", "text": "Hello"})
    assert mailoutbox == []
    assert signed_in(people["employee"]).get("/portal/email/").status_code == 403
