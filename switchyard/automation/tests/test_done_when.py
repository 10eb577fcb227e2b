"""Rules against the fake Sentry and each fake tracker: issues become tickets once, whatever
arrives how often and whoever runs the rule."""

import pytest
from django.core import mail
from django.core.management import call_command

from switchyard.accounts.roles import org_admin_group
from switchyard.automation.models import RuleMatch
from switchyard.monitoring.models import SentryIssue
from switchyard.products.services import product_create
from switchyard.sync.models import Connection, OutboxEntry
from switchyard.trackers.models import TicketLink

pytestmark = pytest.mark.django_db

MARK = "PaymentDeclined"


def add_issues(fake, total: int, matching: int) -> list[str]:
    """``total`` new issues in the fake, ``matching`` of them carrying the rule's text."""
    project = next(iter(fake.projects))
    ids = []
    for n in range(total):
        title = (
            f"{MARK}: card {n} refused" if n < matching else f"TypeError: widget {n} is undefined"
        )
        ids.append(fake.add_issue(project, title=title, count=5 + n, user_count=1))
    return ids


def pull(capture) -> None:
    with capture(execute=True):
        call_command("sync_sentry", stdout=open("/dev/null", "w"))


def make_rule(api, tracker, **extra) -> dict:
    tracker.project.rules_may_create = True
    tracker.project.save()
    body = {
        "name": "Declined payments",
        "active": True,
        "conditions": {"text_contains": MARK.lower(), "min_level": "error"},
        "action": {
            "tracker_project": tracker.project.pk,
            "labels": ["sentry", "auto"],
            "title_template": "{short_id}: {title}",
            "description_template": "{count} events, {user_count} users: {permalink}",
        },
        **extra,
    }
    response = api.post("/api/automation-rules/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def rule_links():
    return TicketLink.objects.filter(created_via=TicketLink.CreatedVia.RULE)


def test_a_pull_of_200_issues_with_37_matching_creates_37_tickets_and_nothing_creates_more(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    rule = make_rule(api, tracker, hourly_ceiling=100)  # the default, 20, is tested below
    before = tracker.count("PAY")
    add_issues(fake_sentry, total=200, matching=37)

    pull(django_capture_on_commit_callbacks)

    assert SentryIssue.objects.count() == 200
    links = list(rule_links().select_related("ticket"))
    assert len(links) == 37 and all(link.ticket is not None for link in links)
    assert tracker.count("PAY") == before + 37
    for link in links:
        issue = SentryIssue.objects.get(pk=link.source_id)
        assert MARK in issue.title
        remote = tracker.remote(link.ticket.key)
        assert remote["summary"] == f"{issue.short_id}: {issue.title}"
        assert {"sentry", "auto"} <= {label.lower() for label in remote["labels"]}
    assert OutboxEntry.objects.exclude(status=OutboxEntry.Status.DELIVERED).count() == 0

    # The same issues again, by pull, by replayed and by fresh webhooks, and by hand: nothing new.
    pull(django_capture_on_commit_callbacks)
    sentry = Connection.objects.get(kind="sentry")
    for headers, body in fake_sentry.sent_webhooks:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/webhooks/sentry/{sentry.uuid}/",
                data=body,
                content_type="application/json",
                headers=headers,
            )
        assert response.status_code in (200, 202)
    matching = [i for i in fake_sentry.issues.values() if MARK in i.title][:5]
    for issue in matching:
        fake_sentry.record_events(str(issue.id), 3, users=2)  # changed issues: evaluated again
        headers, body = fake_sentry.build_webhook("issue.created", issue_id=str(issue.id))
        with django_capture_on_commit_callbacks(execute=True):
            api.post(
                f"/api/webhooks/sentry/{sentry.uuid}/",
                data=body,
                content_type="application/json",
                headers=headers,
            )
    assert SentryIssue.objects.filter(event_count__gt=5 + 37).exists()
    with django_capture_on_commit_callbacks(execute=True):
        run = api.post(f"/api/automation-rules/{rule['id']}/run/", {"confirm": True}, format="json")
    assert run.status_code == 200 and run.json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        call_command("automation", stdout=open("/dev/null", "w"))

    assert rule_links().count() == 37 and tracker.count("PAY") == before + 37
    stats = api.get(f"/api/automation-rules/{rule['id']}/stats/").json()
    assert (stats["matches"], stats["created"], stats["failed"]) == (37, 37, 0)
    assert stats["last_fired_at"] is not None


def test_an_issue_arriving_by_webhook_becomes_a_ticket(
    client, client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    make_rule(api, tracker)
    pull(django_capture_on_commit_callbacks)
    (issue_id,) = add_issues(fake_sentry, total=1, matching=1)
    headers, body = fake_sentry.sent_webhooks[-1]
    sentry = Connection.objects.get(kind="sentry")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            f"/api/webhooks/sentry/{sentry.uuid}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )
    link = rule_links().get()
    assert SentryIssue.objects.get(pk=link.source_id).external_id == issue_id
    assert tracker.remote(link.ticket.key)["summary"].endswith(f"{MARK}: card 0 refused")

    # The product's figures count it.
    checkout = product_create(organization=admin.organization, name="Checkout")
    with django_capture_on_commit_callbacks(execute=True):  # insights follows the mapping
        api.post(
            f"/api/products/{checkout.pk}/tracker-projects/",
            {"project_ids": [tracker.project.pk]},
            format="json",
        )
    overview = api.get(f"/api/products/{checkout.pk}/overview/").json()
    assert overview["tickets_auto_created_this_week"] == 1
    admin.groups.add(org_admin_group())
    client.force_login(admin)
    html = client.get("/admin/products/product/").content.decode()
    assert "auto-created this week: 1</td>" in html


def test_the_first_rule_by_position_takes_an_issue(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    later = make_rule(api, tracker, name="Later", position=5)
    first = make_rule(
        api,
        tracker,
        name="First",
        position=1,
        action={"tracker_project": tracker.project.pk, "labels": ["first"]},
    )
    add_issues(fake_sentry, total=3, matching=3)
    pull(django_capture_on_commit_callbacks)
    assert set(RuleMatch.objects.values_list("rule_id", flat=True)) == {first["id"]}
    assert rule_links().count() == 3
    for link in rule_links():
        assert "first" in {label.lower() for label in tracker.remote(link.ticket.key)["labels"]}
    assert api.get(f"/api/automation-rules/{later['id']}/stats/").json()["matches"] == 0


def test_the_hourly_ceiling_holds_matches_until_released(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    rule = make_rule(api, tracker, hourly_ceiling=5)
    add_issues(fake_sentry, total=20, matching=12)
    pull(django_capture_on_commit_callbacks)
    assert rule_links().count() == 5
    detail = api.get(f"/api/automation-rules/{rule['id']}/").json()
    assert (detail["created"], detail["throttled"]) == (5, 7)
    with django_capture_on_commit_callbacks(execute=True):
        released = api.post(f"/api/automation-rules/{rule['id']}/release/")
    assert released.json() == {"released": 7}
    assert rule_links().filter(ticket__isnull=False).count() == 12
    stats = api.get(f"/api/automation-rules/{rule['id']}/stats/").json()
    assert (stats["created"], stats["throttled"]) == (12, 0)


def test_held_matches_go_out_when_the_hour_rolls_over(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks, time_machine_hour
):
    from switchyard.sync.scheduler import schedule_due_work

    api = client_for(admin)
    make_rule(api, tracker, hourly_ceiling=4)
    add_issues(fake_sentry, total=10, matching=10)
    pull(django_capture_on_commit_callbacks)
    assert rule_links().count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        schedule_due_work()  # same hour: nothing
    assert rule_links().count() == 4
    time_machine_hour(1)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_due_work()
    assert rule_links().count() == 8
    time_machine_hour(2)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_due_work()
    assert rule_links().count() == 10
    assert not RuleMatch.objects.filter(outcome="throttled").exists()


def test_five_refused_creations_in_a_row_pause_the_rule_and_tell_the_admins(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    rule = make_rule(api, tracker)
    refusal = {"errorMessages": [], "errors": {"issuetype": "The issue type selected is invalid."}}
    tracker.fake.fail_next(
        400,
        times=50,
        method="POST",
        body=refusal,
        path=r"/rest/api/3/issue$" if tracker.kind == "jira" else None,
    )
    add_issues(fake_sentry, total=6, matching=6)
    pull(django_capture_on_commit_callbacks)

    detail = api.get(f"/api/automation-rules/{rule['id']}/").json()
    assert detail["failed"] == 6 and detail["created"] == 0
    assert detail["active"] is False and detail["paused"] is True
    assert "5 failed ticket creations in a row" in detail["pause_reason"]
    failure = detail["recent_failures"][0]
    assert "400" in failure["error"] and failure["source_type"] == "sentryissue"
    if tracker.kind == "jira":
        assert "The issue type selected is invalid." in failure["error"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [admin.email]
    assert "Declined payments" in mail.outbox[0].subject
    # Paused: new matches wait for a person.
    add_issues(fake_sentry, total=1, matching=1)
    pull(django_capture_on_commit_callbacks)
    assert RuleMatch.objects.count() == 6
    resumed = api.patch(f"/api/automation-rules/{rule['id']}/", {"active": True}, format="json")
    assert resumed.json()["paused"] is False and resumed.json()["consecutive_failures"] == 0


def test_a_rule_without_conditions_takes_every_new_issue(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    make_rule(client_for(admin), tracker, conditions={})
    add_issues(fake_sentry, total=3, matching=0)
    pull(django_capture_on_commit_callbacks)
    assert rule_links().filter(ticket__isnull=False).count() == 3
