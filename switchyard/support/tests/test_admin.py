"""Customer issues and support settings in the Django admin, as an organization admin."""

import pytest
from django.core.management import call_command

from switchyard.accounts.models import Organization, User
from switchyard.support.models import CustomerIssue, IssueStatus, SupportSettings
from switchyard.support.services import issue_comment, issue_raise, issue_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    call_command("seed_demo")
    return Organization.objects.get(slug="acme")


@pytest.fixture
def admin_client(client, acme):
    client.login(username="admin", password="demo-admin-pass")
    return client


def test_a_customer_issue_shows_its_comments_and_status_history(admin_client, acme):
    employee = User.objects.get(username="employee")
    issue = issue_raise(
        customer=User.objects.get(username="customer"),
        organization=acme,
        title="Parcel arrived damaged",
        description="The box was crushed.",
        priority="high",
        category="delivery",
    ).issue
    issue_update(issue=issue, actor=employee, status=IssueStatus.IN_PROGRESS)
    issue_comment(issue=issue, author=employee, text="A new one is on its way.")

    listing = admin_client.get("/admin/support/customerissue/").content.decode()
    assert "Parcel arrived damaged" in listing
    page = admin_client.get(f"/admin/support/customerissue/{issue.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "A new one is on its way." in html
    assert "Status history" in html
    assert "In progress" in html
    # Read here only: changes go through the web app or the API, which record the history.
    assert admin_client.get("/admin/support/customerissue/add/").status_code == 403
    response = admin_client.post(
        f"/admin/support/customerissue/{issue.pk}/change/", {"title": "Edited", "status": "closed"}
    )
    assert response.status_code == 403
    issue.refresh_from_db()
    assert (issue.title, issue.status) == ("Parcel arrived damaged", IssueStatus.IN_PROGRESS)


def test_an_organization_admin_sets_the_linear_team_of_their_organization(admin_client, acme):
    other = Organization.objects.create(name="Other", slug="other")
    response = admin_client.post(
        "/admin/support/supportsettings/add/",
        {"linear_team_id": "team-123", "organization": other.pk},
    )
    assert response.status_code == 302
    settings = SupportSettings.objects.get()
    assert (settings.organization, settings.linear_team_id) == (acme, "team-123")
    # One row per organization: nothing more to add once it exists.
    assert admin_client.get("/admin/support/supportsettings/add/").status_code == 403
    response = admin_client.post(
        f"/admin/support/supportsettings/{settings.pk}/change/", {"linear_team_id": "team-456"}
    )
    assert response.status_code == 302
    settings.refresh_from_db()
    assert settings.linear_team_id == "team-456"
    assert CustomerIssue.objects.count() == 0
