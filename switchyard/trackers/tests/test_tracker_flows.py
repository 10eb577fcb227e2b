"""Tickets from Sentry issues and status both ways, the same suite for every tracker kind."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from switchyard.accounts.tests.factories import OrganizationFactory
from switchyard.monitoring.models import SentryIssue
from switchyard.sync.models import Connection, EventDelivery, OutboxEntry, SyncRun
from switchyard.sync.outbox import outbox_due_ids
from switchyard.sync.scheduler import schedule_due_work
from switchyard.trackers import services
from switchyard.trackers.models import StatusMapping, Ticket, TicketLink, TrackerProject
from switchyard.trackers.sources import TicketDraft
from switchyard.trackers.tests.fixtures import PERSON, deliver_webhook

pytestmark = pytest.mark.django_db


def create_ticket(api, issue, project, capture):
    with capture(execute=True):
        response = api.post(
            f"/api/sentry/issues/{issue.pk}/tickets/",
            {"tracker_project": project.pk},
            format="json",
        )
    assert response.status_code == 202, response.json()
    link = TicketLink.objects.get(pk=response.json()["id"])
    assert link.ticket is not None, OutboxEntry.objects.values("status", "last_error")
    return link


def sync(kind):
    call_command(f"sync_{kind}", stdout=open("/dev/null", "w"))


def sentry_state(fake_sentry, issue):
    return fake_sentry.issues[int(issue.external_id)]


def sentry_notes(fake_sentry, issue):
    return [
        note.text for note in fake_sentry.notes.values() if note.issue_id == int(issue.external_id)
    ]


def test_projects_and_tickets_sync_in_and_a_second_run_changes_nothing(tracker):
    assert Ticket.objects.filter(
        connection=tracker.connection, summary="Checkout button unresponsive"
    ).exists()
    assert tracker.project.priority_mappings.count() == 4
    sync(tracker.kind)
    run = SyncRun.objects.filter(connection=tracker.connection).order_by("-started_at").first()
    assert (run.status, run.created, run.updated) == ("succeeded", 0, 0)


def test_a_ticket_made_from_a_sentry_issue_has_its_details_and_is_linked(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    issue = unresolved_issues[0]
    link = create_ticket(
        client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
    )
    remote = tracker.remote(link.ticket.key)
    assert remote["summary"] == f"[{issue.short_id}] {issue.title}"[:250]
    assert "sentry" in {label.lower() for label in remote["labels"]}
    assert link.ticket.description.count(issue.permalink) >= 1
    assert f"**Events:** {issue.event_count}" in link.ticket.description
    if tracker.kind == "jira":
        assert remote["description"]["type"] == "doc" and remote["description"]["version"] == 1
    listed = client_for(admin).get(f"/api/sentry/issues/{issue.pk}/tickets/").json()
    assert [row["ticket"]["key"] for row in listed] == [link.ticket.key]
    ticket = client_for(admin).get(f"/api/tickets/{link.ticket.pk}/").json()
    assert ticket["sources"] == [{"type": "sentryissue", "id": issue.pk, "link": link.pk}]


def test_a_ticket_carries_its_projects_default_labels_and_the_sources(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    response = api.patch(
        f"/api/tracker-projects/{tracker.project.pk}/",
        {"default_labels": ["customer-facing", "Checkout"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    issue = unresolved_issues[0]

    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)

    labels = [label.lower() for label in tracker.remote(link.ticket.key)["labels"]]
    assert {"customer-facing", "checkout", "sentry", f"sentry-{issue.level}"} <= set(labels)
    assert len(labels) == len(set(labels))  # a label the tracker had is not added twice


def test_bulk_creation_makes_exactly_one_ticket_per_issue_and_again_makes_none(
    client_for, admin, tracker, django_capture_on_commit_callbacks
):
    issues = list(SentryIssue.objects.order_by("pk")[:50])
    before = tracker.count(tracker.project.key)
    payload = {"issue_ids": [i.pk for i in issues], "tracker_project": tracker.project.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            "/api/sentry/issues/create-tickets/", payload, format="json"
        )
    assert response.status_code == 202
    assert len(response.json()["queued"]) == 50
    assert tracker.count(tracker.project.key) == before + 50
    assert TicketLink.objects.filter(ticket__isnull=False).count() == 50

    with django_capture_on_commit_callbacks(execute=True):
        again = (
            client_for(admin)
            .post("/api/sentry/issues/create-tickets/", payload, format="json")
            .json()
        )
    assert again == {"queued": [], "already_linked": [i.pk for i in issues]}
    assert tracker.count(tracker.project.key) == before + 50


def other_organizations_project() -> TrackerProject:
    connection = Connection.objects.create(
        organization=OrganizationFactory(), kind="jira", name="Theirs", base_url="https://x.test"
    )
    return TrackerProject.objects.create(connection=connection, external_id="9", key="THEM")


def test_tickets_ordered_together_are_made_once_each_with_their_own_words(
    tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    issues = unresolved_issues[:4]
    before = tracker.count(tracker.project.key)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_create_for_source(source=issues[0], tracker_project=tracker.project)
    orders = [
        services.TicketOrder(
            source=issue,
            tracker_project=tracker.project,
            draft=TicketDraft(summary=f"Ordered {n}", description="From a rule", priority="high"),
        )
        for n, issue in enumerate(issues)
    ]
    stranger = other_organizations_project()
    orders.append(
        services.TicketOrder(
            source=issues[1],
            tracker_project=stranger,
            draft=TicketDraft(summary="Elsewhere", description="", priority="low"),
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        results = services.tickets_create_for_orders(orders=orders, via="rule")
    assert [r.already_linked for r in results] == [True, False, False, False, False]
    assert results[4].link_id is None and results[4].refused == "Wrong organization."
    links = TicketLink.objects.filter(created_via="rule").order_by("source_id")
    assert [link.pk for link in links] == [r.link_id for r in results[1:4]]
    # One outbox entry per ticket, delivered by one task: each ticket exists once, as ordered.
    assert OutboxEntry.objects.filter(operation="tracker.create_ticket").count() == 4
    assert set(OutboxEntry.objects.values_list("status", flat=True)) == {"delivered"}
    assert [link.ticket.summary for link in links] == ["Ordered 1", "Ordered 2", "Ordered 3"]
    assert tracker.count(tracker.project.key) == before + 4

    with django_capture_on_commit_callbacks(execute=True):
        again = services.tickets_create_for_orders(orders=orders[1:4], via="rule")
    assert [r.already_linked for r in again] == [True, True, True]
    assert tracker.count(tracker.project.key) == before + 4


def test_a_timeout_after_the_remote_created_the_ticket_does_not_create_a_second(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    before = tracker.count(tracker.project.key)
    tracker.fail_creates()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            f"/api/sentry/issues/{unresolved_issues[0].pk}/tickets/",
            {"tracker_project": tracker.project.pk},
            format="json",
        )
    entry = OutboxEntry.objects.get(operation="tracker.create_ticket")
    assert tracker.count(tracker.project.key) == before + 1  # it did land
    if entry.status == "pending":  # Jira: the create is not retried in the request; the outbox does
        assert "in time" in entry.last_error
        OutboxEntry.objects.update(next_attempt_at=entry.created_at)
        schedule_due_work()
        entry.refresh_from_db()
    # Linear: the create carries its own id, so the client's immediate retry found the first one.
    assert entry.status == "delivered"
    assert tracker.count(tracker.project.key) == before + 1
    assert TicketLink.objects.get().ticket is not None


def test_closing_the_ticket_resolves_the_sentry_issue_with_a_comment(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    link = create_ticket(
        client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
    )
    tracker.close(link.ticket.key)
    headers, body = tracker.last_change_webhook(link.ticket.key)
    deliver_webhook(client, tracker.connection, headers, body, django_capture_on_commit_callbacks)

    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert sentry_state(fake_sentry, issue).status == "resolved"
    notes = sentry_notes(fake_sentry, issue)
    assert any(link.ticket.key in note for note in notes)
    link.refresh_from_db()
    assert link.sync_state == "ok"


def test_closing_the_ticket_is_also_noticed_by_the_next_sync(
    client_for, admin, tracker, fake_sentry, unresolved_issues, django_capture_on_commit_callbacks
):
    issue = unresolved_issues[0]
    link = create_ticket(
        client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
    )
    tracker.close(link.ticket.key)
    with django_capture_on_commit_callbacks(execute=True):
        sync(tracker.kind)
    assert sentry_state(fake_sentry, issue).status == "resolved"
    assert SentryIssue.objects.get(pk=issue.pk).status == "resolved"


def test_resolving_the_sentry_issue_moves_the_ticket_to_done_with_a_comment(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    remote = tracker.remote(link.ticket.key)
    assert remote["closed"], remote["status"]
    assert any("Resolved in Sentry" in text for _, text in remote["comments"])
    assert Ticket.objects.get(pk=link.ticket.pk).status_category == "done"


def test_a_link_can_switch_off_each_direction(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    assert (
        api.patch(
            f"/api/ticket-links/{link.pk}/", {"status_to_tracker": False}, format="json"
        ).status_code
        == 200
    )
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/sentry/issues/{issue.pk}/resolve/")
    assert not tracker.remote(link.ticket.key)["closed"]


def test_a_regression_reopens_the_closed_ticket(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/sentry/issues/{issue.pk}/resolve/")
    assert tracker.remote(link.ticket.key)["closed"]

    fake_sentry.regress_issue(issue.external_id)
    headers, body = fake_sentry.build_webhook(
        "issue.unresolved", issue_id=issue.external_id, secret="sentry-secret"
    )
    sentry = Connection.objects.get(kind="sentry")
    deliver_webhook(client, sentry, headers, body, django_capture_on_commit_callbacks)
    assert SentryIssue.objects.get(pk=issue.pk).status == "unresolved"
    assert not tracker.remote(link.ticket.key)["closed"]


def test_a_regression_can_open_a_new_ticket_beside_the_old_one(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    api.patch(
        f"/api/tracker-projects/{tracker.project.pk}/",
        {"regression_policy": "new_ticket"},
        format="json",
    )
    old = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/sentry/issues/{issue.pk}/resolve/")
    fake_sentry.regress_issue(issue.external_id)
    headers, body = fake_sentry.build_webhook(
        "issue.unresolved", issue_id=issue.external_id, secret="sentry-secret"
    )
    deliver_webhook(
        client,
        Connection.objects.get(kind="sentry"),
        headers,
        body,
        django_capture_on_commit_callbacks,
    )

    links = TicketLink.objects.filter(source_id=issue.pk).order_by("created_at")
    assert [link.is_active for link in links] == [False, True]
    new = links.last()
    assert new.ticket is not None and new.ticket.key != old.ticket.key
    assert tracker.remote(old.ticket.key)["closed"]


def test_several_statuses_can_count_as_done(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    review = tracker.review_status
    tracker.move(link.ticket.key, tracker.in_progress_status)
    tracker.move(link.ticket.key, review)
    sync(tracker.kind)  # learns the review status, in progress by default
    assert SentryIssue.objects.get(pk=issue.pk).status == "unresolved"
    mapping = StatusMapping.objects.get(tracker_project=tracker.project, remote_status=review)
    assert (
        api.patch(
            f"/api/status-mappings/{mapping.pk}/", {"category": "done"}, format="json"
        ).status_code
        == 200
    )

    tracker.move(link.ticket.key, tracker.in_progress_status)
    sync(tracker.kind)
    tracker.move(link.ticket.key, review)
    with django_capture_on_commit_callbacks(execute=True):
        sync(tracker.kind)
    assert Ticket.objects.get(pk=link.ticket.pk).status_category == "done"
    assert sentry_state(fake_sentry, issue).status == "resolved"


def test_a_transition_the_workflow_refuses_fails_visibly_on_the_link(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.locked_project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/sentry/issues/{issue.pk}/resolve/")
    entry = OutboxEntry.objects.get(operation="tracker.move_ticket")
    assert entry.status == "failed"
    failing = api.get("/api/ticket-links/?sync_state=failing").json()["results"]
    assert [row["id"] for row in failing] == [link.pk]
    assert link.ticket.key in failing[0]["last_error"]
    assert not tracker.remote(link.ticket.key)["closed"]
    health = api.get("/api/sync-health/").json()
    assert any(row["failed_changes"] == 1 for row in health)
    assert outbox_due_ids() == []


def test_assignees_follow_by_email_both_ways(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    link = create_ticket(
        client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
    )
    tracker.assign(link.ticket.key, PERSON)
    with django_capture_on_commit_callbacks(execute=True):
        sync(tracker.kind)
    remote_issue = sentry_state(fake_sentry, issue)
    assert fake_sentry.members[remote_issue.assignee_id].email == PERSON

    other = unresolved_issues[1]
    link2 = create_ticket(
        client_for(admin), other, tracker.project, django_capture_on_commit_callbacks
    )
    fake_sentry.assign_issue(other.external_id, PERSON)
    headers, body = fake_sentry.build_webhook(
        "issue.assigned", issue_id=other.external_id, secret="sentry-secret"
    )
    deliver_webhook(
        client,
        Connection.objects.get(kind="sentry"),
        headers,
        body,
        django_capture_on_commit_callbacks,
    )
    assert tracker.remote(link2.ticket.key)["assignee"] == PERSON


def test_comments_travel_both_ways_once_and_are_not_echoed(
    client,
    client_for,
    admin,
    tracker,
    fake_sentry,
    unresolved_issues,
    django_capture_on_commit_callbacks,
):
    issue = unresolved_issues[0]
    link = create_ticket(
        client_for(admin), issue, tracker.project, django_capture_on_commit_callbacks
    )
    tracker.comment(link.ticket.key, "Root cause: stale cache key")
    headers, body = tracker.last_comment_webhook(link.ticket.key)
    deliver_webhook(client, tracker.connection, headers, body, django_capture_on_commit_callbacks)
    # Delivered again under a new id (a retry that is not a redelivery): still one note.
    deliver_webhook(
        client,
        tracker.connection,
        {**headers, **tracker.fresh_delivery_headers()},
        body,
        django_capture_on_commit_callbacks,
    )
    notes = [n for n in sentry_notes(fake_sentry, issue) if "stale cache key" in n]
    assert len(notes) == 1 and link.ticket.key in notes[0]

    tracker.comment(link.ticket.key, "Copied by the bot", as_bot=True)
    headers, body = tracker.last_comment_webhook(link.ticket.key)
    deliver_webhook(client, tracker.connection, headers, body, django_capture_on_commit_callbacks)
    assert not [n for n in sentry_notes(fake_sentry, issue) if "Copied by the bot" in n]

    note_id = fake_sentry.add_note(issue.external_id, "Seen again after deploy 812", author=PERSON)
    headers, body = fake_sentry.build_webhook(
        "comment.created",
        comment_id=note_id,
        secret="sentry-secret",
        actor={"type": "user", "id": "1", "name": "Dana"},
    )
    sentry = Connection.objects.get(kind="sentry")
    deliver_webhook(client, sentry, headers, body, django_capture_on_commit_callbacks)
    deliver_webhook(
        client,
        sentry,
        {**headers, "Request-ID": "another"},
        body,
        django_capture_on_commit_callbacks,
    )
    copies = [
        text for _, text in tracker.remote(link.ticket.key)["comments"] if "deploy 812" in text
    ]
    assert len(copies) == 1


def test_a_product_shows_its_projects_open_tickets_and_new_tickets(
    client, client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks
):
    from switchyard.accounts.roles import org_admin_group
    from switchyard.products.tests.factories import ProductFactory

    checkout = ProductFactory(organization=admin.organization, name="Checkout")
    payments = ProductFactory(parent=checkout, name="Payments")
    api = client_for(admin)
    sentry_project = unresolved_issues[0].project
    with django_capture_on_commit_callbacks(execute=True):  # insights follows the mappings
        api.post(
            f"/api/products/{payments.pk}/tracker-projects/",
            {"project_ids": [tracker.project.pk]},
            format="json",
        )
        api.post(
            f"/api/products/{checkout.pk}/sentry-projects/",
            {"project_ids": [sentry_project.pk]},
            format="json",
        )
    link = create_ticket(
        api, unresolved_issues[0], tracker.project, django_capture_on_commit_callbacks
    )

    overview = api.get(f"/api/products/{checkout.pk}/overview/").json()
    assert [p["id"] for p in overview["sentry_projects"]] == [sentry_project.pk]
    assert overview["sentry_projects"][0]["unresolved_issues"] >= 1
    assert [p["key"] for p in overview["tracker_projects"]] == [tracker.project.key]
    assert overview["tracker_projects"][0]["open_tickets"] >= 1
    assert link.ticket.key in [t["key"] for t in overview["tickets_created_this_week"]]
    assert overview["tickets_auto_created_this_week"] == 0  # made by a person

    admin.groups.add(org_admin_group())
    client.force_login(admin)
    html = client.get("/admin/products/product/").content.decode()
    expected = Ticket.objects.filter(tracker_project=tracker.project).count()  # all open, all new
    figures = f"open tickets: {expected}, new this week: {expected}, auto-created this week: 0"
    assert (
        f'1 Tracker projects</a></td><td class="field-figures">unresolved issues: 0, events: 0, {figures}</td>'
        in html
    )
    unresolved = SentryIssue.objects.filter(project=sentry_project, status="unresolved").count()
    assert f'<td class="field-figures">unresolved issues: {unresolved}, ' in html


def test_a_subscriber_failing_once_is_retried_and_the_ticket_still_moves(
    client_for, admin, tracker, unresolved_issues, django_capture_on_commit_callbacks, monkeypatch
):
    issue = unresolved_issues[0]
    api = client_for(admin)
    link = create_ticket(api, issue, tracker.project, django_capture_on_commit_callbacks)
    real = services.source_status_changed
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "source_status_changed", fails_once)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    assert not tracker.remote(link.ticket.key)["closed"]
    waiting = EventDelivery.objects.get(subscriber__endswith="._sentry_status_changed")
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.organization_id == admin.organization_id
    assert "database went away" in waiting.last_error

    EventDelivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_due_work().events >= 1

    assert tracker.remote(link.ticket.key)["closed"]
    assert Ticket.objects.get(pk=link.ticket.pk).status_category == "done"
    assert not EventDelivery.objects.filter(pk=waiting.pk).exists()  # delivered
