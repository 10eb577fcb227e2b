"""Sentry issues: link the selected to an existing ticket of the organization, by key or URL."""

import pytest
from django.utils import timezone

from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection
from switchyard.trackers.models import Ticket, TicketLink, TrackerProject

pytestmark = pytest.mark.django_db


def unresolved():
    return SentryIssue.objects.filter(status="unresolved", is_deleted=False).order_by("pk")


def link(client, issues, ticket):
    data = {"issues": [issue.pk for issue in issues], "action": "link", "ticket": ticket}
    return client.post("/sentry/selection/", data, follow=True).content.decode()


def remote_ticket(tracker, summary: str) -> str:
    """A ticket made by a person in the tracker; its key (a Linear fake answers with an id)."""
    made = tracker.create_remote_ticket(summary)
    if tracker.kind == "linear":
        return tracker.fake._identifier(tracker.fake.issues[made])
    return made


def links_of(issues):
    return TicketLink.objects.filter(
        source_type__model="sentryissue", source_id__in=[issue.pk for issue in issues]
    )


def test_link_a_ticket_made_in_the_tracker_to_selected_issues(signed_in, admin, tracker):
    key = remote_ticket(tracker, "Checkout times out")  # not yet known here
    chosen = list(unresolved()[:2])
    html = link(signed_in(admin), chosen, key.lower())
    assert f"{key} linked to 2 issues." in html
    links = links_of(chosen)
    assert links.count() == 2
    assert {(lk.ticket.key, lk.created_via) for lk in links} == {(key, "linked")}
    for issue in chosen:  # the list shows the ticket beside each issue
        assert key in html[html.index(f'data-testid="tickets-{issue.pk}"') :][:400]

    third = unresolved()[2]
    html = link(signed_in(admin), [*chosen, third], Ticket.objects.get(key=key).url)
    assert f"{key} linked to 1 issue." in html
    assert "2 already had a ticket in that tracker project: skipped." in html
    assert links_of([*chosen, third]).count() == 3


@pytest.mark.parametrize(
    ("ticket", "message"),
    [
        ("", "Give the key of the ticket to link"),
        ("no key here", "Give a ticket key such as PAY-7"),
        ("PAY-99999", "No tracker of this organization knows PAY-99999."),
        ("x" * 501, "Ensure this value has at most 500 characters"),
    ],
)
def test_bad_input_says_why_and_writes_nothing(signed_in, admin, tracker, ticket, message):
    tickets = Ticket.objects.count()
    html = link(signed_in(admin), unresolved()[:2], ticket)
    assert message in html
    assert not TicketLink.objects.exists() and Ticket.objects.count() == tickets


def test_another_organizations_ticket_and_issues_stay_out_of_reach(
    signed_in, admin, people, tracker
):
    outsider = people["outsider"]
    connection = Connection.objects.create(
        organization=outsider.organization,
        kind="jira",
        name="Their Jira",
        base_url="https://other.atlassian.test",
        account_email="bot@other.test",
        api_token="t",
    )
    project = TrackerProject.objects.create(
        connection=connection, external_id="9", key="OUT", name="Theirs"
    )
    now = timezone.now()
    Ticket.objects.create(
        connection=connection,
        tracker_project=project,
        external_id="900",
        key="OUT-1",
        url="https://other.atlassian.test/browse/OUT-1",
        summary="Their ticket",
        status="To Do",
        status_category="todo",
        remote_created_at=now,
        remote_updated_at=now,
    )
    issues = list(unresolved()[:1])
    assert "No tracker of this organization knows OUT-1." in link(signed_in(admin), issues, "OUT-1")
    assert "valid choice" in link(signed_in(outsider), issues, "OUT-1")
    assert not TicketLink.objects.exists()


def test_only_staff_may_link(signed_in, people, admin, tracker):
    key = remote_ticket(tracker, "Checkout times out")
    issue = unresolved().first()
    data = {"issues": [issue.pk], "action": "link", "ticket": key}
    response = signed_in(people["customer"]).post("/sentry/selection/", data)
    assert response.status_code == 403
    assert "Only staff" in response.content.decode()
    assert not TicketLink.objects.exists()
    for role in ("employee", "vendor"):
        person = people[role]
        person.organization = admin.organization
        person.save()
        assert link(signed_in(person), [issue], key)
        TicketLink.objects.all().delete()
    assert signed_in(admin).post("/sentry/selection/", data).status_code == 302
    assert links_of([issue]).count() == 1
