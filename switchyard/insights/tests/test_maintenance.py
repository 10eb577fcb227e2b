"""The rollups follow the events the apps publish: pulls, tickets a rule makes, a person's status
change, a project mapped to a product; ``rebuild_insights`` finds what no event announced."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from switchyard.automation.tests.test_done_when import add_issues, make_rule, pull
from switchyard.insights.models import DailyRollup, Source
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.products.services import product_create

pytestmark = pytest.mark.django_db


def totals(**filters) -> dict:
    fields = ["new", "resolved", "reopened", "open_change", "events", "tickets_rule"]
    return DailyRollup.objects.filter(**filters).aggregate(**{f: Sum(f, default=0) for f in fields})


def test_a_pull_a_rule_a_resolve_and_a_mapping_reach_the_rollups(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    api = client_for(admin)
    make_rule(api, tracker)
    add_issues(fake_sentry, total=5, matching=2)  # counts 5..9
    pull(django_capture_on_commit_callbacks)

    sentry = totals(organization=admin.organization, source=Source.SENTRY)
    assert (sentry["new"], sentry["open_change"], sentry["events"]) == (5, 5, 35)
    tickets = totals(organization=admin.organization, source=Source.TICKET)
    # The rule's two, and the one the tracker's first sync stored (its stored batch waited, no
    # task having run in the fixture, and was observed with the rule's).
    assert (tickets["tickets_rule"], tickets["new"]) == (2, 3)

    issue = SentryIssue.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/sentry/issues/{issue.pk}/resolve/").status_code == 200
    sentry = totals(organization=admin.organization, source=Source.SENTRY)
    assert (sentry["resolved"], sentry["open_change"]) == (1, 4)

    checkout = product_create(organization=admin.organization, name="Checkout")
    project = SentryProject.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/products/{checkout.pk}/sentry-projects/",
            {"project_ids": [project.pk]},
            format="json",
        )
    assert response.status_code == 200, response.json()
    # The project's history moved with it: nothing is left under "no product".
    assert totals(source=Source.SENTRY, product_key=checkout.pk)["new"] == 5
    assert totals(source=Source.SENTRY, product_key=0)["new"] == 0


def test_rebuild_finds_a_change_no_event_announced(
    client_for, admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    add_issues(fake_sentry, total=3, matching=0)
    pull(django_capture_on_commit_callbacks)
    SentryIssue.objects.filter(pk=SentryIssue.objects.order_by("pk").first().pk).update(
        status="resolved"
    )
    assert totals(source=Source.SENTRY)["resolved"] == 0
    out = StringIO()
    call_command("rebuild_insights", stdout=out)
    assert "rollup rows written" in out.getvalue()
    assert totals(source=Source.SENTRY)["resolved"] == 1
    since = (timezone.now() + timedelta(days=1)).date().isoformat()
    call_command("rebuild_insights", "--since", since, stdout=out)
    assert totals(source=Source.SENTRY)["resolved"] == 1  # days before --since are kept
    with pytest.raises(CommandError, match="--since"):
        call_command("rebuild_insights", "--since", "yesterday")


def test_pulls_count_new_events_and_a_full_pull_withdraws_issues_gone_from_sentry(
    admin, tracker, fake_sentry, django_capture_on_commit_callbacks
):
    first, second, _third = add_issues(fake_sentry, total=3, matching=0)  # counts 5, 6, 7
    pull(django_capture_on_commit_callbacks)
    assert totals(source=Source.SENTRY)["events"] == 18
    fake_sentry.record_events(first, 10)
    pull(django_capture_on_commit_callbacks)
    assert totals(source=Source.SENTRY)["events"] == 28

    fake_sentry.delete_issue(second)  # gone from Sentry
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sync_sentry", "--force", stdout=StringIO())
    sentry = totals(source=Source.SENTRY)
    assert (sentry["new"], sentry["open_change"], sentry["events"]) == (2, 2, 22)


def test_deleting_a_product_moves_its_figures_to_its_parent(django_capture_on_commit_callbacks):
    from switchyard.insights.tests.world import World
    from switchyard.products.services import product_delete

    world = World()
    parent = world.products[0]
    child = product_create(organization=world.organization, name="Child", parent=parent)
    world.products.append(child)
    world.map_sentry_project(0, 2)
    world.sentry_issue(0, "error")
    assert totals(product_key=child.pk)["new"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        product_delete(product=child, reparent=True)
    assert totals(product_key=child.pk)["new"] == 0
    assert totals(product_key=parent.pk)["new"] == 1
